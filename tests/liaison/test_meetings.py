"""Joint meetings (联席会议): members and the rotating chair, the agenda prefilled with needs still
unmatched, attendance, minutes, decisions shown until done (overdue marked), the pages and who
may do what on them."""
import re
from datetime import date, datetime, timezone

import pytest

from center.models.liaison import JointMeeting, MeetingDecision
from center.reports import liaison_meetings as reading
from center.services import liaison, liaison_matches as matches, liaison_meetings as meetings
from center.services.errors import ConflictError, PermissionDenied, ValidationError
from tests.conftest import field_errors
from tests.factories import make_platform, make_region, make_user

NOW = datetime(2026, 4, 10, 2, 0, tzinfo=timezone.utc)  # 2026 Q2, center time 10:00


@pytest.fixture
def world(session):
    """Three member platforms in rotation order east, west, city (city's order left blank: last),
    one street platform that is not a member, their users and the center's staff."""
    city = make_region(session, tier="city", code="110000")
    east = make_region(session, tier="district", parent=city, code="110101")
    west = make_region(session, tier="district", parent=city, code="110102")
    street = make_region(session, tier="street", parent=east, code="110101001")
    platforms = {
        "west": make_platform(session, region=west, name="西城平台", is_joint_member=True,
                              rotation_order=2),
        "east": make_platform(session, region=east, name="东城平台", is_joint_member=True,
                              rotation_order=1),
        "city": make_platform(session, region=city, name="市级平台", is_joint_member=True),
        "street": make_platform(session, region=street, name="街道平台"),
    }
    users = {key: make_user(session, role="platform", platform=p) for key, p in platforms.items()}
    users["center"] = make_user(session, role="manager")
    users["supervisor"] = make_user(session, role="supervisor")
    session.commit()
    return platforms, users


def _plan(session, users, year=2026, quarter=2, **data):
    return meetings.plan_meeting(session, {"year": year, "quarter": quarter, **data},
                                 actor=users["center"], now=NOW)


# --- members, chair, agenda --------------------------------------------------------------------

def test_members_are_the_flagged_platforms_in_rotation_order(session, world):
    platforms, _users = world
    assert reading.members(session) == [platforms["east"], platforms["west"], platforms["city"]]


def test_the_chair_rotates_skipping_the_platform_that_chaired_last(session, world):
    platforms, users = world
    first = _plan(session, users, quarter=1)
    assert first.chair == platforms["east"]  # no earlier meeting: the first in order
    assert reading.proposed_chair(session, 2026, 2) == platforms["west"]
    _plan(session, users, quarter=2, chair_platform_id=platforms["city"].id)  # chosen by hand
    assert reading.proposed_chair(session, 2026, 3) == platforms["east"]  # wraps round after city
    assert _plan(session, users, quarter=3).chair == platforms["east"]
    assert reading.proposed_chair(session, 2026, 4) == platforms["west"]


def test_a_single_member_chairs_again(session, world):
    platforms, users = world
    for key in ("west", "city"):
        platforms[key].is_joint_member = False
    _plan(session, users, quarter=1)
    assert reading.proposed_chair(session, 2026, 2) == platforms["east"]


def test_planning_adds_every_member_to_the_attendance(session, world):
    platforms, users = world
    meeting = _plan(session, users)
    assert {row.platform_id for row in meeting.attendance} == {
        platforms[k].id for k in ("east", "west", "city")}
    assert not any(row.attended for row in meeting.attendance)


def test_the_agenda_lists_needs_still_unmatched(session, world):
    _platforms, users = world
    waiting = liaison.create_post(session, {"kind": "need", "category": "trainer",
                                            "title": "财务培训讲师"}, actor=users["street"],
                                  publish=True)
    matched = liaison.create_post(session, {"kind": "need", "category": "venue",
                                            "title": "活动场地"}, actor=users["east"], publish=True)
    offer = liaison.create_post(session, {"kind": "offer", "category": "venue",
                                          "title": "会议室"}, actor=users["west"], publish=True)
    liaison.create_post(session, {"kind": "need", "category": "course", "title": "草稿需求"},
                        actor=users["east"])
    match = matches.propose(session, need=matched, offer=offer, actor=users["east"])
    matches.accept(session, match, actor=users["west"])
    session.commit()
    assert reading.unmatched_needs(session, NOW.date()) == [waiting]
    agenda = _plan(session, users).agenda
    assert "尚未对接的需求（1 条）" in agenda and "【师资】财务培训讲师（街道平台）" in agenda
    assert "活动场地" not in agenda and "草稿需求" not in agenda


