"""The peak dashboard: backlog by state, ageing in working days, overdue, throughput per reviewer
per day, the backlog's course and its clearing forecast (an inline SVG chart), and status
enquiries per day."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest

from center.models.reviews import ReviewEnquiry
from center.reports import review_chart, review_dashboard as dash
from center.services import calendar, reviews
from tests.factories import make_user
from tests.reviews.factories import center_time, make_cycle, make_submission

TODAY = date(2026, 3, 16)  # Monday; the pace window is Mon 2 – Fri 13 March
NOW = center_time(TODAY, 9)


@pytest.fixture
def cycle(session):
    return make_cycle(session)


@pytest.fixture
def frozen(monkeypatch):
    import center.views.review_queue as views
    monkeypatch.setattr(views, "now_utc", lambda: NOW)


def _item(session, received: date, state="received", at=None, **kw):
    return make_submission(session, received_on=received, state=state,
                           now=at or center_time(received), **kw)


# --- backlog, ageing, overdue --------------------------------------------------------------

def test_backlog_by_state_counts_every_state(session, cycle):
    for state in ("received", "received", "in_review", "returned", "passed", "withdrawn"):
        _item(session, date(2026, 3, 2), state)
    counts = dash.backlog_by_state(session, cycle.id)
    assert counts == {"received": 2, "in_review": 1, "returned": 1, "resubmitted": 0,
                      "passed": 1, "forwarded": 0, "withdrawn": 1}


def test_ageing_counts_working_days_across_the_spring_festival(session, cycle):
    today = date(2026, 2, 25)
    _item(session, date(2026, 2, 25))  # 0 working days
    _item(session, date(2026, 2, 13))  # Sat 14 Feb is worked, 15-23 off: 3 working days
    _item(session, date(2026, 2, 2))  # 12 working days
    _item(session, date(2026, 2, 2), "returned")  # waits on the organization: not counted
    buckets = dash.ageing(session, cycle, today)
    assert [(b.low, b.high, b.count) for b in buckets] == [
        (0, 1, 1), (2, 3, 1), (4, 5, 0), (6, 10, 0), (11, None, 1)]
    assert [b.beyond_service_level for b in buckets] == [False, False, False, True, True]


def test_overdue_counts_the_centers_and_the_organizations_lateness(session, cycle):
    _item(session, date(2026, 3, 2))  # due 9 March: late
    _item(session, date(2026, 3, 9))  # due 16 March: today
    _item(session, date(2026, 3, 12))
    _item(session, date(2026, 3, 2), "returned")  # correction due 9 March: the org is late
    assert dash.overdue(session, cycle.id, TODAY) == dash.Overdue(center=1, due_today=1,
                                                                  organizations=1)


# --- throughput ----------------------------------------------------------------------------

def test_throughput_per_reviewer_per_working_day_in_the_centers_days(session, cycle):
    alice = make_user(session, role="reviewer", display_name="甲")
    bob = make_user(session, role="reviewer", display_name="乙")
    for hour in (9, 10):
        _item(session, date(2026, 3, 9), "passed", reviewer=alice,
              at=center_time(date(2026, 3, 9), hour))
    _item(session, date(2026, 3, 10), "passed", reviewer=alice)
    # 23:30 in Beijing is 15:30 UTC: still Tuesday 10 March for the center.
    _item(session, date(2026, 3, 10), "returned", reviewer=bob,
          at=center_time(date(2026, 3, 10), 23, 30))
    _item(session, TODAY, "passed", reviewer=bob, at=NOW)  # today: shown, not in the total
    workdays = dash.recent_workdays(session, TODAY)
    assert (workdays[0], workdays[-1], len(workdays)) == (date(2026, 3, 2), date(2026, 3, 13), 10)
    rows, columns = dash.throughput(session, cycle_id=cycle.id, workdays=workdays, today=TODAY)
    assert columns[-1] == TODAY
    by_name = {r.name: r for r in rows}
    assert by_name["甲"].per_day[columns.index(date(2026, 3, 9))] == 2
    assert by_name["甲"].per_day[columns.index(date(2026, 3, 10))] == 1
    assert by_name["乙"].per_day[columns.index(date(2026, 3, 10))] == 1
    assert by_name["乙"].per_day[-1] == 1
    assert (by_name["甲"].total, by_name["乙"].total) == (3, 1)
    assert by_name["甲"].average == pytest.approx(0.3)
    assert [r.name for r in rows] == ["甲", "乙"]  # busiest first


# --- the backlog's course and the forecast -------------------------------------------------

def test_backlog_history_walks_back_from_today_through_each_days_change():
    d1, d2 = date(2026, 3, 12), date(2026, 3, 13)
    weekend = date(2026, 3, 14)
    flows = {d1: 5, d2: -2, weekend: 4, TODAY: 1}
    points = dash.backlog_history(flows, [d1, d2], TODAY, open_now=10)
    # End of Fri 13: 10 - 1 (today) - 4 (Saturday's intake) = 5; end of Thu 12: 5 + 2 = 7.
    assert points == [(d1, 7), (d2, 5), (TODAY, 10)]


def test_daily_flows_count_arrivals_decisions_and_withdrawn_intakes(session, cycle):
    day = date(2026, 3, 10)
    reviewer = make_user(session, role="reviewer")
    _item(session, day)  # +1
    _item(session, day, "passed", reviewer=reviewer)  # +1 -1
    _item(session, day, "resubmitted", reviewer=reviewer)  # +1 -1 +1
    _item(session, day, "withdrawn", reviewer=reviewer)  # +1 -1
    flows = dash.daily_flows(session, cycle_id=cycle.id, first=day, today=TODAY)
    assert flows == {day: 2}
    assert dash.backlog_by_state(session, cycle.id)["received"] + \
        dash.backlog_by_state(session, cycle.id)["resubmitted"] == 2


def test_forecast_clears_at_the_recent_pace_and_warns_when_arrivals_keep_up(session, cycle):
    reviewer = make_user(session, role="reviewer")
    for day in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13):  # one decision per working day
        _item(session, date(2026, 3, day), "passed", reviewer=reviewer)
    for day in (12, 13):
        _item(session, date(2026, 3, day))  # still open: 2 items
    fc = dash.forecast(session, cycle=cycle, today=TODAY, open_now=2)
    assert fc.pace == pytest.approx(1.0)
    assert fc.arrivals == pytest.approx(1.2)  # 12 arrivals over 10 working days
    assert fc.days_to_clear == 2
    assert fc.clears_on == calendar.add_working_days(session, TODAY, 2).day == date(2026, 3, 18)
    assert fc.clears_on_net is None  # arrivals outpace decisions: it would never clear
    assert fc.needed_pace == pytest.approx(
        2 / calendar.working_days_between(session, TODAY, cycle.closes_on).days)
    assert fc.history[-1] == (TODAY, 2)


def test_forecast_without_any_recent_decision_has_no_clearing_date(session, cycle):
    _item(session, date(2026, 3, 12))
    fc = dash.forecast(session, cycle=cycle, today=TODAY, open_now=1)
    assert (fc.pace, fc.clears_on, fc.days_to_clear) == (0, None, None)


def test_chart_draws_the_history_and_the_projection_inside_the_plot(session, cycle):
    fc = dash.Forecast(open_now=40, pace=10.0, arrivals=2.0, clears_on=date(2026, 3, 20),
                       clears_on_net=date(2026, 3, 23), provisional=False,
                       history=[(date(2026, 3, 12), 60), (date(2026, 3, 13), 50), (TODAY, 40)],
                       days_to_clear=4, closes_on=date(2026, 3, 19))
    chart = review_chart.build_forecast_chart(session, fc, TODAY)
    points = [tuple(map(float, p.split(","))) for p in
              (chart.history + " " + chart.pace_line + " " + chart.net_line).split()]
    assert all(chart.plot_left <= x <= chart.plot_right and
               chart.plot_top <= y <= chart.plot_bottom for x, y in points)
    assert points[-3][1] == pytest.approx(chart.plot_bottom)  # the pace line reaches zero
    markers = {m.kind: m for m in chart.markers}
    assert markers["clears"].label == "3/20" and markers["clears"].tone == "warn"  # after close
    assert markers["closes"].label == "3/19"
    assert [t.label for t in chart.y_ticks] == ["0", "20", "40", "60", "80"]


def test_axis_has_a_round_top_and_whole_steps():
    assert [review_chart.axis(v) for v in (0, 3, 37, 100.1, 240, 4100)] == [
        (1, 1), (3, 1), (40, 10), (150, 50), (300, 100), (6000, 2000)]


# --- enquiries -----------------------------------------------------------------------------

def test_enquiries_per_day_split_calls_and_visits_from_lookups(session):
    late_evening = datetime(2026, 3, 12, 15, 30, tzinfo=timezone.utc)  # 23:30 on the 12th
    rows = [("phone", late_evening), ("visit", late_evening), ("lookup", late_evening),
            ("lookup", NOW), ("phone", NOW - timedelta(days=30))]
    session.add_all(ReviewEnquiry(source=source, at=at) for source, at in rows)
    session.flush()
    days = dash.enquiries_per_day(session, TODAY)
    assert len(days) == 14 and days[-1].day == TODAY
    by_day = {d.day: d for d in days}
    assert (by_day[date(2026, 3, 12)].calls, by_day[date(2026, 3, 12)].lookup) == (2, 1)
    assert (by_day[TODAY].calls, by_day[TODAY].lookup) == (0, 1)
    assert sum(d.calls for d in days) == 2  # the one a month ago is outside


# --- the page ------------------------------------------------------------------------------

def test_dashboard_page_shows_the_forecast_chart_without_scripts_or_styles(session, auth, client,
                                                                          cycle, frozen):
    reviewer = make_user(session, role="reviewer")
    for day in (9, 10, 11):
        _item(session, date(2026, 3, day), "passed", reviewer=reviewer)
    _item(session, date(2026, 3, 2))
    session.commit()
    auth.login("supervisor")
    response = client.get("/reviews/dashboard")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<svg" in html and "<polyline" in html and "预计清零" in html
    assert "已超过预审期限" in html and reviewer.display_name in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html
    assert "<style" not in html


def test_dashboard_without_a_cycle_says_so(auth, client, frozen):
    auth.login("manager")
    response = client.get("/reviews/dashboard")
    assert response.status_code == 200
    assert "还没有年检预审周期" in response.get_data(as_text=True)


def test_dashboard_queries_do_not_grow_with_the_backlog(session, auth, client, cycle, frozen,
                                                      count_queries):
    reviewer = make_user(session, role="reviewer")
    _item(session, date(2026, 3, 2), "passed", reviewer=reviewer)
    _item(session, date(2026, 3, 2))
    session.add(ReviewEnquiry(source="phone", at=NOW))
    session.commit()
    auth.login("manager")
    client.get("/reviews/dashboard")
    with count_queries() as few:
        client.get("/reviews/dashboard")
    others = [make_user(session, role="reviewer") for _ in range(3)]
    for i in range(15):
        _item(session, date(2026, 3, 2 + i % 10), ("passed", "returned", "received")[i % 3],
              reviewer=others[i % 3])
    session.commit()
    with count_queries() as many:
        client.get("/reviews/dashboard")
    assert many.count == few.count


def test_org_users_cannot_open_the_dashboard(auth, client):
    auth.login("org")
    assert client.get("/reviews/dashboard").status_code == 403


def test_pace_is_the_shared_one(session, cycle):
    reviewer = make_user(session, role="reviewer")
    _item(session, date(2026, 3, 9), "passed", reviewer=reviewer)
    from center.reports import reviews as pace
    fc = dash.forecast(session, cycle=cycle, today=TODAY, open_now=0)
    assert fc.pace == pace.decisions_per_working_day(session, today=TODAY) == pytest.approx(0.1)
    assert fc.clears_on == TODAY  # nothing open: clear already
    assert reviews.today_in_center(NOW) == TODAY


def test_supervisor_gets_no_links_into_the_queue_they_cannot_open(session, auth, client, cycle,
                                                                 frozen):
    _item(session, date(2026, 3, 2))
    session.commit()
    auth.login("supervisor")
    html = client.get("/reviews/dashboard").get_data(as_text=True)
    assert 'href="/reviews?' not in html
    assert client.get("/reviews").status_code == 403
