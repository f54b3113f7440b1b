"""Read-only venue reports: the week grid, utilization figures and their Excel export."""
import io
from datetime import date, time

import pytest
from openpyxl import load_workbook

from center.models.venues import VenueBlackout
from center.reports import venue_usage, venues as reports
from tests.factories import make_booking, make_organization, make_venue
from tests.venues import NOW, at

# 2026-W40: Monday 09-28 .. Wednesday 09-30 are working days, 10-01 .. 10-04 国庆节.
NATIONAL_DAY_WEEK = date(2026, 9, 28)


@pytest.fixture
def venue(session):
    return make_venue(session, name="多功能厅", capacity=40)


def column(week, venue, day: str):
    venue_week = next(v for v in week.venues if v.venue.id == venue.id)
    return next(c for c in venue_week.days if c.info.day.isoformat() == day)


def test_parse_week_reads_iso_week_or_date_and_falls_back_to_this_week():
    today = date(2026, 9, 16)
    assert reports.parse_week("2026-W40", today=today) == NATIONAL_DAY_WEEK
    assert reports.parse_week(None, "2026-10-01", today=today) == NATIONAL_DAY_WEEK
    assert reports.parse_week("2026-W99", today=today) == date(2026, 9, 14)
    assert reports.parse_week(None, "2026-13-45", today=today) == date(2026, 9, 14)
    assert reports.week_label(NATIONAL_DAY_WEEK) == "2026-W40"


def test_week_grid_closes_holidays_with_their_name_and_places_bookings(session, venue):
    booking = make_booking(session, venue=venue, title="理事会", starts_at=at("2026-09-29", 10),
                           ends_at=at("2026-09-29", 12))
    week = reports.week_grid(session, NATIONAL_DAY_WEEK, now=NOW, cells=True)
    tuesday = column(week, venue, "2026-09-29")
    assert tuesday.hours == (time(9), time(21))
    assert [b.booking.id for b in tuesday.blocks] == [booking.id]
    assert [(a.hour, b.hour) for a, b, _until in tuesday.free] == [(9, 10), (12, 21)]
    national_day = column(week, venue, "2026-10-01")
    assert not national_day.is_open and national_day.info.name == "国庆节"
    assert national_day.free == []
    grid = week.venues[0]
    row = grid.rows.index(time(10))
    kinds = [grid.cells[row + i][1].kind for i in range(-1, 5)]
    assert kinds == ["free", "booked", "booked", "booked", "booked", "free"]
    assert grid.cells[row][1].starts and not grid.cells[row + 1][1].starts
    assert all(grid.cells[row][day].kind == "closed" for day in range(3, 7))


def test_make_up_workday_on_saturday_opens_with_mondays_hours(session, venue):
    week = reports.week_grid(session, date(2026, 10, 5), now=NOW)
    saturday = column(week, venue, "2026-10-10")
    assert saturday.info.is_workday and saturday.hours == (time(9), time(21))
    assert not column(week, venue, "2026-10-11").is_open


def test_week_grid_hides_other_organizations_bookings_from_an_organization(session, venue):
    own, other = make_organization(session), make_organization(session)
    mine = make_booking(session, venue=venue, organization=own, starts_at=at("2026-09-28", 9))
    theirs = make_booking(session, venue=venue, organization=other, starts_at=at("2026-09-28", 14))
    week = reports.week_grid(session, NATIONAL_DAY_WEEK, private_to=own.id, now=NOW)
    private = {b.booking.id: b.private for b in column(week, venue, "2026-09-28").blocks}
    assert private == {mine.id: False, theirs.id: True}


def test_week_grid_shows_blackouts_and_keeps_them_out_of_free_time(session, venue):
    session.add(VenueBlackout(venue=None, starts_at=at("2026-09-30", 13), ends_at=at("2026-09-30", 18),
                              reason="消防检查"))
    session.flush()
    wednesday = column(reports.week_grid(session, NATIONAL_DAY_WEEK, now=NOW), venue, "2026-09-30")
    assert [b.reason for b in wednesday.blackouts] == ["消防检查"]
    assert [(a.hour, b.hour) for a, b, _until in wednesday.free] == [(9, 13), (18, 21)]


def test_free_time_starts_after_now_and_the_prefilled_end_respects_the_longest_booking(session):
    venue = make_venue(session, min_lead_minutes=0)
    now = at("2026-09-29", 14, 10)
    tuesday = column(reports.week_grid(session, NATIONAL_DAY_WEEK, now=now), venue, "2026-09-29")
    start, end, until = tuesday.free[0]
    assert (start.hour, start.minute, end.hour) == (14, 30, 21)
    assert until.hour == 18 and until.minute == 30  # four hours, the venue's longest booking


