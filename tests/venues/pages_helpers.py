"""Helpers shared by the venue booking page tests."""
import html
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from center.models.venues import Booking
from center.services.calendar import days_between
from center.services.venues import CENTER_TZ


def today() -> date:
    return datetime.now(CENTER_TZ).date()


def workdays(session, count: int, *, after: int = 3) -> list[date]:
    """The next `count` ordinary weekdays that are working days, at least `after` days ahead."""
    first = today() + timedelta(days=after)
    return [d.day for d in days_between(session, first, first + timedelta(days=90))
            if d.is_workday and not d.is_weekend][:count]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CENTER_TZ)


def field_html(page: str, name: str) -> str:
    """The form field block (label, input, errors) holding the input named name."""
    for chunk in page.split('<div class="field')[1:]:
        if f'name="{name}"' in chunk.split("</div>")[0]:
            return html.unescape(chunk.split("</div>")[0])
    raise AssertionError(f"no field {name}")


def bookings(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Booking))


def form_data(venue, day, start="10:00", end="12:00", **extra):
    return {"venue_id": str(venue.id), "title": "志愿者培训", "attendees": "20",
            "day": day.isoformat() if isinstance(day, date) else day, "start": start, "end": end,
            "action": "book", **extra}
