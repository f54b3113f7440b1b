"""The venue data set of the benchmarks: ~10 venues and up to millions of bookings.

    load_venue_data(session, bookings=1_000_000, venues=10, years=5)

Bookings fill the venues' opening hours on the working days of the shared calendar over
`years` years ending AHEAD_DAYS after today, never overlapping within a venue; past ones are
mostly checked in, future ones mostly approved. Rows go in with core INSERTs in batches (no
ORM, no audit entries: this is a fixture, not user activity), newest first, so that SQLite's
overlap trigger, which looks at the venue's bookings starting before the new one ends, finds
nothing to scan. Days after AHEAD_DAYS (up to the venues' horizon) stay free for the booking
scenario to fill.
"""
import random
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text

from center.models.directory import Organization
from center.models.venues import Booking, Venue, VenueHours
from center.services import calendar

CENTER_TZ = ZoneInfo("Asia/Shanghai")
PREFIX = "基准·"  # names of the benchmark's venues, so a second run finds them
AHEAD_DAYS = 60  # the data set reaches this far into the future
HORIZON_DAYS = 730  # the benchmark venues book two years ahead
OPENS, CLOSES = time(8), time(21)
BATCH = 20_000
NAMES = ["多功能厅", "第一会议室", "第二会议室", "培训教室A", "培训教室B", "路演厅",
         "洽谈室一", "洽谈室二", "活动室", "沙龙区", "党建活动室", "心理咨询室"]
TITLES = ["理事会会议", "项目培训", "公益路演", "志愿者培训", "年检辅导", "财务培训",
          "社区议事会", "会员大会", "督导会", "沙龙分享", "能力建设工作坊", "筹款交流会"]
PAST_STATES = [("checked_in", 85), ("no_show", 4), ("cancelled", 8), ("rejected", 3)]
FUTURE_STATES = [("approved", 85), ("pending", 10), ("cancelled", 5)]


def load_venue_data(session, *, bookings: int, venues: int = 10, years: float = 5,
                    seed: int = 2026) -> dict:
    """Create the benchmark venues and bookings (once: a second call adds nothing)."""
    venue_ids = bench_venues(session, venues)
    first = date.today() - timedelta(days=round(years * 365.25) - AHEAD_DAYS)
    last = date.today() + timedelta(days=AHEAD_DAYS)
    existing = session.scalar(select(func.count()).select_from(Booking)
                              .where(Booking.venue_id.in_(venue_ids)))
    if bookings and not existing:
        days = [d.day for d in calendar.days_between(session, first, last) if d.is_workday]
        org_ids = session.scalars(select(Organization.id)
                                  .where(Organization.archived_at.is_(None))).all()
        insert_bookings(session, venue_ids, org_ids, days, bookings, random.Random(seed))
        analyze(session)
    total = session.scalar(select(func.count()).select_from(Booking))
    return {"venue_ids": venue_ids, "bookings": total, "first_day": first, "last_day": last}


def bench_venues(session, count: int) -> list[int]:
    """The benchmark's venues (Monday–Friday 08:00–21:00, two-year horizon, no quota)."""
    names = [PREFIX + NAMES[n % len(NAMES)] + (str(n // len(NAMES) + 1) if n >= len(NAMES)
                                              else "") for n in range(count)]
    found = set(session.scalars(select(Venue.name).where(Venue.name.in_(names))))
    for n, name in enumerate(names):
        if name in found:
            continue
        session.add(Venue(
            name=name, location=f"{n // 4 + 1} 层", capacity=(20, 40, 80, 150)[n % 4],
            equipment="投影仪、音响、白板", requires_approval=n % 3 == 0, min_lead_minutes=60,
            max_length_minutes=240, horizon_days=HORIZON_DAYS, monthly_quota=None,
            hours=[VenueHours(weekday=d, opens_at=OPENS, closes_at=CLOSES) for d in range(5)]))
    session.commit()
    return list(session.scalars(select(Venue.id).where(Venue.name.in_(names)).order_by(Venue.id)))


def insert_bookings(session, venue_ids, org_ids, days, total: int, rng) -> None:
    """`total` bookings spread evenly over venues × days, written newest first in batches."""
    slots = len(venue_ids) * len(days)
    now = datetime.now(timezone.utc)
    connection, table = session.connection(), Booking.__table__  # core: one executemany a batch
    batch = []
    for index, (day, venue_id) in enumerate((d, v) for d in reversed(days) for v in venue_ids):
        per_day = total // slots + (1 if index < total % slots else 0)
        for start, end in reversed(day_slots(day, per_day, rng)):
            batch.append(booking_row(venue_id, rng.choice(org_ids), start, end, now, rng))
        if len(batch) >= BATCH:
            connection.execute(insert(table), batch)
            batch = []
    if batch:
        connection.execute(insert(table), batch)
    session.commit()


def day_slots(day: date, count: int, rng) -> list[tuple[datetime, datetime]]:
    """`count` non-overlapping (start, end) in the day's opening hours, each in its own share
    of the day; on a 5-minute grid unless the shares are shorter than 10 minutes."""
    if count <= 0:
        return []
    width = (CLOSES.hour - OPENS.hour) * 60 // count
    if width < 5:
        raise ValueError(f"{count} bookings do not fit in one day: add venues or years")
    step = 5 if width >= 10 else 1
    width -= width % step
    opening = datetime.combine(day, OPENS, CENTER_TZ).astimezone(timezone.utc)
    slots = []
    for n in range(count):
        longest = min(width, 240)
        length = rng.randint(min(max(5, width // 2), longest), longest) // step * step
        offset = n * width + step * rng.randint(0, (width - length) // step)
        start = opening + timedelta(minutes=offset)
        slots.append((start, start + timedelta(minutes=length)))
    return slots


def booking_row(venue_id, org_id, start, end, now, rng) -> dict:
    past = end < now
    states = PAST_STATES if past else FUTURE_STATES
    status = rng.choices([s for s, _w in states], weights=[w for _s, w in states])[0]
    created = start - timedelta(days=rng.randrange(2, 45))
    decided = created + timedelta(hours=rng.randrange(1, 48))
    return {
        "venue_id": venue_id, "organization_id": org_id, "title": rng.choice(TITLES),
        "attendees": rng.randrange(5, 20), "starts_at": start, "ends_at": end, "status": status,
        "created_at": created,
        "decided_at": decided if status in ("approved", "rejected", "checked_in", "no_show",
                                            "cancelled") else None,
        "decision_reason": "时段已安排中心活动" if status == "rejected" else None,
        "checked_in_at": start + timedelta(minutes=rng.randrange(-10, 10))
        if status == "checked_in" else None,
        "cancelled_at": created + timedelta(days=1) if status == "cancelled" else None,
    }


def analyze(session) -> None:
    """Planner statistics for the new rows, as autovacuum (PostgreSQL) or PRAGMA optimize
    (SQLite) would gather in production."""
    session.execute(text("ANALYZE"))
    session.commit()