def test_time_within_the_lead_time_is_not_offered(session):
    venue = make_venue(session, min_lead_minutes=24 * 60)
    week = reports.week_grid(session, NATIONAL_DAY_WEEK, now=at("2026-09-28", 15), cells=True)
    assert column(week, venue, "2026-09-29").free[0][0] == at("2026-09-29", 15)
    grid = week.venues[0]
    tuesday = [row[1].kind for row in grid.cells]
    assert tuesday[grid.rows.index(time(14, 30))] == "past"
    assert tuesday[grid.rows.index(time(15))] == "free"


def test_week_grid_leaves_cancelled_bookings_out(session, venue):
    make_booking(session, venue=venue, status="cancelled", starts_at=at("2026-09-28", 9))
    assert column(reports.week_grid(session, NATIONAL_DAY_WEEK, now=NOW), venue, "2026-09-28").blocks == []


def test_reports_only_read(session, venue):
    make_booking(session, venue=venue, starts_at=at("2026-09-28", 9))
    session.commit()
    reports.week_grid(session, NATIONAL_DAY_WEEK, now=NOW, cells=True)
    venue_usage.utilization(session, date(2026, 9, 1), date(2026, 9, 30))
    assert not session.new and not session.dirty and not session.deleted


# --- utilization ------------------------------------------------------------------------------

@pytest.fixture
def september(session, venue):
    """Bookings of September 2026 at the venue: only approved and checked-in ones count as booked."""
    make_booking(session, venue=venue, attendees=10, starts_at=at("2026-09-14", 9),
                 ends_at=at("2026-09-14", 11))
    make_booking(session, venue=venue, attendees=20, status="checked_in",
                 starts_at=at("2026-09-15", 9), ends_at=at("2026-09-15", 12))
    make_booking(session, venue=venue, attendees=5, status="no_show",
                 starts_at=at("2026-09-16", 9), ends_at=at("2026-09-16", 10))
    make_booking(session, venue=venue, status="pending", starts_at=at("2026-09-17", 9))
    make_booking(session, venue=venue, status="cancelled", starts_at=at("2026-09-18", 9))
    make_booking(session, venue=venue, starts_at=at("2026-10-12", 9))  # another month
    session.add(VenueBlackout(venue=venue, starts_at=at("2026-09-22", 9), ends_at=at("2026-09-22", 11),
                              reason="检修"))
    session.flush()


def test_utilization_counts_open_and_booked_hours_attendees_and_no_shows(session, venue, september):
    report = venue_usage.utilization(session, date(2026, 9, 1), date(2026, 9, 30))
    month = report.months[0]
    # 22 working days in September 2026 (中秋节 on Friday 09-25 off, Sunday 09-20 worked),
    # 12 hours each, less the two-hour blackout.
    assert month.open_hours == 22 * 12 - 2
    assert month.booked_hours == 5
    assert (month.bookings, month.attendees, month.checked_in, month.no_shows) == (2, 30, 1, 1)
    assert month.no_show_rate == 0.5
    assert month.rate == pytest.approx(5 / 262)


def test_utilization_by_week_covers_each_iso_week_of_the_month(session, venue, september):
    weeks = venue_usage.utilization(session, date(2026, 9, 1), date(2026, 9, 30)).weeks
    assert [w.first.isoformat() for w in weeks] == ["2026-08-31", "2026-09-07", "2026-09-14",
                                                    "2026-09-21", "2026-09-28"]
    by_start = {w.first.isoformat(): w for w in weeks}
    assert by_start["2026-09-14"].booked_hours == 5 and by_start["2026-09-14"].no_shows == 1
    assert by_start["2026-09-14"].open_hours == 6 * 12  # Sunday 09-20 is a make-up workday
    assert by_start["2026-09-21"].open_hours == 4 * 12 - 2  # 中秋节 on 09-25, a 2 h blackout
    assert by_start["2026-08-31"].open_hours == 5 * 12  # the whole week, August 31 included


def test_month_range_falls_back_to_this_month():
    assert venue_usage.month_range("2026-02", today=date(2026, 9, 9)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert venue_usage.month_range("2026-2x", today=date(2026, 9, 9)) == (date(2026, 9, 1), date(2026, 9, 30))


def test_usage_workbook_opens_and_keeps_a_formula_like_title_as_text(session, venue):
    make_booking(session, venue=venue, title="=1+1", starts_at=at("2026-09-14", 9))
    report = venue_usage.utilization(session, date(2026, 9, 1), date(2026, 9, 30))
    labels = {key: key for key in ("venue", "first", "last", "open_hours", "booked_hours", "rate",
                                   "bookings", "attendees", "checked_in", "no_shows",
                                   "no_show_rate", "starts_at", "ends_at", "organization",
                                   "title", "status", "by_month", "by_week", "details")}
    workbook = load_workbook(io.BytesIO(venue_usage.usage_workbook(report, labels, {})))
    assert workbook.sheetnames == ["by_month", "by_week", "details"]
    detail = workbook["details"]
    assert detail["E2"].value == "=1+1" and detail["E2"].data_type == "s"
    assert workbook["by_month"]["E2"].value == 2
