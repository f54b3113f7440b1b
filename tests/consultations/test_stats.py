"""Consultation statistics: the service the weekly report reads and the statistics page."""
import re
from datetime import date, datetime, timezone

import pytest

from center.models.consultations import Expert, Partner, Referral
from center.reports import consultation_stats as stats
from tests.consultations.factories import make_consultation
from tests.factories import make_organization, make_user

UTC = timezone.utc
MONDAY, SUNDAY = date(2026, 3, 9), date(2026, 3, 15)


def at(day: int, hour: int = 2, minute: int = 0) -> datetime:
    """A moment in March 2026, UTC (Beijing is eight hours ahead)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _week(session):
    """A week of consultations by two staff members, plus some outside it."""
    wang = make_user(session, role="frontdesk", display_name="王前台")
    li = make_user(session, role="manager", display_name="李主任")
    org = make_organization(session)
    make_consultation(session, staff=wang, organization=org, channel="visit", minutes=30,
                      topics=["policy", "finance"], occurred_at=at(9))
    # 03-09 16:30 UTC is 03-10 00:30 in Beijing: counted on the 10th.
    make_consultation(session, staff=wang, organization=org, channel="phone", minutes=10,
                      topics=["finance"], occurred_at=at(9, 16, 30))
    make_consultation(session, staff=li, organization=None, requester_name="张先生",
                      channel="wechat", minutes=5, topics=["wellbeing"], occurred_at=at(12))
    make_consultation(session, staff=li, channel="phone", minutes=15, occurred_at=at(8, 17))
    make_consultation(session, staff=li, channel="phone", minutes=20, occurred_at=at(8, 15))
    make_consultation(session, staff=wang, minutes=60, occurred_at=at(13),
                      archived_at=at(14))
    session.commit()
    return wang, li


def test_totals_count_minutes_organizations_and_individuals(session):
    _week(session)
    totals = stats.totals(session, MONDAY, SUNDAY)
    # 03-08 17:00 UTC is 03-09 01:00 in Beijing (in the week); 03-08 15:00 UTC is not.
    assert totals == {"consultations": 4, "minutes": 60, "average_minutes": 15.0,
                      "organizations": 2, "individuals": 1}


def test_by_day_lists_every_day_of_the_period_in_the_centers_time(session):
    _week(session)
    days = stats.by_day(session, MONDAY, SUNDAY)
    assert [d["day"] for d in days] == [date(2026, 3, d) for d in range(9, 16)]
    assert [d["count"] for d in days] == [2, 1, 0, 1, 0, 0, 0]
    assert [d["minutes"] for d in days] == [45, 10, 0, 5, 0, 0, 0]


def test_by_topic_channel_and_state_list_every_code(session):
    _week(session)
    topics = {row["code"]: (row["count"], row["minutes"])
              for row in stats.by_topic(session, MONDAY, SUNDAY)}
    assert topics["finance"] == (2, 40) and topics["policy"] == (2, 45)
    assert topics["wellbeing"] == (1, 5) and topics["hr"] == (0, 0) and len(topics) == 10
    channels = {row["code"]: row["count"] for row in stats.by_channel(session, MONDAY, SUNDAY)}
    assert channels == {"visit": 1, "phone": 2, "online": 0, "wechat": 1}
    states = {row["code"]: row["count"] for row in stats.by_state(session, MONDAY, SUNDAY)}
    assert states == {"resolved": 4, "follow_up": 0, "referred": 0}


def test_by_staff_most_first(session):
    wang, li = _week(session)
    assert stats.by_staff(session, MONDAY, SUNDAY) == [
        {"staff_id": wang.id, "name": "王前台", "count": 2, "minutes": 40},
        {"staff_id": li.id, "name": "李主任", "count": 2, "minutes": 20}]


def test_follow_ups_opened_closed_open_and_overdue(session):
    closer = make_user(session, role="frontdesk")
    # Opened this week, still open, due Wednesday: overdue by Sunday.
    make_consultation(session, state="follow_up", follow_up_on=date(2026, 3, 11),
                      occurred_at=at(9))
    # Opened this week, due next week: open, not overdue.
    make_consultation(session, state="follow_up", follow_up_on=date(2026, 3, 20),
                      occurred_at=at(10))
    # Opened last week, closed (resolved) this week.
    make_consultation(session, state="resolved", follow_up_closed_at=at(11),
                      follow_up_closed_by_id=closer.id, follow_up_outcome="已回电",
                      occurred_at=at(3))
    # Opened this week, closed next week: open at the end of this one.
    make_consultation(session, state="resolved", follow_up_closed_at=at(17),
                      follow_up_closed_by_id=closer.id, follow_up_outcome="已回电",
                      occurred_at=at(12))
    make_consultation(session, occurred_at=at(10))  # resolved at once: no follow-up
    session.commit()
    assert stats.follow_ups(session, MONDAY, SUNDAY) == {
        "opened": 3, "closed": 1, "open": 3, "overdue": 1}
    # Asked on Tuesday: what is open and overdue by then (the one closed on Wednesday was open;
    # the one logged on Thursday was not yet).
    assert stats.follow_ups(session, MONDAY, SUNDAY, today=date(2026, 3, 10)) == {
        "opened": 3, "closed": 1, "open": 3, "overdue": 0}


def _referral(session, consultation, *, expert=None, partner=None, state="proposed",
              mode="consulting", created_at, closed_at=None):
    referral = Referral(consultation=consultation, expert=expert, partner=partner, state=state,
                        mode=mode, created_by_id=consultation.staff_id, created_at=created_at,
                        closed_at=closed_at)
    session.add(referral)
    return referral


def test_referrals_made_and_done_in_the_period(session):
    expert = Expert(name="陈律师", sector="business", fields="governance")
    partner = Partner(name="某基金会", fields="fundraising")
    session.add_all([expert, partner])
    c = make_consultation(session, state="referred", occurred_at=at(9))
    _referral(session, c, expert=expert, created_at=at(9), state="accepted", mode="training")
    _referral(session, c, partner=partner, created_at=at(10), state="done", closed_at=at(12))
    _referral(session, c, expert=expert, created_at=at(2), state="done", closed_at=at(11))
    _referral(session, c, expert=expert, created_at=at(20))
    session.commit()
    figures = stats.referrals(session, MONDAY, SUNDAY)
    assert figures["total"] == 2 and figures["experts"] == 1 and figures["partners"] == 1
    assert figures["by_state"] == {"proposed": 0, "accepted": 1, "done": 1, "declined": 0}
    assert figures["by_mode"]["training"] == 1 and figures["by_mode"]["consulting"] == 1
    assert figures["done"] == 2  # completed this week, one of them made the week before


def test_satisfaction_and_evaluation_per_topic_and_staff(session):
    wang = make_user(session, role="frontdesk", display_name="王前台")
    li = make_user(session, role="frontdesk", display_name="李前台")
    for staff, topics, score in ((wang, ["finance"], 5), (wang, ["finance", "hr"], 4),
                                 (li, ["hr"], 2)):
        make_consultation(session, staff=staff, topics=topics, satisfaction=score,
                          outcome="问题解决", evaluated_at=at(11), occurred_at=at(2))
    make_consultation(session, staff=li, satisfaction=1, evaluated_at=at(2))  # before the week
    make_consultation(session, staff=li)  # not evaluated
    session.commit()
    figures = stats.satisfaction(session, MONDAY, SUNDAY)
    assert figures == {"evaluated": 3, "average": 3.67,
                       "distribution": {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}}
    by_topic = {row["code"]: row for row in stats.evaluation_by_topic(session, MONDAY, SUNDAY)}
    assert by_topic["finance"] == {"code": "finance", "evaluated": 2, "average": 4.5,
                                   "satisfied": 2}
    assert by_topic["hr"]["average"] == 3.0 and by_topic["hr"]["satisfied"] == 1
    assert by_topic["policy"] == {"code": "policy", "evaluated": 0, "average": None,
                                  "satisfied": 0}
    assert stats.evaluation_by_staff(session, MONDAY, SUNDAY) == [
        {"staff_id": wang.id, "name": "王前台", "evaluated": 2, "average": 4.5, "satisfied": 2},
        {"staff_id": li.id, "name": "李前台", "evaluated": 1, "average": 2.0, "satisfied": 0}]


def test_summary_holds_every_figure_as_plain_data(session):
    _week(session)
    summary = stats.summary(session, MONDAY, SUNDAY)
    assert set(summary) == {"first", "last", "totals", "by_day", "by_topic", "by_channel",
                            "by_state", "by_staff", "follow_ups", "referrals", "satisfaction",
                            "evaluation_by_topic", "evaluation_by_staff"}
    assert summary["totals"]["consultations"] == 4
    assert summary["satisfaction"]["average"] is None
    assert not session.new and not session.dirty  # reports only read


def test_an_empty_period_has_zeros_not_errors(session):
    summary = stats.summary(session, MONDAY, SUNDAY)
    assert summary["totals"] == {"consultations": 0, "minutes": 0, "average_minutes": None,
                                 "organizations": 0, "individuals": 0}
    assert summary["by_staff"] == [] and summary["satisfaction"]["average"] is None


def test_summary_refuses_reversed_or_overlong_periods(session):
    with pytest.raises(ValueError):
        stats.summary(session, SUNDAY, MONDAY)
    with pytest.raises(ValueError):
        stats.summary(session, date(2025, 1, 1), date(2026, 1, 2))
    assert stats.summary(session, date(2024, 1, 1), date(2024, 12, 31))["by_day"][-1]["day"] \
        == date(2024, 12, 31)


def test_summary_runs_the_same_queries_for_few_or_many_rows(session, count_queries):
    _week(session)

    def queries():
        with count_queries() as counter:
            stats.summary(session, MONDAY, SUNDAY)
        return counter.count

    few = queries()
    for day in range(9, 16):
        make_consultation(session, occurred_at=at(day), satisfaction=4, evaluated_at=at(day))
    session.commit()
    assert queries() == few


# --- the page --------------------------------------------------------------------------------

def test_stats_page_shows_tables_and_an_svg_chart_to_supervisors(client, session, auth):
    _week(session)
    auth.login("supervisor")
    response = client.get("/consultations/stats?date_from=2026-03-09&date_to=2026-03-15")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2026-03-09 至 2026-03-15" in html
    assert re.search(r'<svg class="chart"[^>]*role="img"', html)
    assert html.count('<rect x=') >= 7  # a bar per day
    assert "财务与审计" in html and "王前台" in html and "成效评估" in html
    assert "<script>" not in html.split("</head>")[1]  # CSP: no inline script
    assert "/consultations?" not in html  # supervisors do not get links to the list


def test_stats_page_defaults_to_this_week(client, session, auth, monkeypatch):
    from center.views import consultation_lists

    monkeypatch.setattr(consultation_lists, "now_utc", lambda: at(11, 4))  # a Wednesday
    auth.login("manager")
    html = client.get("/consultations/stats").get_data(as_text=True)
    assert "2026-03-09 至 2026-03-15" in html
    assert 'value="2026-03-09"' in html and 'value="2026-03-15"' in html
    assert "date_from=2026-03-02&amp;date_to=2026-03-08" in html  # last week's link


@pytest.mark.parametrize("query, message", [
    ("date_from=09/03/2026", "日期格式应为"),
    ("date_from=2026-03-09&date_to=2026-03-01", "截止日期不能早于起始日期"),
    ("date_from=2024-01-01&date_to=2026-03-01", "统计期间最长 366 天"),
    ("date_to=1900-01-01", "年份应在"),
])
def test_stats_page_reports_a_bad_period_beside_its_field(client, auth, query, message):
    auth.login("manager")
    response = client.get(f"/consultations/stats?{query}")
    assert response.status_code == 200
    errors = re.findall(r'<small class="error" role="alert">(.*?)</small>',
                        response.get_data(as_text=True))
    assert any(message in error for error in errors), errors


def test_only_statistics_readers_open_the_stats_page(client, auth):
    for role in ("reviewer", "platform", "org"):
        auth.login(role)
        assert client.get("/consultations/stats").status_code == 403
        auth.logout()
