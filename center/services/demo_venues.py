"""Demo venues of the center, six weeks of past bookings with their outcome (checked in or a
no-show), and a fortnight of coming bookings, so the booking pages, the daily statistics and the
weekly reports have content."""
import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from center.models.accounts import User
from center.models.base import utcnow
from center.models.directory import Organization
from center.models.notifications import Notification
from center.models.venues import BookingState, Venue
from center.services import calendar, venues
from center.services.errors import DomainError

WEEKDAYS = range(5)
VENUES = [
    {"name": "一层多功能厅", "location": "服务中心一层", "capacity": 120,
     "equipment": "投影仪、音响、无线话筒", "requires_approval": True,
     "hours": {d: (time(9), time(21)) for d in range(6)}},
    {"name": "二层培训教室", "location": "服务中心二层 201", "capacity": 40,
     "equipment": "投影仪、白板", "requires_approval": False,
     "hours": {d: (time(9), time(17, 30)) for d in WEEKDAYS}},
    {"name": "三层会议室", "location": "服务中心三层 305", "capacity": 16,
     "equipment": "视频会议设备", "requires_approval": False,
     "hours": {d: (time(9), time(17, 30)) for d in WEEKDAYS}},
    {"name": "路演厅", "location": "服务中心一层东侧", "capacity": 60,
     "equipment": "LED 屏、音响", "requires_approval": True,
     "hours": {d: (time(13), time(21)) for d in WEEKDAYS}},
]
TITLES = ["理事会会议", "志愿者培训", "项目路演", "年检政策解读会", "财务人员培训", "社区议事会",
          "公益项目分享会", "党建学习会"]
PAST_WEEKS = 6  # the current week so far and the six complete weeks before it
PER_DAY = (1, 1, 2, 2, 2, 3)  # bookings of one venue on one past working day, drawn from these
SLOT_GAP = timedelta(hours=2, minutes=30)  # past bookings start on this grid from opening time
NO_SHOW_SHARE = 0.1


def add_venues(session, *, actor, now=None) -> int:
    """Create the demo venues and book them (as `actor`, a front-desk user): the past working
    days of the last six weeks, each booking requested days ahead, approved by the manager
    where the venue requires it and then checked in or marked a no-show; and the next two
    weeks. Nothing when venues exist. Returns how many bookings were made."""
    if session.scalar(select(Venue.id).limit(1)) is not None:
        return 0
    now = now or utcnow()
    rng = random.Random(2026)
    made = [venues.create_venue(session, dict(data), actor=None) for data in VENUES]
    organizations = session.scalars(select(Organization).order_by(Organization.id).limit(40)).all()
    booked = 0
    for day in _working_days(session, now, 10):
        for venue in made:
            if organizations and rng.random() < 0.6:
                booked += _try_booking(session, venue, rng.choice(organizations), rng, day, now, actor)
    if organizations and actor is not None:
        booked += _add_past_bookings(session, made, organizations, rng, now, actor)
    return booked


def _working_days(session, now: datetime, count: int) -> list:
    today = now.astimezone(venues.CENTER_TZ).date()
    days = calendar.days_between(session, today + timedelta(days=2), today + timedelta(days=30))
    return [info.day for info in days if info.is_workday][:count]


def _try_booking(session, venue, organization, rng, day, now, actor) -> int:
    hours = venue.hours[0]
    start = datetime.combine(day, hours.opens_at, venues.CENTER_TZ) + timedelta(hours=rng.choice([0, 1, 2]))
    try:
        booking = venues.request_booking(
            session, venue=venue, organization=organization, title=rng.choice(TITLES),
            starts_at=start, ends_at=start + timedelta(hours=2),
            attendees=min(venue.capacity, rng.randint(8, 60)), actor=actor, now=now)
    except DomainError:
        return 0  # a rule of this venue says no (quota, hours): the demo simply skips it
    return 1 if booking else 0


# --- the past weeks -------------------------------------------------------------------------------

def _add_past_bookings(session, made, organizations, rng, now, actor) -> int:
    """1-3 bookings per venue and past working day, made as the front desk and the manager
    would have made them at the time, in the order of their start."""
    manager = session.scalar(select(User).where(User.role.in_(("manager", "admin")),
                                                User.is_active.is_(True))
                             .order_by(User.role.desc(), User.id))  # the manager before an admin
    today = now.astimezone(venues.CENTER_TZ).date()
    monday = today - timedelta(days=today.weekday() + 7 * PAST_WEEKS)
    booked = 0
    for info in calendar.days_between(session, monday, today - timedelta(days=1)):
        for venue in made:
            hours = venues.opening_hours(venue, info)
            if hours is None or (venue.requires_approval and manager is None):
                continue
            for start in _past_starts(info.day, hours, rng):
                booked += _past_booking(session, venue, rng.choice(organizations), rng, start,
                                        hours, actor, manager)
    return booked


def _past_starts(day, hours, rng) -> list[datetime]:
    opens, closes = (datetime.combine(day, moment, venues.CENTER_TZ) for moment in hours)
    grid = []
    while opens + len(grid) * SLOT_GAP + timedelta(hours=1) <= closes:
        grid.append(opens + len(grid) * SLOT_GAP)
    return sorted(rng.sample(grid, min(len(grid), rng.choice(PER_DAY))))


def _past_booking(session, venue, organization, rng, start, hours, actor, manager) -> int:
    """Request (1-10 days ahead), approve if needed, then check in or mark a no-show."""
    closes = datetime.combine(start.date(), hours[1], venues.CENTER_TZ)
    end = min(start + timedelta(minutes=rng.choice((90, 120, 120, 150))), closes)
    asked = start - timedelta(days=rng.randint(1, 10), hours=rng.randint(1, 6))
    try:
        booking = venues.request_booking(
            session, venue=venue, organization=organization, title=rng.choice(TITLES),
            starts_at=start, ends_at=end, attendees=rng.randint(max(4, venue.capacity // 5),
                                                                venue.capacity),
            actor=actor, now=asked)
        if booking.status == BookingState.pending.value:
            decided = asked + timedelta(hours=rng.randint(1, 20))
            venues.approve_booking(session, booking, actor=manager, now=decided)
            _seen(session, booking, decided)
        if rng.random() < NO_SHOW_SHARE:
            venues.mark_no_show(session, booking, actor=actor,
                                now=start + timedelta(minutes=venue.no_show_after_minutes + 5))
        else:
            venues.check_in(session, booking, actor=actor,
                            now=start - timedelta(minutes=rng.randint(0, 30)))
    except DomainError:
        return 0  # a rule of this venue says no (a blackout, say): the demo simply skips it
    return 1


def _seen(session, booking, decided) -> None:
    """The approval notices of a past booking were sent, and read, back then."""
    for notice in session.scalars(select(Notification).where(
            Notification.link == f"/bookings/{booking.id}", Notification.read_at.is_(None))):
        notice.created_at, notice.read_at = decided, decided + timedelta(hours=1)
