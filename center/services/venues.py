"""Venues and their bookings: every write path, as verb_noun(session, *, ..., actor, now=None).

The rules themselves live in `venue_rules`, the waitlist and the periodic jobs in `venue_jobs`;
both are re-exported here, so callers import everything from `center.services.venues`.
"""
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from center.models.base import utcnow
from center.models.venues import (MAX_BOOKING_SPAN, Booking, BookingState, Venue, VenueBlackout,
                                  VenueHours, WaitlistState)
from center.services import audit
from center.services.errors import NotFoundError, ValidationError
from center.services.field_checks import ascii_int
from center.services.venue_jobs import (  # noqa: F401 - re-exported for callers
    accept_offer, expire_holds, join_waitlist, mark_no_show, offer_freed_slot, release_no_shows,
    settle_entry)
from center.services.venue_rules import (  # noqa: F401 - re-exported for callers
    CENTER_TZ, WEEKDAYS, BookingConflict, aware, booking_problems, can_book_for,
    can_decide_booking, can_manage_booking, can_view_booking, find_conflict, insert_booking,
    local, notify_booking, opening_hours, raise_problems, require, slot_problems,
    span_text, transition, write_lock)

MAX_OCCURRENCES = 52  # a year of weekly dates
VENUE_DEFAULTS = {"location": None, "equipment": None, "description": None,
                  "requires_approval": True, "min_lead_minutes": 24 * 60,
                  "max_length_minutes": 4 * 60, "horizon_days": 60, "monthly_quota": None,
                  "no_show_after_minutes": 30, "hold_minutes": 24 * 60}
# column: (smallest allowed value, message when smaller or not a whole number)
VENUE_NUMBERS = {
    "capacity": (1, _l("容量须为正整数。")),
    "min_lead_minutes": (0, _l("提前预约时间须为不小于 0 的整数（分钟）。")),
    "max_length_minutes": (1, _l("最长时长须为正整数（分钟），且不超过 1440 分钟（一天）。")),
    "horizon_days": (1, _l("可预约天数须为正整数。")),
    "monthly_quota": (1, _l("每月次数上限须为正整数，不限则留空。")),
    "no_show_after_minutes": (1, _l("未到场判定时间须为正整数（分钟）。")),
    "hold_minutes": (1, _l("候补保留时间须为正整数（分钟）。")),
}


# --- venues, blackouts, feed token --------------------------------------------------------------

def get_venue(session, venue_id) -> Venue:
    venue_id = ascii_int(str(venue_id or ""))
    venue = session.get(Venue, venue_id) if venue_id is not None else None
    if venue is None:
        raise NotFoundError(_l("场地不存在。"), {"venue_id": _l("场地不存在。")})
    return venue


def get_booking(session, booking_id) -> Booking:
    booking_id = ascii_int(str(booking_id or ""))
    booking = session.get(Booking, booking_id) if booking_id is not None else None
    if booking is None:
        raise NotFoundError(_l("预约不存在。"))
    return booking


def _number_problem(key, value):
    smallest, message = VENUE_NUMBERS[key]
    if value is None and key == "monthly_quota":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < smallest:
        return message
    if key == "max_length_minutes" and value > MAX_BOOKING_SPAN.total_seconds() // 60:
        return message
    return None


def _hours_problems(hours: dict) -> dict:
    for weekday, pair in sorted(hours.items()):
        opens, closes = pair if isinstance(pair, tuple) and len(pair) == 2 else (None, None)
        if weekday not in range(7) or not isinstance(opens, time) or not isinstance(closes, time):
            return {"hours": _l("开放时间格式不正确。")}
        if closes <= opens:
            return {"hours": _l("%(weekday)s的关门时间须晚于开门时间。", weekday=WEEKDAYS[weekday])}
    return {}


