"""The waitlist for taken slots, and the periodic jobs that release lapsed holds and no-shows.

The jobs (`expire_holds`, `release_no_shows`) are idempotent: each changes a booking only
through a guarded transition from the state it looks for, so a second run finds nothing.
"""
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from center.models.base import utcnow
from center.models.venues import Booking, BookingState, WaitlistEntry, WaitlistState
from center.services import audit
from center.services.errors import ConflictError, ValidationError
from center.services.venue_rules import (BookingConflict, aware, booking_problems, can_book_for,
                                         can_manage_booking, find_conflict, insert_booking,
                                         moment_text, notify_booking, raise_problems, require,
                                         span_text, transition)


def join_waitlist(session, *, venue, organization, title, starts_at, ends_at, attendees, actor,
                  now=None) -> WaitlistEntry:
    """Wait for a slot that is taken now; every other booking rule must hold, and an
    organization waits at most once for overlapping times of one venue."""
    now, starts_at, ends_at = now or utcnow(), aware(starts_at), aware(ends_at)
    require(can_book_for(actor, organization))
    raise_problems(booking_problems(session, venue=venue, organization=organization, title=title,
                                    starts_at=starts_at, ends_at=ends_at, attendees=attendees,
                                    now=now))
    if find_conflict(session, venue=venue, starts_at=starts_at, ends_at=ends_at) is None:
        message = _l("该时段空闲，可以直接预约。")
        raise ValidationError(message, {"starts_at": message})
    if session.scalars(_waiting(venue, starts_at, ends_at).where(
            WaitlistEntry.organization_id == organization.id)).first() is not None:
        message = _l("该组织已在这个时段的候补名单中。")
        raise ValidationError(message, {"starts_at": message})
    audit.acting(session, actor)
    entry = WaitlistEntry(venue=venue, organization=organization, title=title.strip(),
                          attendees=attendees, starts_at=starts_at, ends_at=ends_at,
                          requested_by_id=getattr(actor, "id", None), created_at=now)
    session.add(entry)
    session.flush()
    return entry


def _waiting(venue, starts_at, ends_at):
    """Waiting entries of venue overlapping [starts_at, ends_at), first come first."""
    return select(WaitlistEntry).where(
        WaitlistEntry.venue_id == venue.id, WaitlistEntry.status == WaitlistState.waiting.value,
        WaitlistEntry.starts_at < ends_at, WaitlistEntry.ends_at > starts_at,
    ).order_by(WaitlistEntry.created_at, WaitlistEntry.id)


def offer_freed_slot(session, *, venue, starts_at, ends_at, now=None) -> list[Booking]:
    """Offer freed time to the waitlist: in order of joining, each waiting entry that overlaps
    it, has not begun and is now wholly free gets a `held` booking until
    now + venue.hold_minutes (at the latest its start), and its organization is told."""
    now = now or utcnow()
    offers = []
    for entry in session.scalars(_waiting(venue, max(starts_at, now), ends_at)).all():
        if entry.starts_at > now and find_conflict(
                session, venue=venue, starts_at=entry.starts_at, ends_at=entry.ends_at) is None:
            offers += _hold_for(session, entry, now)
    return offers


def _hold_for(session, entry: WaitlistEntry, now) -> list[Booking]:
    expires = min(now + timedelta(minutes=entry.venue.hold_minutes), entry.starts_at)
    booking = Booking(venue_id=entry.venue_id, organization_id=entry.organization_id,
                      title=entry.title, attendees=entry.attendees, starts_at=entry.starts_at,
                      ends_at=entry.ends_at, status=BookingState.held.value,
                      hold_expires_at=expires, requested_by_id=entry.requested_by_id,
                      created_at=now)
    try:
        insert_booking(session, booking)
    except BookingConflict:  # taken in the meantime: the entry keeps waiting
        return []
    entry.status, entry.booking_id = WaitlistState.offered.value, booking.id
    session.flush()
    notify_booking(session, booking, kind="booking_offered",
                   title=_l("候补场地已为您保留：%(title)s", title=booking.title),
                   body=_l("%(venue)s，%(span)s。请在 %(deadline)s 前确认，逾期自动释放。",
                           venue=entry.venue.name,
                           span=span_text(booking.starts_at, booking.ends_at),
                           deadline=moment_text(expires)))
    return [booking]


