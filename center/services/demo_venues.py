"""Demo venues of the center and a fortnight of bookings, so the booking pages have content."""
import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from center.models.base import utcnow
from center.models.directory import Organization
from center.models.venues import Venue
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


def add_venues(session, *, actor, now=None) -> int:
    """Create the demo venues and book them (as `actor`, a front-desk user) over the next two
    weeks; nothing when venues exist."""
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
