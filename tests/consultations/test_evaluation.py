"""Outcome evaluation (成效评估): satisfaction 1–5 and the outcome, recorded once the
consultation is resolved, by whoever may edit it."""
from datetime import date

import pytest

from center.models.consultations import Consultation
from center.services import consultations as service
from center.services.errors import PermissionDenied, ValidationError
from tests.conftest import field_errors
from tests.consultations.factories import make_consultation
from tests.factories import make_user


def test_evaluation_records_satisfaction_and_outcome(session):
    c = make_consultation(session)
    service.evaluate(session, c, satisfaction="4", outcome="顺利完成变更登记", actor=c.staff)
    assert (c.satisfaction, c.outcome) == (4, "顺利完成变更登记") and c.evaluated_at


@pytest.mark.parametrize("satisfaction", [0, 6, "", None, "五", "3.5", True])
def test_satisfaction_outside_one_to_five_is_refused(session, satisfaction):
    c = make_consultation(session)
    with pytest.raises(ValidationError) as caught:
        service.evaluate(session, c, satisfaction=satisfaction, outcome=None, actor=c.staff)
    assert "1 到 5" in str(caught.value.fields["satisfaction"])
    assert c.satisfaction is None


@pytest.mark.parametrize("state", ["follow_up", "referred"])
def test_evaluation_waits_until_the_consultation_is_resolved(session, state):
    c = make_consultation(session, state=state, follow_up_on=date(2026, 3, 12))
    with pytest.raises(ValidationError) as caught:
        service.evaluate(session, c, satisfaction=5, outcome="好", actor=c.staff)
    assert "解决后" in str(caught.value.fields["satisfaction"])


def test_frontdesk_cannot_evaluate_a_colleagues_consultation(session):
    c = make_consultation(session)
    with pytest.raises(PermissionDenied):
        service.evaluate(session, c, satisfaction=5, outcome=None,
                         actor=make_user(session, role="frontdesk"))


def test_a_closed_and_resolved_follow_up_can_be_evaluated(session):
    c = make_consultation(session, state="follow_up", follow_up_on=date(2026, 3, 12))
    service.close_follow_up(session, c, outcome="已解决", actor=c.staff)
    service.evaluate(session, c, satisfaction=5, outcome="很满意", actor=c.staff)
    assert c.satisfaction == 5


def test_evaluation_page_records_and_shows_it(auth, client, session):
    staff = make_user(session, role="frontdesk")
    c = make_consultation(session, staff=staff)
    session.commit()
    auth.login(staff)
    form = client.get(f"/consultations/{c.id}/evaluate").get_data(as_text=True)
    assert 'value="5"' in form and "autofocus" in form
    response = auth.post(f"/consultations/{c.id}/evaluate",
                         data={"satisfaction": "5", "outcome": "<i>完成</i>换届"})
    assert response.status_code == 302
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert "★★★★★" in page and "&lt;i&gt;完成&lt;/i&gt;换届" in page
    assert "修改成效评估" in page


def test_evaluation_page_keeps_outcome_when_satisfaction_missing(auth, session):
    staff = make_user(session, role="frontdesk")
    c = make_consultation(session, staff=staff)
    session.commit()
    auth.login(staff)
    response = auth.post(f"/consultations/{c.id}/evaluate", data={"outcome": "写了一半的成效"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "1 到 5" in field_errors(page, "satisfaction-0")[0]
    assert "写了一半的成效" in page
    session.expire_all()
    assert session.get(Consultation, c.id).evaluated_at is None


def test_evaluating_an_open_follow_up_is_refused(auth, client, session):
    staff = make_user(session, role="frontdesk")
    c = make_consultation(session, staff=staff, state="follow_up", follow_up_on=date(2026, 3, 12))
    session.commit()
    auth.login(staff)
    assert "解决后才能" in client.get(f"/consultations/{c.id}/evaluate").get_data(as_text=True)
    response = auth.post(f"/consultations/{c.id}/evaluate", data={"satisfaction": "5"})
    assert response.status_code == 422
    session.expire_all()
    assert session.get(Consultation, c.id).satisfaction is None
