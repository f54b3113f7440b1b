"""Follow-ups: mine due today and overdue (managers see everyone's), closing one with its
outcome, and the counts on the front desk's home page. The list is read from the records, so it
works whether or not any reminder was sent."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from center.models.consultations import Consultation
from center.services import consultations as service
from center.services.errors import PermissionDenied, ValidationError
from tests.conftest import field_errors
from tests.consultations.factories import make_consultation
from tests.factories import make_user


def today() -> date:
    return service.center_today()


@pytest.fixture
def desk(session):
    """A frontdesk user with follow-ups overdue, due today, later and closed, and a colleague's."""
    staff = make_user(session, role="frontdesk")
    d = today()
    rows = {
        "overdue": make_consultation(session, staff=staff, state="follow_up",
                                     follow_up_on=d - timedelta(days=3), question="逾期的跟进"),
        "today": make_consultation(session, staff=staff, state="follow_up", follow_up_on=d,
                                   question="今天的跟进"),
        "later": make_consultation(session, staff=staff, state="follow_up",
                                   follow_up_on=d + timedelta(days=2), question="后天的跟进"),
        "colleague": make_consultation(session, state="follow_up", follow_up_on=d,
                                       question="同事的跟进"),
    }
    closed = make_consultation(session, staff=staff, state="follow_up", follow_up_on=d,
                               question="已关闭的跟进")
    service.close_follow_up(session, closed, outcome="已回电", actor=staff, resolved=False)
    session.commit()
    return staff, rows


def test_follow_ups_due_selects_open_ones_by_today(session, desk):
    staff, rows = desk
    due = session.scalars(service.follow_ups_due(session, staff=staff, today=today())).all()
    assert due == [rows["overdue"], rows["today"]]
    overdue = session.scalars(service.follow_ups_due(session, staff=staff, today=today(),
                                                     overdue_only=True)).all()
    assert overdue == [rows["overdue"]]
    assert service.follow_up_counts(session, staff=staff, today=today()) == {"today": 1,
                                                                            "overdue": 1}
    assert service.follow_up_counts(session, today=today()) == {"today": 2, "overdue": 1}


def test_frontdesk_sees_own_follow_ups_due_today_and_overdue(auth, client, desk):
    staff, _rows = desk
    auth.login(staff)
    page = client.get("/consultations/follow-ups").get_data(as_text=True)
    overdue, due_today = page.split('id="overdue"')[1].split('id="due-today"')
    assert "逾期的跟进" in overdue and "逾期 3 天" in overdue
    assert "今天的跟进" in due_today
    for absent in ("后天的跟进", "同事的跟进", "已关闭的跟进", "查看全部人员"):
        assert absent not in page


def test_manager_sees_everyones_follow_ups_or_only_their_own(auth, client, desk):
    auth.login("manager")
    page = client.get("/consultations/follow-ups").get_data(as_text=True)
    assert "今天的跟进" in page and "同事的跟进" in page and "记录人" in page
    mine = client.get("/consultations/follow-ups?scope=mine").get_data(as_text=True)
    assert "今天的跟进" not in mine and "没有逾期的跟进" in mine


def test_home_page_of_frontdesk_counts_follow_ups_and_links_to_entry(auth, client, desk):
    staff, _rows = desk
    auth.login(staff)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/consultations/new"' in page and "记录咨询" in page
    assert "今天到期 1 条" in page and "逾期 1 条" in page


def test_closing_a_follow_up_records_the_outcome_and_resolves_it(auth, client, session, desk):
    staff, rows = desk
    auth.login(staff)
    c = rows["today"]
    form = client.get(f"/consultations/{c.id}/close?back=follow_ups").get_data(as_text=True)
    assert "autofocus" in form and 'value="follow_ups"' in form
    response = auth.post(f"/consultations/{c.id}/close", data={
        "follow_up_outcome": "已电话告知办理流程", "resolved": "y", "back": "follow_ups"})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/consultations/follow-ups")
    session.expire_all()
    closed = session.get(Consultation, c.id)
    assert (closed.state, closed.follow_up_outcome, closed.follow_up_closed_by_id) == (
        "resolved", "已电话告知办理流程", staff.id)
    assert "今天的跟进" not in client.get("/consultations/follow-ups").get_data(as_text=True)


def test_closing_without_outcome_is_refused_beside_it(auth, session, desk):
    staff, rows = desk
    auth.login(staff)
    response = auth.post(f"/consultations/{rows['overdue'].id}/close",
                         data={"follow_up_outcome": "  ", "resolved": "y"})
    assert response.status_code == 422
    assert "请写明跟进的结果" in field_errors(response.get_data(as_text=True),
                                             "follow_up_outcome")[0]
    session.expire_all()
    assert session.get(Consultation, rows["overdue"].id).follow_up_open


def test_closing_unresolved_keeps_the_matter_open_but_the_follow_up_done(auth, session, desk):
    staff, rows = desk
    auth.login(staff)
    auth.post(f"/consultations/{rows['overdue'].id}/close",
              data={"follow_up_outcome": "对方还在准备材料"})
    session.expire_all()
    c = session.get(Consultation, rows["overdue"].id)
    assert c.state == "follow_up" and not c.follow_up_open


def test_frontdesk_cannot_close_a_colleagues_follow_up(auth, session, desk):
    _staff, rows = desk
    auth.login("frontdesk")
    response = auth.post(f"/consultations/{rows['colleague'].id}/close",
                         data={"follow_up_outcome": "越权", "resolved": "y"})
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Consultation, rows["colleague"].id).follow_up_open


def test_service_refuses_closing_twice_or_by_a_colleague(session, desk):
    staff, rows = desk
    with pytest.raises(PermissionDenied):
        service.close_follow_up(session, rows["today"], outcome="x",
                                actor=make_user(session, role="frontdesk"))
    service.close_follow_up(session, rows["today"], outcome="已解决", actor=staff)
    with pytest.raises(ValidationError) as caught:
        service.close_follow_up(session, rows["today"], outcome="再关一次", actor=staff)
    assert "没有待办的跟进" in str(caught.value.fields["follow_up_outcome"])


# --- the daily reminder (a scheduler job; the page above works without it) ---------------------

def test_reminder_tells_each_staff_member_once_a_day(session, desk):
    from center.models.notifications import Notification

    staff, rows = desk
    assert service.remind_follow_ups(session) == 2  # desk's user and the colleague
    session.commit()
    mine = session.scalars(select(Notification).where(Notification.user_id == staff.id)).all()
    assert [n.title for n in mine] == ["咨询跟进：今天到期 1 条，已逾期 1 条"]
    assert mine[0].link == "/consultations/follow-ups"
    assert service.remind_follow_ups(session) == 0  # a second run the same day sends nothing
    assert session.scalar(select(func.count(Notification.id))) == 2


def test_reminder_sends_nothing_without_due_follow_ups(session):
    make_consultation(session, state="follow_up", follow_up_on=today() + timedelta(days=1))
    assert service.remind_follow_ups(session) == 0
