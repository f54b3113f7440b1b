"""Utilization of the venues: open vs booked hours, attendees and no-shows per venue by month
and by ISO week, and its Excel export. Read-only, five queries whatever the bookings."""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from center.models.venues import Booking, BookingState, Venue
from center.reports.venues import (BOOKED_STATES, CENTER_TZ, active_venues, blackouts_between,
                                   bookings_between_query, day_start, local_at)
from center.reports.xlsx import Sheet, workbook_bytes
from center.services.calendar import days_between
from center.services.venues import opening_hours


@dataclass
class Usage:
    """One venue over one period (local days first..last). Booked time counts approved and
    checked-in bookings; the no-show rate is no-shows among bookings whose outcome is known
    (checked in or no-show); attendees are those expected by the counted bookings."""
    venue: Venue
    first: date
    last: date
    open_hours: float = 0.0
    booked_hours: float = 0.0
    bookings: int = 0
    attendees: int = 0
    checked_in: int = 0
    no_shows: int = 0

    @property
    def rate(self) -> float | None:
        return self.booked_hours / self.open_hours if self.open_hours else None

    @property
    def no_show_rate(self) -> float | None:
        outcomes = self.checked_in + self.no_shows
        return self.no_shows / outcomes if outcomes else None


@dataclass
class UsageReport:
    first: date
    last: date
    months: list[Usage]  # one per venue over first..last
    weeks: list[Usage]  # one per venue and ISO week touching first..last (the whole week)
    details: list[Booking]  # every booking starting in first..last, for the export


def month_range(month: str | None, *, today: date) -> tuple[date, date]:
    """First and last day of `?month=2026-10`, or of today's month when malformed or missing."""
    try:
        year, number = (int(part) for part in (month or "").split("-"))
        first = date(year, number, 1)
    except ValueError:
        first = today.replace(day=1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def utilization(session, first: date, last: date, *, summary_only: bool = False) -> UsageReport:
    """Open vs booked hours, bookings, attendees and no-shows per venue for the days
    first..last, and per ISO week touching them: five queries whatever the bookings.
    `summary_only` (the weekly report's figures) leaves out the weeks and the booking list."""
    monday = first - timedelta(days=first.weekday())
    sunday = last + timedelta(days=6 - last.weekday())
    if summary_only:
        monday, sunday = first, last
    days = days_between(session, monday, sunday)
    venues = active_venues(session)
    ids = [v.id for v in venues]
    start, end = day_start(monday), day_start(sunday + timedelta(days=1))
    states = (*BOOKED_STATES, BookingState.no_show.value)
    by_venue: dict[int, list] = {venue_id: [] for venue_id in ids}
    for booking in (_booking_facts(session, ids, start, end, states) if ids else ()):
        by_venue[booking.venue_id].append(booking)
    blackouts = blackouts_between(session, ids, start, end) if ids else []
    report = UsageReport(first, last, [], [], [])
    for venue in venues:
        bookings = by_venue[venue.id]
        report.months.append(_usage(venue, first, last, days, bookings, blackouts))
        if summary_only:
            continue
        for week_start in range(0, len(days), 7):
            week = days[week_start:week_start + 7]
            report.weeks.append(_usage(venue, week[0].day, week[-1].day, days, bookings, blackouts))
    if not summary_only:
        report.details = _details(session, ids, first, last)
    return report


def _booking_facts(session, venue_ids, first, end, states):
    """What the figures need of each booking overlapping [first, end), as plain rows: at ten
    times the design volume a week holds 20,000 bookings, too many to load as objects."""
    overlapping = bookings_between_query(venue_ids, first, end, states)
    return session.execute(overlapping.with_only_columns(
        Booking.venue_id, Booking.status, Booking.attendees, Booking.starts_at,
        Booking.ends_at)).all()


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _clipped(a_start, a_end, b_start, b_end) -> timedelta:
    return max(timedelta(0), min(a_end, b_end) - max(a_start, b_start))


def _usage(venue, first, last, days, bookings, blackouts) -> Usage:
    usage = Usage(venue, first, last)
    start, end = day_start(first), day_start(last + timedelta(days=1))
    own_blackouts = [b for b in blackouts if b.venue_id in (None, venue.id)]
    for info in days:
        hours = opening_hours(venue, info) if first <= info.day <= last else None
        if hours:
            opens, closes = local_at(info.day, hours[0]), local_at(info.day, hours[1])
            closed = sum((_clipped(opens, closes, b.starts_at, b.ends_at) for b in own_blackouts),
                         timedelta(0))
            usage.open_hours += max(0.0, _hours(closes - opens - closed))
    for booking in bookings:
        if booking.venue_id != venue.id or not start <= booking.starts_at < end:
            continue
        if booking.status == BookingState.no_show.value:
            usage.no_shows += 1
            continue
        usage.bookings += 1
        usage.attendees += booking.attendees
        usage.checked_in += booking.status == BookingState.checked_in.value
        usage.booked_hours += _hours(_clipped(booking.starts_at, booking.ends_at, start, end))
    return usage


def _details(session, venue_ids, first: date, last: date) -> list[Booking]:
    if not venue_ids:
        return []
    return list(session.scalars(
        select(Booking).where(Booking.venue_id.in_(venue_ids),
                              Booking.starts_at >= day_start(first),
                              Booking.starts_at < day_start(last + timedelta(days=1)))
        .order_by(Booking.starts_at, Booking.id)))


def usage_workbook(report: UsageReport, labels: dict, state_labels: dict) -> bytes:
    """The utilization report as .xlsx: by month, by week, and every booking of the period.

    labels: translated header texts by key; user text is written as text, never a formula."""
    def usage_row(u: Usage) -> list:
        return [u.venue.name, u.first, u.last, round(u.open_hours, 2), round(u.booked_hours, 2),
                _percent(u.rate), u.bookings, u.attendees, u.checked_in, u.no_shows,
                _percent(u.no_show_rate)]

    usage_headers = [labels[k] for k in ("venue", "first", "last", "open_hours", "booked_hours",
                                         "rate", "bookings", "attendees", "checked_in",
                                         "no_shows", "no_show_rate")]
    detail_headers = [labels[k] for k in ("venue", "starts_at", "ends_at", "organization",
                                          "title", "attendees", "status")]
    details = ([b.venue.name, b.starts_at.astimezone(CENTER_TZ), b.ends_at.astimezone(CENTER_TZ),
                b.organization.name, b.title, b.attendees, str(state_labels.get(b.status, b.status))]
               for b in report.details)
    return workbook_bytes([
        Sheet(labels["by_month"], usage_headers, [usage_row(u) for u in report.months]),
        Sheet(labels["by_week"], usage_headers, [usage_row(u) for u in report.weeks]),
        Sheet(labels["details"], detail_headers, details)])


def _percent(value: float | None):
    return None if value is None else round(value * 100, 1)