def test_a_typed_agenda_is_kept(session, world):
    _platforms, users = world
    assert _plan(session, users, agenda="一、听取汇报").agenda == "一、听取汇报"


def test_one_meeting_per_quarter_and_a_date_within_it(session, world):
    _platforms, users = world
    _plan(session, users)
    session.commit()
    with pytest.raises(ValidationError) as error:
        _plan(session, users)
    assert set(error.value.fields) == {"quarter"}
    with pytest.raises(ValidationError) as error:
        _plan(session, users, quarter=3, held_on="2026-06-30", year=2026)
    assert set(error.value.fields) == {"held_on"}
    with pytest.raises(ValidationError) as error:
        _plan(session, users, year="20x6", quarter=5, held_on="2026-13-01",
              chair_platform_id=99999)
    assert set(error.value.fields) == {"year", "quarter", "held_on", "chair_platform_id"}
    session.rollback()
    assert session.query(JointMeeting).count() == 1


def test_only_the_center_plans_and_records(session, world):
    _platforms, users = world
    for key in ("east", "supervisor"):
        with pytest.raises(PermissionDenied):
            meetings.plan_meeting(session, {"year": 2026, "quarter": 2}, actor=users[key])


# --- attendance, minutes, decisions ------------------------------------------------------------

def test_attendance_and_minutes_are_recorded(session, world):
    platforms, users = world
    meeting = _plan(session, users, held_on="2026-05-12")
    meetings.record_attendance(session, meeting, {platforms["east"].id: (True, "张三"),
                                                  platforms["west"].id: (False, "")},
                               actor=users["center"])
    meetings.update_meeting(session, meeting, {"held_on": "2026-05-12", "location": "中心二层",
                                               "minutes": "会议讨论了需求对接。",
                                               "chair_platform_id": platforms["east"].id},
                            actor=users["center"])
    session.commit()
    rows = {row.platform_id: row for row in meeting.attendance}
    assert rows[platforms["east"].id].attended and rows[platforms["east"].id].representative == "张三"
    assert meeting.minutes == "会议讨论了需求对接。" and meeting.location == "中心二层"
    with pytest.raises(ValidationError):
        meetings.record_attendance(session, meeting, {platforms["street"].id: (True, "")},
                                   actor=users["center"])


def test_a_decision_needs_text_owner_and_due_date(session, world):
    _platforms, users = world
    meeting = _plan(session, users, held_on="2026-05-12")
    with pytest.raises(ValidationError) as error:
        meetings.add_decision(session, meeting, {"text": " "}, actor=users["center"])
    assert set(error.value.fields) == {"text", "owner_platform_id", "due_on"}
    with pytest.raises(ValidationError) as error:
        meetings.add_decision(session, meeting, {"text": "编制清单", "owner_name": "李四",
                                                 "due_on": "2026-05-01"}, actor=users["center"])
    assert set(error.value.fields) == {"due_on"}  # before the meeting


def test_an_open_decision_is_listed_until_done_and_overdue_is_marked(session, world):
    platforms, users = world
    meeting = _plan(session, users, held_on="2026-05-12")
    late = meetings.add_decision(session, meeting, {"text": "汇总场地资源", "due_on": "2026-05-20",
                                                    "owner_platform_id": platforms["east"].id},
                                 actor=users["center"])
    soon = meetings.add_decision(session, meeting, {"text": "编制师资库", "due_on": "2026-07-01",
                                                    "owner_name": "李四"}, actor=users["center"])
    session.commit()
    assert reading.open_decisions(session) == [late, soon]
    today = date(2026, 6, 1)
    assert reading.is_overdue(late, today) and not reading.is_overdue(soon, today)
    with pytest.raises(PermissionDenied):
        meetings.complete_decision(session, late, actor=users["west"])  # not the owner
    meetings.complete_decision(session, late, actor=users["east"], note="已汇总")
    session.commit()
    assert reading.open_decisions(session) == [soon] and not reading.is_overdue(late, today)
    with pytest.raises(ConflictError):
        meetings.complete_decision(session, late, actor=users["center"])
    agenda = meetings.prefilled_agenda(session, 2026, 3, today=today)  # the next meeting's
    assert "未完成 1 项" in agenda and "编制师资库（李四" in agenda and "汇总场地资源" not in agenda