def _venue_values(session, data: dict, existing: Venue | None) -> dict:
    """Cleaned column values from data (missing keys keep the current or default value)."""
    current = ({key: getattr(existing, key) for key in VENUE_DEFAULTS} if existing
               else VENUE_DEFAULTS)
    values = {key: data.get(key, current[key]) for key in VENUE_DEFAULTS}
    values["name"] = (data.get("name", existing.name if existing else "") or "").strip()
    values["capacity"] = data.get("capacity", existing.capacity if existing else None)
    problems = {key: message for key in VENUE_NUMBERS
                if (message := _number_problem(key, values[key])) is not None}
    if not values["name"] or len(values["name"]) > 100:
        problems["name"] = _l("请填写场地名称（不超过 100 个字）。")
    elif session.scalar(select(Venue.id).where(func.lower(Venue.name) == values["name"].lower(),
                                               Venue.id != (existing.id if existing else -1))):
        problems["name"] = _l("已有同名场地。")
    problems.update(_hours_problems(data.get("hours") or {}))
    raise_problems(problems)
    for key in ("location", "equipment", "description"):
        values[key] = (values[key] or "").strip() or None
    return values


def _set_hours(venue: Venue, hours: dict) -> None:
    """Change rows in place by weekday (replacing them would collide on the unique weekday)."""
    rows = {row.weekday: row for row in venue.hours}
    for weekday, row in rows.items():
        if weekday not in hours:
            venue.hours.remove(row)
    for weekday, (opens, closes) in sorted(hours.items()):
        row = rows.get(weekday) or VenueHours(weekday=weekday)
        row.opens_at, row.closes_at = opens, closes
        if weekday not in rows:
            venue.hours.append(row)


def create_venue(session, data: dict, *, actor) -> Venue:
    """A venue with a unique name, a positive capacity, valid rules and opening hours
    (`hours`: {weekday 0=Monday: (opens, closes)}; a weekday without hours is closed)."""
    audit.acting(session, actor)
    venue = Venue(**_venue_values(session, data, None))
    _set_hours(venue, data.get("hours") or {})
    session.add(venue)
    session.flush()
    return venue


def update_venue(session, venue: Venue, data: dict, *, actor) -> Venue:
    """Change a venue's details, rules and (when `hours` is given) its opening hours."""
    audit.acting(session, actor)
    for key, value in _venue_values(session, data, venue).items():
        setattr(venue, key, value)
    if "hours" in data:
        _set_hours(venue, data["hours"] or {})
    session.flush()
    return venue




def add_blackout(session, *, venue, starts_at, ends_at, reason, actor) -> VenueBlackout:
    """Block a period for one venue (or every venue when venue is None) against new bookings."""
    starts_at, ends_at, reason = aware(starts_at), aware(ends_at), (reason or "").strip()
    problems = {}
    if starts_at is None:
        problems["starts_at"] = _l("请填写开始时间。")
    if ends_at is None or (starts_at is not None and ends_at <= starts_at):
        problems["ends_at"] = _l("结束时间须晚于开始时间。")
    if not reason or len(reason) > 200:
        problems["reason"] = _l("请填写原因（不超过 200 个字）。")
    raise_problems(problems)
    audit.acting(session, actor)
    blackout = VenueBlackout(venue=venue, starts_at=starts_at, ends_at=ends_at, reason=reason)
    session.add(blackout)
    session.flush()
    return blackout




def rotate_feed_token(session, venue: Venue, *, actor) -> str:
    """A new secret for the venue's iCalendar link; the old link stops working at once."""
    audit.acting(session, actor)
    venue.feed_token = secrets.token_urlsafe(32)
    session.flush()
    return venue.feed_token


# --- requests -----------------------------------------------------------------------------------

def _new_booking(venue, organization, title, starts_at, ends_at, attendees, actor, now,
                 series_id=None) -> Booking:
    status = BookingState.pending if venue.requires_approval else BookingState.approved
    return Booking(venue_id=venue.id, venue=venue, organization_id=organization.id,
                   organization=organization, title=title.strip(), attendees=attendees,
                   starts_at=aware(starts_at), ends_at=aware(ends_at), status=status.value,
                   series_id=series_id, requested_by_id=getattr(actor, "id", None),
                   decided_at=None if venue.requires_approval else now)


def request_booking(session, *, venue, organization, title, starts_at, ends_at, attendees,
                    actor, now=None) -> Booking:
    """Book a slot: every rule of slot_problems, no overlap with a live booking (also against
    concurrent requests, via the database), an org user only for their own organization.
    Approved at once unless the venue requires approval (then pending)."""
    now = now or utcnow()
    require(can_book_for(actor, organization))
    raise_problems(booking_problems(session, venue=venue, organization=organization, title=title,
                                    starts_at=starts_at, ends_at=ends_at, attendees=attendees,
                                    now=now))
    audit.acting(session, actor)
    return insert_booking(session, _new_booking(venue, organization, title, starts_at, ends_at,
                                                attendees, actor, now))


