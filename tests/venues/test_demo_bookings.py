"""The demo's past bookings: the weekly report and the daily statistics have venue figures."""
from datetime import timedelta

from sqlalchemy import func, select

from center.models.base import utcnow
from center.models.notifications import Notification
from center.models.venues import Booking, BookingState
from center.services import calendar, demo, weekly_figures
from center.services.venue_rules import CENTER_TZ


def _last_complete_week_with_workdays(session, today):
    """Monday and Sunday of the latest complete ISO week with a working day (a week can be a
    holiday from end to end, e.g. the Spring Festival)."""
    monday = today - timedelta(days=today.weekday() + 7)
    while not any(info.is_workday for info in
                  calendar.days_between(session, monday, monday + timedelta(days=6))):
        monday -= timedelta(days=7)
    return monday, monday + timedelta(days=6)


def _figures(section) -> dict:
    return {f["key"]: f["value"] for f in section["figures"]}


def test_demo_last_complete_week_has_venue_figures(session):
    demo.build(session, scale=1)
    session.commit()
    today = utcnow().astimezone(CENTER_TZ).date()
    first, last = _last_complete_week_with_workdays(session, today)
    assert (today - first).days <= 7 * 6
    figures = _figures(weekly_figures.venue_figures(session, first, last))
    assert figures["bookings"] > 0 and figures["booked_hours"] > 0
    assert figures["utilization"] > 0 and figures["attendees"] > 0
    assert figures["checked_in"] > 0
    assert figures["bookings"] == figures["checked_in"]  # nothing of the past is left open
    collected = weekly_figures.collect(session, first, last)
    assert _figures(collected["modules"]["venues"])["bookings"] == figures["bookings"]


def test_demo_past_bookings_are_settled_and_realistic(session):
    demo.build(session, scale=1)
    session.commit()
    now = utcnow()
    past = session.scalars(select(Booking).where(Booking.starts_at < now - timedelta(days=1))).all()
    statuses = {b.status for b in past}
    assert statuses == {BookingState.checked_in.value, BookingState.no_show.value}
    no_shows = sum(b.status == BookingState.no_show.value for b in past)
    assert 0 < no_shows < len(past) / 4
    per_venue_day = {}
    for booking in past:
        key = (booking.venue_id, booking.starts_at.astimezone(CENTER_TZ).date())
        per_venue_day[key] = per_venue_day.get(key, 0) + 1
        assert calendar.is_workday(session, key[1])
        assert booking.attendees <= booking.venue.capacity
    assert max(per_venue_day.values()) <= 3
    assert all(b.checked_in_at is not None for b in past if b.status == "checked_in")
    approved = [b for b in past if b.venue.requires_approval]
    assert approved and all(b.decided_by_id is not None for b in approved)
    # the approval notices of the past were read back then: no flood of unread messages
    unread = session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "booking_approved", Notification.read_at.is_(None)))
    assert unread == 0


def test_demo_rerun_adds_no_bookings(session):
    demo.build(session, scale=1)
    session.commit()
    count = session.scalar(select(func.count()).select_from(Booking))
    demo.build(session, scale=1)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Booking)) == count