def settle_entry(session, booking: Booking, status: WaitlistState) -> None:
    """Close the waitlist entry an offer was made for (accepted, lapsed, withdrawn), if any."""
    entry = session.scalar(select(WaitlistEntry).where(WaitlistEntry.booking_id == booking.id))
    if entry is not None:
        entry.status = status.value
        session.flush()


def accept_offer(session, booking: Booking, *, actor, now=None) -> Booking:
    """Take up a waitlist offer before its hold expires: it becomes a request like any other,
    pending when the venue requires approval, else approved."""
    now = now or utcnow()
    require(can_manage_booking(actor, booking))
    if booking.status == BookingState.held.value and booking.hold_expires_at <= now:
        raise ValidationError(_l("保留已过期，不能再确认。"))
    approved = not booking.venue.requires_approval
    state = BookingState.approved if approved else BookingState.pending
    transition(session, booking, to=state.value,
               allowed_from={"held"}, verb=_l("确认"), actor=actor,
               decided_at=now if approved else None)
    settle_entry(session, booking, WaitlistState.accepted)
    return booking


def expire_holds(session, *, now=None) -> int:
    """Job: holds past hold_expires_at become `expired`, their entries `lapsed`, and the slot
    is offered to the next in line. Returns how many holds expired."""
    now = now or utcnow()
    held = session.scalars(select(Booking).where(Booking.status == BookingState.held.value,
                                                 Booking.hold_expires_at <= now)).all()
    return sum(_expire(session, booking, now) for booking in held)


def _expire(session, booking, now) -> bool:
    try:
        transition(session, booking, to=BookingState.expired.value, allowed_from={"held"},
                   verb=_l("释放"), actor=None, reason=str(_l("保留到期未确认")))
    except ConflictError:  # a concurrent run or the organization got there first
        return False
    settle_entry(session, booking, WaitlistState.lapsed)
    offer_freed_slot(session, venue=booking.venue, starts_at=booking.starts_at,
                     ends_at=booking.ends_at, now=now)
    return True


def mark_no_show(session, booking: Booking, *, actor, now=None) -> Booking:
    """Front desk marks an approved booking that has begun as a no-show; the rest of its time
    goes to the waitlist."""
    now = now or utcnow()
    require(actor is not None and actor.has_role("admin", "manager", "frontdesk"))
    if booking.status == BookingState.approved.value and booking.starts_at > now:
        raise ValidationError(_l("活动尚未开始，不能标记为未到场。"))
    return _no_show(session, booking, actor=actor, now=now)


def _no_show(session, booking, *, actor, now, reason=None) -> Booking:
    transition(session, booking, to=BookingState.no_show.value, allowed_from={"approved"},
               verb=_l("标记为未到场"), actor=actor, reason=reason)
    if now < booking.ends_at:
        offer_freed_slot(session, venue=booking.venue, starts_at=max(now, booking.starts_at),
                         ends_at=booking.ends_at, now=now)
    return booking


def release_no_shows(session, *, now=None) -> int:
    """Job: approved bookings not checked in venue.no_show_after_minutes after their start
    become `no_show`, and their remaining time goes to the waitlist. Returns how many."""
    now = now or utcnow()
    started = session.scalars(select(Booking).where(
        Booking.status == BookingState.approved.value, Booking.starts_at <= now)
        .order_by(Booking.starts_at)).all()
    late = [b for b in started
            if b.starts_at + timedelta(minutes=b.venue.no_show_after_minutes) <= now]
    return sum(_release(session, booking, now) for booking in late)


def _release(session, booking, now) -> bool:
    try:
        _no_show(session, booking, actor=None, now=now, reason=str(_l("开始后未按时签到")))
    except ConflictError:  # checked in, or released by a concurrent run, meanwhile
        return False
    return True