@dataclass
class Occurrence:
    starts_at: datetime
    ends_at: datetime
    problems: dict = field(default_factory=dict)
    conflict: Booking | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.conflict is None


def weekly_dates(starts_at, ends_at, *, count=None, until: date | None = None):
    """(start, end) pairs at the same local time each week: count of them, or up to until."""
    if (count is None) == (until is None):
        raise ValidationError(_l("请填写重复次数或截止日期（二选一）。"),
                              {"count": _l("请填写重复次数或截止日期（二选一）。")})
    start, end = local(aware(starts_at)), local(aware(ends_at))
    if until is not None:
        count = (until - start.date()).days // 7 + 1
        if count < 1:
            raise ValidationError(_l("截止日期须不早于第一次的日期。"),
                                  {"until": _l("截止日期须不早于第一次的日期。")})
    if not isinstance(count, int) or not 1 <= count <= MAX_OCCURRENCES:
        message = _l("重复次数须在 1 到 %(n)d 之间。", n=MAX_OCCURRENCES)
        raise ValidationError(message, {"until" if until else "count": message})
    # Shift the wall-clock time, not the instant, so the local time holds across zone changes.
    return [(_shift(start, week), _shift(end, week)) for week in range(count)]


def _shift(moment: datetime, weeks: int) -> datetime:
    wall = moment.replace(tzinfo=None) + timedelta(weeks=weeks)
    return wall.replace(tzinfo=CENTER_TZ)


def preview_series(session, *, venue, organization, title, starts_at, ends_at, attendees,
                   count=None, until=None, now=None) -> list[Occurrence]:
    """Each weekly occurrence with the rules it breaks (closed days and holidays among them)
    and the booking in its way; the monthly quota counts the earlier good dates too."""
    now = now or utcnow()
    planned: Counter = Counter()
    occurrences = []
    for start, end in weekly_dates(starts_at, ends_at, count=count, until=until):
        month = f"{start:%Y-%m}"
        problems = booking_problems(session, venue=venue, organization=organization, title=title,
                                    starts_at=start, ends_at=end, attendees=attendees, now=now,
                                    planned=planned[month])
        conflict = find_conflict(session, venue=venue, starts_at=start, ends_at=end)
        occurrences.append(Occurrence(start, end, problems, conflict))
        planned[month] += occurrences[-1].ok
    return occurrences


def book_series(session, *, venue, organization, title, occurrences, attendees, actor,
                now=None) -> list[Booking]:
    """Book the chosen (start, end) pairs under one series_id, all or nothing: if any one breaks
    a rule or is taken (also meanwhile, by someone else), nothing is stored and the error
    names that date."""
    now = now or utcnow()
    require(can_book_for(actor, organization))
    if not occurrences or len(occurrences) > MAX_OCCURRENCES:
        message = _l("请选择 1 到 %(n)d 个日期。", n=MAX_OCCURRENCES)
        raise ValidationError(message, {"starts_at": message})
    series_id, bookings = uuid.uuid4().hex, []
    audit.acting(session, actor)
    write_lock(session)
    with session.begin_nested():  # rolled back as a whole when any date fails
        for start, end in sorted(occurrences):
            bookings.append(_book_occurrence(session, venue, organization, title, start, end,
                                             attendees, actor, now, series_id))
    return bookings


def _book_occurrence(session, venue, organization, title, start, end, attendees, actor, now,
                     series_id) -> Booking:
    day = local(aware(start)).date().isoformat()
    problems = booking_problems(session, venue=venue, organization=organization, title=title,
                                starts_at=start, ends_at=end, attendees=attendees, now=now)
    if problems:
        problems = {key: _l("%(day)s：%(problem)s", day=day, problem=message)
                    for key, message in problems.items()}
        raise ValidationError(next(iter(problems.values())), problems)
    try:
        return insert_booking(session, _new_booking(venue, organization, title, start, end,
                                                    attendees, actor, now, series_id))
    except BookingConflict as conflict:
        message = _l("%(day)s：%(problem)s", day=day, problem=conflict.message)
        raise BookingConflict(conflict.conflicting, message) from None