# --- pages ---------------------------------------------------------------------------------

def _meeting(session, users, **data):
    meeting = _plan(session, users, held_on="2026-05-12", **data)
    session.commit()
    return meeting


def test_the_center_plans_a_meeting_through_the_form(auth, session, world):
    platforms, _users = world
    auth.login("manager")
    page = auth.client.get("/liaison/meetings/new?year=2026&quarter=2").get_data(as_text=True)
    assert "按轮值顺序推荐的轮值主席：东城平台" in page and "尚未对接的需求" in page
    response = auth.post("/liaison/meetings/new", {
        "year": "2026", "quarter": "2", "held_on": "2026-05-12", "location": "中心二层",
        "chair_platform_id": "", "agenda": ""})
    assert response.status_code == 302
    meeting = session.query(JointMeeting).one()
    assert meeting.chair_platform_id == platforms["east"].id and "议程" in meeting.agenda
    html = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2026 年第 2 季度联席会议" in html and "东城平台" in html
    history = html[html.index("变更记录"):]
    assert "轮值主席：东城平台" in history  # the platform's name, not its id


def test_bad_meeting_input_is_shown_beside_the_field_and_kept(auth, session, world):
    auth.login("manager")
    response = auth.post("/liaison/meetings/new", {"year": "2026", "quarter": "2",
                                                   "held_on": "2026-09-01", "location": "中心二层"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "会议日期应在 2026 年第 2 季度内" in " ".join(field_errors(html, "held_on"))
    assert 'value="中心二层"' in html and session.query(JointMeeting).count() == 0


def test_attendance_decisions_and_done_through_the_pages(auth, session, world):
    platforms, users = world
    meeting = _meeting(session, users)
    auth.login(users["center"])
    east = platforms["east"].id
    response = auth.post(f"/liaison/meetings/{meeting.id}/attendance", {
        "platform": [str(east), str(platforms["west"].id)], f"attended-{east}": "1",
        f"rep-{east}": "张三"})
    assert response.status_code == 302
    response = auth.post(f"/liaison/meetings/{meeting.id}/decisions", {
        "text": "汇总场地资源", "owner_platform_id": str(east), "due_on": "2026-05-20"})
    assert response.status_code == 302
    bad = auth.post(f"/liaison/meetings/{meeting.id}/decisions", {"text": "", "due_on": "x"})
    assert bad.status_code == 422 and field_errors(bad.get_data(as_text=True), "text")
    html = auth.client.get(f"/liaison/meetings/{meeting.id}").get_data(as_text=True)
    assert "张三" in html and "汇总场地资源" in html and "出席 1 / 3 个成员平台" in html
    decision = session.query(MeetingDecision).one()
    listing = auth.client.get("/liaison/decisions").get_data(as_text=True)
    assert "汇总场地资源" in listing and 'data-overdue="1"' in listing  # 2026-05-20 has passed
    assert auth.post(f"/liaison/decisions/{decision.id}/done",
                     {"done_note": "已完成", "back": "decisions"}).status_code == 302
    session.expire_all()
    assert decision.done_at is not None and decision.done_note == "已完成"
    assert 'id="open-decisions"' not in auth.client.get("/liaison/decisions").get_data(as_text=True)


def test_the_owner_platform_marks_its_decision_done_and_others_may_not(auth, session, world):
    platforms, users = world
    meeting = _meeting(session, users)
    decision = meetings.add_decision(session, meeting, {
        "text": "汇总场地资源", "owner_platform_id": platforms["east"].id,
        "due_on": "2026-06-20"}, actor=users["center"])
    session.commit()
    auth.login(users["west"])
    assert auth.post(f"/liaison/decisions/{decision.id}/done").status_code == 403
    assert auth.post("/liaison/decisions/999999/done").status_code == 404
    page = auth.client.get(f"/liaison/meetings/{meeting.id}").get_data(as_text=True)
    assert "标记完成" not in page and "记录决定事项" not in page
    auth.logout()
    auth.login(users["east"])
    assert "标记完成" in auth.client.get("/liaison/decisions?mine=1").get_data(as_text=True)
    assert auth.post(f"/liaison/decisions/{decision.id}/done").status_code == 302
    session.expire_all()
    assert decision.done_at is not None


@pytest.mark.parametrize("role,status", [("admin", 200), ("manager", 200), ("frontdesk", 200),
                                         ("platform", 200), ("supervisor", 200),
                                         ("reviewer", 403), ("org", 403)])
def test_who_may_read_the_meetings(auth, session, world, role, status):
    meeting = _meeting(session, world[1])
    auth.login(role)
    for url in ("/liaison/meetings", f"/liaison/meetings/{meeting.id}", "/liaison/decisions"):
        assert auth.client.get(url).status_code == status


@pytest.mark.parametrize("role", ["platform", "supervisor"])
def test_platforms_and_the_supervisor_may_not_plan_or_record(auth, session, world, role):
    meeting = _meeting(session, world[1])
    auth.login(role)
    assert auth.client.get("/liaison/meetings/new").status_code == 403
    assert auth.client.get(f"/liaison/meetings/{meeting.id}/edit").status_code == 403
    for path in ("attendance", "decisions"):
        assert auth.post(f"/liaison/meetings/{meeting.id}/{path}").status_code == 403
    assert auth.client.get("/liaison/meetings/99999").status_code == 404


def test_editing_keeps_typed_values_and_records_minutes(auth, session, world):
    meeting = _meeting(session, world[1])
    auth.login("frontdesk")
    bad = auth.post(f"/liaison/meetings/{meeting.id}/edit", {"held_on": "2026-02-30",
                                                             "minutes": "纪要草稿"})
    assert bad.status_code == 422 and "纪要草稿" in bad.get_data(as_text=True)
    ok = auth.post(f"/liaison/meetings/{meeting.id}/edit", {
        "held_on": "2026-05-13", "minutes": "纪要", "agenda": "议程",
        "chair_platform_id": str(meeting.chair_platform_id)})
    assert ok.status_code == 302
    session.expire_all()
    assert (meeting.held_on, meeting.minutes) == (date(2026, 5, 13), "纪要")
    html = auth.client.get(f"/liaison/meetings/{meeting.id}").get_data(as_text=True)
    assert re.search(r"会议纪要.*?纪要", html, re.S) and "变更记录" in html


def test_the_agenda_counts_every_unmatched_need_beyond_those_it_lists(session, world):
    _platforms, users = world
    for n in range(meetings.AGENDA_NEEDS + 200):  # more than a page of the unmatched query
        liaison.create_post(session, {"kind": "need", "category": "trainer",
                                      "title": f"需求{n}"}, actor=users["street"], publish=True)
    session.commit()
    agenda = _plan(session, users).agenda
    total = meetings.AGENDA_NEEDS + 200
    assert f"尚未对接的需求（{total} 条）" in agenda and "另有 200 条" in agenda


def test_a_quarter_planned_concurrently_is_a_conflict_not_a_crash(session, world, monkeypatch):
    _platforms, users = world

    def planned_meanwhile(session_, year, quarter):  # another request stores it after the check
        session_.add(JointMeeting(year=year, quarter=quarter, created_at=NOW))
        session_.flush()
        return None

    monkeypatch.setattr(meetings.reading, "proposed_chair", planned_meanwhile)
    with pytest.raises(ConflictError) as error:
        _plan(session, users)
    assert "quarter" in error.value.fields
    session.commit()  # the session is still usable
    assert session.query(JointMeeting).count() == 1


def test_unicode_digits_in_attendance_rows_and_a_planned_year_are_ignored_or_refused(
        auth, session, world):
    platforms, users = world
    meeting = _meeting(session, users)
    auth.login(users["center"])
    east = platforms["east"].id
    response = auth.post(f"/liaison/meetings/{meeting.id}/attendance", {
        "platform": ["²", str(east)], "attended-²": "1", f"attended-{east}": "1"})
    assert response.status_code == 302  # the odd row is not a platform: skipped
    with pytest.raises(ValidationError) as error:
        _plan(session, users, year="２０２６", quarter="³")  # full-width digits are digits
    assert set(error.value.fields) == {"quarter"}
