"""Helpers shared by the /api/v1/venues and /api/v1/bookings tests.

The API takes no clock, so bookings are made on working days computed from today.
"""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from center.models.base import utcnow
from center.models.venues import Booking, Venue, VenueHours
from center.services import calendar

TZ = ZoneInfo("Asia/Shanghai")
VENUES, BOOKINGS = "/api/v1/venues", "/api/v1/bookings"


def make_venue(session, **fields) -> Venue:
    """A venue open 08:00–21:00 Monday to Friday that books far ahead, no approval."""
    n = session.scalar(select(func.count()).select_from(Venue)) + 1
    hours = fields.pop("hours", None) or [
        VenueHours(weekday=d, opens_at=time(8), closes_at=time(21)) for d in range(5)]
    values = dict(name=f"测试场地{n}", location="三层", capacity=30, equipment="投影仪",
                  requires_approval=False, min_lead_minutes=60, max_length_minutes=240,
                  horizon_days=400, monthly_quota=None) | fields
    venue = Venue(**values, hours=hours)
    session.add(venue)
    session.flush()
    return venue


def workday(session, days_ahead: int) -> date:
    """The first Monday–Friday working day at least `days_ahead` days from today."""
    day = date.today() + timedelta(days=days_ahead)
    while day.weekday() >= 5 or not calendar.is_workday(session, day):
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TZ)


def make_booking(session, venue, organization, start, end, *, status="approved", **fields):
    booking = Booking(venue=venue, organization=organization, title=fields.pop("title", "例会"),
                      attendees=fields.pop("attendees", 10), starts_at=start, ends_at=end,
                      status=status, decided_at=utcnow() if status == "approved" else None,
                      **fields)
    session.add(booking)
    session.flush()
    return booking


def request_body(venue, organization=None, start=None, end=None, **overrides) -> dict:
    body = {"venue_id": venue.id, "title": "理事会会议", "attendees": 12,
            "start": start.isoformat() if start else None, "end": end.isoformat() if end else None}
    if organization is not None:
        body["organization_id"] = organization.id
    return body | overrides


def booking_count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Booking))