# --- decisions and the day itself ---------------------------------------------------------------

def approve_booking(session, booking: Booking, *, actor, now=None) -> Booking:
    """A manager approves a pending request that has not begun; the requester is told."""
    now = now or utcnow()
    require(can_decide_booking(actor, booking))
    if booking.status == BookingState.pending.value and booking.starts_at <= now:
        raise ValidationError(_l("预约时间已过，不能再批准。"))
    transition(session, booking, to=BookingState.approved.value, allowed_from={"pending"},
               verb=_l("批准"), actor=actor, decided_at=now, decided_by_id=actor.id)
    notify_booking(session, booking, kind="booking_approved",
                   title=_l("场地预约已批准：%(title)s", title=booking.title),
                   body=f"{booking.venue.name}，{span_text(booking.starts_at, booking.ends_at)}")
    return booking


def reject_booking(session, booking: Booking, *, reason, actor, now=None) -> Booking:
    """A manager rejects a pending request, always with a reason; the requester is told and
    the freed slot is offered to the waitlist."""
    now = now or utcnow()
    require(can_decide_booking(actor, booking))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_l("请填写驳回理由。"), {"reason": _l("请填写驳回理由。")})
    transition(session, booking, to=BookingState.rejected.value, allowed_from={"pending"},
               verb=_l("驳回"), actor=actor, reason=reason, decided_at=now,
               decided_by_id=actor.id, decision_reason=reason)
    notify_booking(session, booking, kind="booking_rejected",
                   title=_l("场地预约未获批准：%(title)s", title=booking.title),
                   body=_l("理由：%(reason)s", reason=reason))
    offer_freed_slot(session, venue=booking.venue, starts_at=booking.starts_at,
                     ends_at=booking.ends_at, now=now)
    return booking


def cancel_booking(session, booking: Booking, *, actor, reason=None, now=None) -> Booking:
    """Cancel a booking that has not begun: an approved one, a pending request (withdrawn) or
    a waitlist offer (declined). The freed slot is offered to the waitlist."""
    now = now or utcnow()
    require(can_manage_booking(actor, booking))
    if booking.is_live and booking.starts_at <= now:
        raise ValidationError(_l("预约已开始，不能取消。"))
    was_offer = booking.status == BookingState.held.value
    transition(session, booking, to=BookingState.cancelled.value,
               allowed_from={"approved", "pending", "held"}, verb=_l("取消"), actor=actor,
               reason=(reason or "").strip() or None, cancelled_at=now)
    if was_offer:
        settle_entry(session, booking, WaitlistState.withdrawn)
    offer_freed_slot(session, venue=booking.venue, starts_at=booking.starts_at,
                     ends_at=booking.ends_at, now=now)
    return booking


CHECK_IN_EARLY = timedelta(hours=1)


def check_in(session, booking: Booking, *, actor, now=None) -> Booking:
    """Front desk checks an approved booking in, from an hour before its start until its end."""
    now = now or utcnow()
    require(actor is not None and actor.has_role("admin", "manager", "frontdesk"))
    if booking.status == BookingState.approved.value and not (
            booking.starts_at - CHECK_IN_EARLY <= now < booking.ends_at):
        raise ValidationError(_l("只能在活动开始前 1 小时到结束之间签到。"))
    return transition(session, booking, to=BookingState.checked_in.value,
                      allowed_from={"approved"}, verb=_l("签到"), actor=actor, checked_in_at=now)


__all__ = [
    "CENTER_TZ", "MAX_OCCURRENCES", "BookingConflict", "Occurrence",
    "accept_offer", "add_blackout", "approve_booking",
    "book_series", "can_book_for", "can_decide_booking", "can_manage_booking", "can_view_booking",
    "cancel_booking", "check_in", "create_venue", "expire_holds", "find_conflict", "get_booking",
    "get_venue", "join_waitlist", "local", "mark_no_show", "offer_freed_slot", "opening_hours",
    "preview_series", "reject_booking", "release_no_shows", "request_booking",
    "rotate_feed_token", "settle_entry", "slot_problems", "span_text", "update_venue",
    "weekly_dates",
]
