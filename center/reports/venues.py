"""Read-only views of venues: week grids, utilization, its Excel export and the iCalendar feed.

Every builder runs a fixed number of queries whatever the number of bookings: venues with
their hours, the bookings of the range, the blackouts of the range and the working-day
calendar of the range, each in one query. Times are shown in the center's local time.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from center.models.venues import LIVE_STATES, Booking, BookingState, Venue, VenueBlackout
from center.services.calendar import DayInfo, days_between
from center.services.venues import CENTER_TZ, opening_hours

SLOT = timedelta(minutes=30)
# A booking lies within one day's opening hours, so one that touches a range starts at most
# this long before it; the bound lets the (venue_id, starts_at) index serve the query.
MAX_SPAN = timedelta(days=2)
BOOKED_STATES = (BookingState.approved.value, BookingState.checked_in.value)


# --- weeks and local time -------------------------------------------------------------------

def local_today(now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(CENTER_TZ).date()


def parse_week(week: str | None = None, day: str | None = None, *, today: date) -> date:
    """The Monday of `?week=2026-W41` or of the week holding `?date=2026-10-08`; else this week.

    A malformed value falls back to the current week rather than failing the page."""
    try:
        if week:
            year, _sep, number = week.upper().partition("-W")
            return date.fromisocalendar(int(year), int(number), 1)
        if day:
            today = date.fromisoformat(day)
    except ValueError:
        pass
    return today - timedelta(days=today.weekday())


def week_label(monday: date) -> str:
    year, number, _weekday = monday.isocalendar()
    return f"{year}-W{number:02d}"


def local_at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=CENTER_TZ)


def day_start(day: date) -> datetime:
    return local_at(day, time(0))


# --- loading (one query each) ---------------------------------------------------------------

def active_venues(session, venue_ids=None) -> list[Venue]:
    stmt = (select(Venue).where(Venue.archived_at.is_(None)).options(selectinload(Venue.hours))
            .order_by(Venue.name, Venue.id))
    if venue_ids is not None:
        stmt = stmt.where(Venue.id.in_(venue_ids))
    return list(session.scalars(stmt))


def bookings_between_query(venue_ids, first: datetime, end: datetime, states=LIVE_STATES):
    """A select of the bookings of the venues in `states` overlapping [first, end), by start."""
    return (select(Booking).where(Booking.venue_id.in_(venue_ids), Booking.status.in_(states),
                                  Booking.starts_at >= first - MAX_SPAN, Booking.starts_at < end,
                                  Booking.ends_at > first)
            .order_by(Booking.starts_at, Booking.id))


def bookings_between(session, venue_ids, first: datetime, end: datetime, states=LIVE_STATES):
    """Bookings of the venues in `states` overlapping [first, end), by start time."""
    return list(session.scalars(bookings_between_query(venue_ids, first, end, states)))


def blackouts_between(session, venue_ids, first: datetime, end: datetime) -> list[VenueBlackout]:
    """Active blackouts of these venues, or of every venue, overlapping [first, end)."""
    return list(session.scalars(
        select(VenueBlackout).where(
            or_(VenueBlackout.venue_id.in_(venue_ids), VenueBlackout.venue_id.is_(None)),
            VenueBlackout.archived_at.is_(None), VenueBlackout.starts_at < end,
            VenueBlackout.ends_at > first).order_by(VenueBlackout.starts_at)))


def upcoming_blackouts(session, venue: Venue, *, now: datetime) -> list[VenueBlackout]:
    return blackouts_between(session, [venue.id], now, now + timedelta(days=3650))


# --- week grid --------------------------------------------------------------------------------

@dataclass
class Block:
    """A booking as one viewer may see it: `private` hides another organization's details."""
    booking: Booking
    starts_at: datetime  # local
    ends_at: datetime
    private: bool

    @property
    def status(self) -> str:
        return self.booking.status


