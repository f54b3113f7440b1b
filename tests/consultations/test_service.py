"""Logging and correcting consultations in the service: every problem reported at once by field,
nothing stored on bad input, own entries only for the front desk."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from center.models.consultations import Consultation
from center.services import consultations as service
from center.services.errors import PermissionDenied, ValidationError
from tests.consultations.factories import make_consultation
from tests.factories import make_organization, make_user

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing


def valid(**overrides) -> dict:
    data = {"requester_name": "王女士", "requester_phone": "010-6512 3456", "channel": "phone",
            "topics": ["policy", "annual_check"], "question": "年检报告逾期了怎么办？",
            "answer": "尽快提交并说明原因。", "minutes": "12", "state": "resolved"}
    return data | overrides


def stored(session) -> int:
    return session.scalar(select(func.count(Consultation.id)))


def problems(session, data) -> dict:
    with pytest.raises(ValidationError) as caught:
        service.log_consultation(session, data, actor=make_user(session, role="frontdesk"),
                                 now=NOW)
    session.rollback()
    assert stored(session) == 0
    return {key: str(message) for key, message in caught.value.fields.items()}


def test_log_consultation_stores_every_field_and_the_staff_member(session):
    org = make_organization(session)
    staff = make_user(session, role="frontdesk")
    c = service.log_consultation(session, valid(organization_id=str(org.id), state="follow_up",
                                                follow_up_on="2026-03-12"), actor=staff, now=NOW)
    session.commit()
    assert (c.organization, c.requester_name, c.channel, c.minutes, c.state) == (
        org, "王女士", "phone", 12, "follow_up")
    assert c.topics == ["annual_check", "policy"]
    assert c.follow_up_on == date(2026, 3, 12) and c.follow_up_open
    assert c.staff_id == staff.id and c.occurred_at == NOW


def test_an_individual_without_organization_is_a_requester(session):
    c = service.log_consultation(session, valid(), actor=make_user(session, role="frontdesk"),
                                 now=NOW)
    assert c.organization is None and c.requester_label == "王女士"


def test_every_problem_is_reported_at_once_by_field(session):
    found = problems(session, {"channel": "fax", "topics": ["policy", "astrology"],
                               "question": " ", "minutes": "-5", "state": "follow_up",
                               "follow_up_on": "15/03/2026", "requester_phone": "call me"})
    assert set(found) == {"organization_id", "channel", "topics", "question", "minutes",
                          "follow_up_on", "requester_phone"}
    assert "astrology" in found["topics"]
    assert "1 到 480" in found["minutes"]
    assert "YYYY-MM-DD" in found["follow_up_on"]


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"requester_name": ""}, "organization_id", "请选择组织"),
    ({"topics": []}, "topics", "至少选择一个"),
    ({"topics": ["unknown"]}, "topics", "未知的主题"),
    ({"minutes": "0"}, "minutes", "1 到 480"),
    ({"minutes": "100000"}, "minutes", "1 到 480"),
    ({"minutes": "十分钟"}, "minutes", "整数"),
    ({"minutes": "1.5"}, "minutes", "整数"),
    ({"state": "follow_up"}, "follow_up_on", "需要填写跟进日期"),
    ({"state": "follow_up", "follow_up_on": "2026-02-30"}, "follow_up_on", "YYYY-MM-DD"),
    ({"question": "问" * 4001}, "question", "最多 4000 个字"),
    ({"answer": "答\x00"}, "answer", "控制字符"),
    ({"requester_name": "名" * 51}, "requester_name", "最多 50 个字"),
    ({"organization_id": "999999"}, "organization_id", "找不到该组织"),
    ({"state": "closed"}, "state", "已解决、待跟进或已转介"),
])
def test_bad_input_is_refused_beside_its_field_and_nothing_is_stored(session, overrides, field,
                                                                     words):
    assert words in problems(session, valid(**overrides))[field]


def test_a_future_time_is_refused(session):
    assert "晚于现在" in problems(session, valid(occurred_at=NOW + timedelta(hours=1)))[
        "occurred_at"]


def test_script_tags_are_stored_as_typed_text(session):
    c = service.log_consultation(session, valid(question="<script>alert(1)</script>怎么办"),
                                 actor=make_user(session, role="frontdesk"), now=NOW)
    assert c.question == "<script>alert(1)</script>怎么办"


def test_archived_organization_cannot_be_chosen(session):
    org = make_organization(session)
    org.archived_at = NOW
    assert "找不到该组织" in problems(session, valid(organization_id=org.id))["organization_id"]


# --- editing -----------------------------------------------------------------------------------

def test_frontdesk_edits_own_entry_but_not_a_colleagues(session):
    mine = make_consultation(session)
    colleague = make_user(session, role="frontdesk")
    with pytest.raises(PermissionDenied):
        service.update_consultation(session, mine, valid(), actor=colleague, now=NOW)
    service.update_consultation(session, mine, valid(question="改过的问题"), actor=mine.staff,
                                now=NOW)
    assert mine.question == "改过的问题"


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_edit_any_entry(session, role):
    c = make_consultation(session)
    service.update_consultation(session, c, valid(minutes=30), actor=make_user(session, role=role),
                                now=NOW)
    assert c.minutes == 30


def test_editing_a_closed_follow_up_keeps_it_closed(session):
    c = make_consultation(session, state="follow_up", follow_up_on=date(2026, 3, 9))
    service.close_follow_up(session, c, outcome="已电话回复", actor=c.staff, resolved=False,
                            now=NOW)
    service.update_consultation(session, c, valid(state="follow_up", follow_up_on="2026-03-09",
                                                  question="只改了错字"), actor=c.staff, now=NOW)
    assert c.follow_up_closed_at == NOW and not c.follow_up_open


def test_moving_the_date_of_a_closed_follow_up_reopens_it(session):
    c = make_consultation(session, state="follow_up", follow_up_on=date(2026, 3, 9))
    service.close_follow_up(session, c, outcome="对方未接电话", actor=c.staff, resolved=False,
                            now=NOW)
    service.update_consultation(session, c, valid(state="follow_up", follow_up_on="2026-03-16"),
                                actor=c.staff, now=NOW)
    assert c.follow_up_open and c.follow_up_closed_by_id is None


def test_correcting_a_resolved_follow_up_keeps_who_closed_it(session):
    c = make_consultation(session, state="follow_up", follow_up_on=date(2026, 3, 9))
    service.close_follow_up(session, c, outcome="已解决", actor=c.staff, now=NOW)
    service.update_consultation(session, c, valid(state="resolved"), actor=c.staff, now=NOW)
    assert c.follow_up_closed_by_id == c.staff_id and c.follow_up_outcome == "已解决"


def test_a_refused_edit_changes_nothing(session):
    c = make_consultation(session, question="原来的问题")
    session.commit()
    with pytest.raises(ValidationError):
        service.update_consultation(session, c, valid(question="新问题", minutes="-1"),
                                    actor=c.staff, now=NOW)
    session.rollback()
    assert session.get(Consultation, c.id).question == "原来的问题"
