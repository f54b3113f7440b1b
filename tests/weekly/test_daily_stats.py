"""Daily service statistics (每日服务数据统计): counts per day and service line from the records,
the page with its table and chart, the period's limits and who may see it."""
import re
from datetime import date, timedelta

import pytest

from center.reports import daily_chart, daily_stats
from tests.consultations.factories import make_consultation
from tests.factories import make_booking, make_user
from tests.reviews.factories import make_submission
from tests.weekly.helpers import MONDAY, SUNDAY, center_time

TUESDAY, WEDNESDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)


@pytest.fixture
def records(session):
    """Tuesday: two consultations (15 and 20 minutes, one late in the evening, still the
    center's Tuesday), a 2.5-hour approved booking for 12 people and a cancelled one, a report
    received; Wednesday: one consultation, a report passed and one returned."""
    make_consultation(session, occurred_at=center_time(TUESDAY, 9), minutes=15)
    make_consultation(session, occurred_at=center_time(TUESDAY, 23, 30), minutes=20)
    make_consultation(session, occurred_at=center_time(WEDNESDAY, 10), minutes=5)
    make_consultation(session, occurred_at=center_time(WEDNESDAY, 11), archived_at=
                      center_time(WEDNESDAY, 12))
    make_booking(session, starts_at=center_time(TUESDAY, 9),
                 ends_at=center_time(TUESDAY, 11, 30), attendees=12)
    make_booking(session, starts_at=center_time(TUESDAY, 14), status="cancelled")
    make_submission(session, received_on=TUESDAY, now=center_time(TUESDAY))
    reviewer = make_user(session, role="reviewer")
    make_submission(session, state="passed", received_on=MONDAY, now=center_time(WEDNESDAY),
                    reviewer=reviewer)
    make_submission(session, state="returned", received_on=MONDAY, now=center_time(WEDNESDAY),
                    reviewer=reviewer)
    session.commit()


def _series(stats, line, key) -> list:
    return stats.values[(line, key)]


def test_counts_per_day_and_service_line_come_from_the_records(session, records):
    stats = daily_stats.daily(session, MONDAY, SUNDAY)
    assert stats.days[0] == MONDAY and len(stats.days) == 7
    assert _series(stats, "consultations", "consultations")[:3] == [0, 2, 1]
    assert _series(stats, "consultations", "minutes")[:3] == [0, 35, 5]
    assert _series(stats, "venues", "bookings")[:3] == [0, 1, 0]
    assert _series(stats, "venues", "hours")[1] == 2.5
    assert _series(stats, "venues", "attendees")[1] == 12
    assert _series(stats, "reviews", "received")[:3] == [2, 1, 0]
    assert _series(stats, "reviews", "passed")[2] == 1
    assert _series(stats, "reviews", "returned")[2] == 1
    assert stats.total(next(c for c in stats.columns if c.key == "consultations")) == 3
    assert not (session.new or session.dirty or session.deleted)  # a report only reads


def test_a_module_not_built_yet_is_absent_not_zero(session, monkeypatch):
    # Every module is built by now: mark one as not built, as a new line would start.
    monkeypatch.setattr(daily_stats, "LINES", tuple(
        daily_stats.Line(line.key, line.label, absent=True) if line.key == "liaison" else line
        for line in daily_stats.LINES))
    stats = daily_stats.daily(session, MONDAY, SUNDAY)
    liaison = next(line for line in stats.lines if line.key == "liaison")
    assert liaison.absent and liaison.columns == []
    assert all(line != "liaison" for line, _key in stats.values)
    assert all(len(values) == len(stats.columns) for _day, values in stats.rows())


def test_the_liaison_line_is_counted(session):
    """Its counts are tested in tests/liaison/test_stats.py; here: present, with zeros."""
    stats = daily_stats.daily(session, MONDAY, SUNDAY)
    liaison = next(line for line in stats.lines if line.key == "liaison")
    assert not liaison.absent and stats.values[("liaison", "needs")] == [0] * 7


def test_days_without_records_are_zeros(session):
    stats = daily_stats.daily(session, MONDAY, MONDAY + timedelta(days=40))
    assert len(stats.rows()) == 41
    assert all(value == 0 for _day, values in stats.rows() for value in values)


def test_the_period_is_at_most_a_year_and_not_reversed(session):
    with pytest.raises(ValueError):
        daily_stats.daily(session, date(2026, 1, 1), date(2027, 1, 2))  # 367 days
    with pytest.raises(ValueError):
        daily_stats.daily(session, SUNDAY, MONDAY)
    assert len(daily_stats.daily(session, date(2024, 1, 1), date(2024, 12, 31)).days) == 366


def test_the_chart_has_a_line_per_count_series_scaled_to_the_largest(session, records):
    chart = daily_chart.build(daily_stats.daily(session, MONDAY, SUNDAY))
    assert [s.label for s in chart.series] == ["咨询", "场地使用", "接收年报", "预审决定（通过与退回）"]
    assert [s.total for s in chart.series] == [3, 1, 3, 2]
    assert chart.top >= 2 and len(chart.series[0].dots) == 7
    peak = max(chart.series[0].dots, key=lambda dot: dot[3])
    assert peak[2] == TUESDAY and peak[1] < chart.plot_bottom


def test_the_page_shows_the_table_and_the_chart(auth, records):
    auth.login("frontdesk")
    response = auth.client.get(f"/statistics/daily?date_from={MONDAY}&date_to={SUNDAY}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "每日服务数据统计" in html and "<svg" in html and "<polyline" in html
    rows = re.findall(r"<tr><td>(2026-11-1[78]) [^<]*</td>(.*?)</tr>", html, re.S)
    tuesday = re.findall(r"<td[^>]*>([^<]*)</td>", rows[0][1])
    assert rows[0][0] == "2026-11-17" and tuesday[:8] == ["2", "35", "1", "2.5", "12", "1", "0",
                                                           "0"]
    assert "三级平台联动" in html and "尚未上线" not in html  # every line is built by now
    assert "<script>" not in html.split("</head>")[1]  # no inline script (CSP)


def test_the_default_period_is_the_last_thirty_days(auth):
    auth.login("manager")
    html = auth.client.get("/statistics/daily").get_data(as_text=True)
    assert len(re.findall(r"<tr><td>\d{4}-\d\d-\d\d ", html)) == 30


@pytest.mark.parametrize("query,message", [
    ("date_from=2025-01-01&date_to=2026-06-30", "统计期间最长 366 天"),
    ("date_from=2026-11-20&date_to=2026-11-01", "截止日期不能早于起始日期"),
    ("date_from=2026-13-01", "日期格式应为"),
])
def test_a_bad_period_is_explained_beside_the_field(auth, query, message):
    auth.login("manager")
    response = auth.client.get(f"/statistics/daily?{query}")
    assert response.status_code == 422 and message in response.get_data(as_text=True)


@pytest.mark.parametrize("role,status", [("admin", 200), ("manager", 200), ("supervisor", 200),
                                         ("frontdesk", 200), ("reviewer", 200),
                                         ("platform", 403), ("org", 403)])
def test_who_may_see_the_daily_statistics(auth, role, status):
    auth.login(role)
    assert auth.client.get("/statistics/daily").status_code == status