@dataclass
class Cell:
    starts_at: datetime  # local
    ends_at: datetime
    kind: str  # booked, closed, blackout, past, free
    blocks: list[Block] = field(default_factory=list)
    starts: list[Block] = field(default_factory=list)  # blocks labelled in this cell
    note: str | None = None  # the blackout's reason


@dataclass
class DayColumn:
    info: DayInfo
    hours: tuple[time, time] | None
    blocks: list[Block] = field(default_factory=list)
    blackouts: list[VenueBlackout] = field(default_factory=list)
    # Bookable periods (local): start, end, and the end a booking form is prefilled with.
    free: list[tuple[datetime, datetime, datetime]] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.hours is not None


@dataclass
class VenueWeek:
    venue: Venue
    days: list[DayColumn]
    rows: list[time] = field(default_factory=list)  # half-hour row starts (one-venue grid)
    cells: list[list[Cell]] = field(default_factory=list)  # rows × days


@dataclass
class Week:
    monday: date
    venues: list[VenueWeek]
    days: list[DayInfo]

    @property
    def label(self) -> str:
        return week_label(self.monday)

    @property
    def previous(self) -> str:
        return week_label(self.monday - timedelta(days=7))

    @property
    def next(self) -> str:
        return week_label(self.monday + timedelta(days=7))


def week_grid(session, monday: date, *, venue_ids=None, private_to: int | None = None,
              now: datetime | None = None, cells: bool = False) -> Week:
    """The week from monday for the active venues (or the given ones): days with hours,
    bookings, blackouts and free periods; with cells=True also the half-hour grid.

    private_to: an organization id; other organizations' bookings are marked private."""
    now = (now or datetime.now(timezone.utc)).astimezone(CENTER_TZ)
    days = days_between(session, monday, monday + timedelta(days=6))
    venues = active_venues(session, venue_ids)
    ids = [v.id for v in venues]
    first, end = day_start(monday), day_start(monday + timedelta(days=7))
    bookings = bookings_between(session, ids, first, end) if ids else []
    blackouts = blackouts_between(session, ids, first, end) if ids else []
    week = Week(monday, [], days)
    by_venue = {}
    for booking in bookings:
        by_venue.setdefault(booking.venue_id, []).append(booking)
    for venue in venues:
        columns = [_day_column(venue, info, by_venue.get(venue.id, []), blackouts, private_to, now)
                   for info in days]
        venue_week = VenueWeek(venue, columns)
        if cells:
            _fill_cells(venue_week, now)
        week.venues.append(venue_week)
    return week


def _overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


def _day_column(venue, info, bookings, blackouts, private_to, now) -> DayColumn:
    start, end = day_start(info.day), day_start(info.day + timedelta(days=1))
    column = DayColumn(info, opening_hours(venue, info))
    for booking in bookings:
        if _overlaps(booking.starts_at, booking.ends_at, start, end):
            private = private_to is not None and booking.organization_id != private_to
            column.blocks.append(Block(booking, booking.starts_at.astimezone(CENTER_TZ),
                                       booking.ends_at.astimezone(CENTER_TZ), private))
    column.blackouts = [b for b in blackouts if b.venue_id in (None, venue.id)
                        and _overlaps(b.starts_at, b.ends_at, start, end)]
    longest = timedelta(minutes=venue.max_length_minutes)
    column.free = [(a, b, min(b, a + longest)) for a, b in _free_periods(column, _earliest(venue, now))]
    return column


def _earliest(venue: Venue, now: datetime) -> datetime:
    """The first moment the venue may still be booked for (its minimum lead time from now)."""
    return now + timedelta(minutes=venue.min_lead_minutes)


def _ceil_slot(moment: datetime) -> datetime:
    """The next half-hour boundary at or after moment (local time)."""
    base = moment.replace(minute=0, second=0, microsecond=0)
    while base < moment:
        base += SLOT
    return base


