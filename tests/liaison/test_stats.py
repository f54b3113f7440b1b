"""Liaison figures from the records: the weekly report's section, the daily statistics' line and
next week's plan (joint meetings, the Tuesday coordination meeting, decisions falling due)."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from center.models.liaison import PlatformReferral
from center.reports import daily_stats, liaison_stats, weekly_export
from center.services import liaison, liaison_matches as matches, liaison_meetings as meetings
from center.services import weekly_figures
from tests.factories import make_organization, make_platform, make_region, make_user
from tests.weekly.helpers import MONDAY, SUNDAY, center_time, make_report

TUESDAY, WEDNESDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
WEEK_BEFORE = MONDAY - timedelta(days=7)


@pytest.fixture
def users(session):
    city = make_region(session, tier="city")
    east = make_region(session, tier="district", parent=city)
    west = make_region(session, tier="district", parent=city)
    found = {"east": make_user(session, role="platform", platform=make_platform(
                 session, region=east, is_joint_member=True, rotation_order=1)),
             "west": make_user(session, role="platform", platform=make_platform(
                 session, region=west, is_joint_member=True, rotation_order=2)),
             "center": make_user(session, role="manager")}
    session.commit()
    return found


def _post(session, user, kind, when, category="trainer", title="财务培训"):
    return liaison.create_post(session, {"kind": kind, "category": category, "title": title},
                               actor=user, publish=True, now=when)


def _referral(session, users, created, decided=None, state="proposed"):
    session.add(PlatformReferral(
        organization_id=make_organization(session).id, reason="需要孵化",
        from_platform_id=users["east"].platform_id, to_platform_id=users["west"].platform_id,
        accept_by=created.date() + timedelta(days=7), state=state, created_at=created,
        decided_at=decided))


@pytest.fixture
def records(session, users):
    """This week: two needs (Tuesday, one late at night: still Tuesday) and an offer
    (Wednesday); a match proposed and accepted on Wednesday and one proposed last week,
    completed this Wednesday; a referral made Tuesday and accepted Wednesday; the Q4 meeting held
    Tuesday with one decision due Wednesday (open: overdue) and one done. Last week: one offer."""
    need = _post(session, users["east"], "need", center_time(TUESDAY, 9))
    _post(session, users["east"], "need", center_time(TUESDAY, 23, 30), category="venue")
    offer = _post(session, users["west"], "offer", center_time(WEDNESDAY, 10))
    old_need = _post(session, users["east"], "need", center_time(WEEK_BEFORE, 9), "course")
    old_offer = _post(session, users["west"], "offer", center_time(WEEK_BEFORE, 9), "course")
    match = matches.propose(session, need=need, offer=offer, actor=users["east"],
                            now=center_time(WEDNESDAY, 11))
    matches.accept(session, match, actor=users["west"], now=center_time(WEDNESDAY, 12))
    old = matches.propose(session, need=old_need, offer=old_offer, actor=users["east"],
                          now=center_time(WEEK_BEFORE, 10))
    matches.accept(session, old, actor=users["west"], now=center_time(WEEK_BEFORE, 11))
    matches.complete(session, old, actor=users["east"], now=center_time(WEDNESDAY, 15))
    _referral(session, users, center_time(TUESDAY, 10), center_time(WEDNESDAY, 9), "accepted")
    meeting = meetings.plan_meeting(session, {"year": 2026, "quarter": 4,
                                              "held_on": TUESDAY.isoformat()},
                                    actor=users["center"], now=center_time(MONDAY))
    for text, due in (("汇总场地", WEDNESDAY), ("编制师资库", SUNDAY + timedelta(days=20))):
        meetings.add_decision(session, meeting, {"text": text, "due_on": due.isoformat(),
                                                 "owner_name": "李四"}, actor=users["center"])
    done = meetings.add_decision(session, meeting, {"text": "已办", "due_on": WEDNESDAY.isoformat(),
                                                    "owner_name": "王五"}, actor=users["center"])
    meetings.complete_decision(session, done, actor=users["center"], now=center_time(WEDNESDAY))
    session.commit()
    return meeting


def test_the_weeks_figures_come_from_the_records(session, records):
    data = liaison_stats.summary(session, MONDAY, SUNDAY)
    assert (data["needs"], data["offers"]) == (2, 1)
    assert data["matches"] == {"proposed": 1, "accepted": 1, "completed": 1}
    assert data["referrals"] == {"made": 1, "accepted": 1}
    assert data["meetings"] == 1 and data["decisions"] == {"open": 2, "overdue": 1}
    trainer = next(r for r in data["by_category"] if r["code"] == "trainer")
    assert trainer == {"code": "trainer", "needs": 1, "offers": 1, "accepted": 1}
    assert not (session.new or session.dirty or session.deleted)  # a report only reads


def test_last_weeks_figures_do_not_leak_into_this_week(session, records):
    before = liaison_stats.summary(session, WEEK_BEFORE, WEEK_BEFORE + timedelta(days=6))
    assert (before["needs"], before["offers"], before["meetings"]) == (1, 1, 0)
    # accepted last week and completed since: still an acceptance of last week
    assert before["matches"] == {"proposed": 1, "accepted": 1, "completed": 0}
    assert before["decisions"] == {"open": 0, "overdue": 0}  # the meeting was not held yet


def test_a_match_declined_after_acceptance_no_longer_counts_as_accepted(session, users):
    need = _post(session, users["east"], "need", center_time(TUESDAY, 9))
    offer = _post(session, users["west"], "offer", center_time(TUESDAY, 9))
    match = matches.propose(session, need=need, offer=offer, actor=users["east"],
                            now=center_time(TUESDAY, 10))
    matches.accept(session, match, actor=users["west"], now=center_time(TUESDAY, 11))
    matches.decline(session, match, actor=users["east"], now=center_time(WEDNESDAY, 11))
    session.commit()
    assert liaison_stats.matches(session, MONDAY, SUNDAY)["accepted"] == 0


def test_the_weekly_report_has_the_liaison_section_beside_last_week(session, records):
    figures = weekly_figures.collect(session, MONDAY, SUNDAY)
    section = figures["modules"]["liaison"]
    assert section["label"] == "三级平台联动"
    by_key = {f["key"]: f for f in section["figures"]}
    assert (by_key["needs"]["value"], by_key["needs"]["previous"]) == (2, 1)
    assert (by_key["offers"]["value"], by_key["offers"]["previous"]) == (1, 1)
    assert by_key["matches_accepted"]["value"] == 1 and by_key["decisions_overdue"]["value"] == 1
    assert by_key["meetings"]["label"] == "召开联席会议"
    rows = {row[0]: row[1:] for row in section["tables"][0]["rows"]}
    assert rows["师资"] == [1, 1, 1] and rows["课程"] == [0, 0, 0]


def test_an_empty_week_shows_zeros_not_absence(session):
    section = weekly_figures.collect(session, MONDAY, SUNDAY)["modules"]["liaison"]
    assert section is not None and all(f["value"] == 0 for f in section["figures"])


def test_the_daily_statistics_have_the_liaison_line(session, records):
    stats = daily_stats.daily(session, MONDAY, SUNDAY)
    line = next(line for line in stats.lines if line.key == "liaison")
    assert not line.absent and [c.key for c in line.columns] == [
        "needs", "offers", "matches_proposed", "matches_accepted", "referrals"]
    assert stats.values[("liaison", "needs")][:3] == [0, 2, 0]
    assert stats.values[("liaison", "offers")][:3] == [0, 0, 1]
    assert stats.values[("liaison", "matches_proposed")][2] == 1
    assert stats.values[("liaison", "matches_accepted")][2] == 1
    assert stats.values[("liaison", "referrals")][1] == 1


def test_next_weeks_plan_lists_the_joint_meeting_and_decisions_due(session, users):
    next_monday = SUNDAY + timedelta(days=1)
    meeting = meetings.plan_meeting(session, {
        "year": 2026, "quarter": 4, "held_on": (next_monday + timedelta(days=3)).isoformat(),
        "location": "中心二层"}, actor=users["center"], now=center_time(MONDAY))
    meetings.add_decision(session, meeting, {"text": "汇总", "owner_name": "李四",
                                             "due_on": (next_monday + timedelta(days=5))
                                             .isoformat()}, actor=users["center"])
    session.commit()
    plan = weekly_figures.plan_for_next_week(session, next_monday)
    assert "11月24日（周二）上午 各业务处室联络员协调会" in plan
    assert "11月26日（周四）2026 年第 4 季度联席会议（中心二层），轮值主席：" in plan
    assert "联席会议决定事项下周到期 1 项，已逾期未完成 0 项" in plan


def test_the_daily_page_shows_the_liaison_line(auth, records):
    auth.login("manager")
    html = auth.client.get(f"/statistics/daily?date_from={MONDAY}&date_to={SUNDAY}").get_data(
        as_text=True)
    assert "三级平台联动 · 发布需求" in html and "尚未上线" not in html


def test_the_weekly_export_has_a_liaison_sheet_with_the_figures(session, records):
    workbook = load_workbook(io.BytesIO(weekly_export.workbook_bytes(make_report(session))))
    cells = [c.value for row in workbook["三级平台联动"].iter_rows() for c in row]
    assert "发布需求" in cells and "召开联席会议" in cells and "尚未上线" not in str(cells)
    assert cells[cells.index("发布需求") + 1] == 2  # the figure beside its label