def _free_periods(column: DayColumn, earliest: datetime) -> list[tuple[datetime, datetime]]:
    """Open time of the day not taken by a booking or a blackout, from `earliest` on."""
    if column.hours is None:
        return []
    opens = max(local_at(column.info.day, column.hours[0]), _ceil_slot(earliest))
    closes = local_at(column.info.day, column.hours[1])
    taken = sorted([(b.starts_at, b.ends_at) for b in column.blocks]
                   + [(b.starts_at.astimezone(CENTER_TZ), b.ends_at.astimezone(CENTER_TZ))
                      for b in column.blackouts])
    periods, cursor = [], opens
    for start, end in taken:
        if start > cursor:
            periods.append((cursor, min(start, closes)))
        cursor = max(cursor, end)
    if cursor < closes:
        periods.append((cursor, closes))
    return [(a, b) for a, b in periods if b > a]


def _fill_cells(venue_week: VenueWeek, now: datetime) -> None:
    """Half-hour rows from the earliest opening to the latest closing of the week."""
    open_hours = [c.hours for c in venue_week.days if c.hours] or \
        [(h.opens_at, h.closes_at) for h in venue_week.venue.hours]
    if not open_hours:
        return
    opens = min(h[0] for h in open_hours)
    moment = datetime.combine(date.min, opens.replace(minute=opens.minute // 30 * 30))
    closes = datetime.combine(date.min, max(h[1] for h in open_hours))
    while moment < closes:
        venue_week.rows.append(moment.time())
        moment += SLOT
    earliest = _earliest(venue_week.venue, now)
    venue_week.cells = [[_cell(column, row, index == 0, earliest) for column in venue_week.days]
                        for index, row in enumerate(venue_week.rows)]


def _cell(column: DayColumn, row: time, top: bool, earliest: datetime) -> Cell:
    """One half-hour: booked, closed, blackout, past (or within the lead time) or free."""
    start = local_at(column.info.day, row)
    cell = Cell(start, start + SLOT, "free")
    cell.blocks = [b for b in column.blocks if _overlaps(b.starts_at, b.ends_at, start, cell.ends_at)]
    # The label sits in the cell where the booking starts (or the top row if it starts earlier).
    cell.starts = [b for b in cell.blocks if start <= b.starts_at < cell.ends_at
                   or (top and b.starts_at < start)]
    blackout = next((b for b in column.blackouts
                     if _overlaps(b.starts_at, b.ends_at, start, cell.ends_at)), None)
    hours = column.hours
    if cell.blocks:
        cell.kind = "booked"
    elif hours is None or row < hours[0] or local_at(column.info.day, hours[1]) < cell.ends_at:
        cell.kind = "closed"
    elif blackout is not None:
        cell.kind, cell.note = "blackout", blackout.reason
    elif cell.starts_at < earliest:
        cell.kind = "past"
    return cell


# --- iCalendar feed ---------------------------------------------------------------------------

FEED_PAST, FEED_FUTURE = timedelta(days=30), timedelta(days=180)


def feed_bookings(session, venue: Venue, *, now: datetime) -> list[Booking]:
    return bookings_between(session, [venue.id], now - FEED_PAST, now + FEED_FUTURE)


def venue_feed(session, venue: Venue, *, now: datetime, host: str) -> bytes:
    """RFC 5545 calendar of the venue's live bookings from 30 days ago to 180 days ahead.

    One VEVENT per booking with a UID stable for the booking, times in UTC, the title as the
    summary and the organization's name; no contact data."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Center//Venue bookings//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", venue.name)
    for booking in feed_bookings(session, venue, now=now):
        event = Event()
        event.add("uid", f"booking-{booking.id}@{host}")
        event.add("dtstamp", now.astimezone(timezone.utc))
        event.add("dtstart", booking.starts_at.astimezone(timezone.utc))
        event.add("dtend", booking.ends_at.astimezone(timezone.utc))
        event.add("summary", booking.title)
        event.add("description", booking.organization.name)
        if venue.location:
            event.add("location", venue.location)
        event.add("status", "CONFIRMED" if booking.status in BOOKED_STATES else "TENTATIVE")
        calendar.add_component(event)
    return calendar.to_ical()
