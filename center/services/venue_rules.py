"""The rules of booking a venue, and the two guarded writes every booking path goes through.

Read by `center.services.venues` (requests, series, decisions) and `venue_jobs` (waitlist,
no-shows); import the public names from `center.services.venues`.

Times are stored in UTC; opening hours and calendar days are the center's local time.
No two live bookings of one venue overlap: `find_conflict` gives the friendly answer, the
database (PostgreSQL exclusion constraint, SQLite trigger) the guarantee, and `insert_booking`
turns the database's refusal into the same BookingConflict.
"""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from center.models.accounts import User
from center.models.venues import (BOOKING_STATE_LABELS, LIVE_STATES, MAX_BOOKING_SPAN, Booking,
                                  Venue, VenueBlackout)
from center.services import audit
from center.services.calendar import DayInfo, day_info
from center.services.errors import ConflictError, PermissionDenied, ValidationError

CENTER_TZ = ZoneInfo("Asia/Shanghai")
BOOKERS = ("admin", "manager", "frontdesk")  # may book for any organization
DECIDERS = ("admin", "manager")  # approve and reject
VIEWERS = ("admin", "manager", "frontdesk", "reviewer", "supervisor")
WEEKDAYS = (_l("周一"), _l("周二"), _l("周三"), _l("周四"), _l("周五"), _l("周六"), _l("周日"))


# --- time ---------------------------------------------------------------------------------------

def local(moment: datetime) -> datetime:
    return moment.astimezone(CENTER_TZ)


def aware(moment: datetime | None) -> datetime | None:
    """A moment without a zone is read as the center's local time."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=CENTER_TZ)


def span_text(starts_at: datetime, ends_at: datetime) -> str:
    """'2026-09-14 09:00–11:00' in local time (both dates when it spans midnight)."""
    start, end = local(starts_at), local(ends_at)
    tail = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%Y-%m-%d %H:%M")
    return f"{start:%Y-%m-%d %H:%M}–{tail}"


def moment_text(moment: datetime) -> str:
    return f"{local(moment):%Y-%m-%d %H:%M}"


def duration_text(minutes: int) -> str:
    if minutes % 60 == 0:
        return gettext("%(n)d 小时", n=minutes // 60)
    return gettext("%(n)d 分钟", n=minutes)


def month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The local calendar month holding moment, as [first instant, first instant of the next)."""
    start = local(moment).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


# --- conflicts ----------------------------------------------------------------------------------

class BookingConflict(ConflictError):
    """The slot is taken by a live booking (`conflicting`, None when the database gave no name)."""

    code = "booking_conflict"
    status = 409

    def __init__(self, conflicting: Booking | None, message=None, fields: dict | None = None):
        message = message or conflict_message(conflicting)
        super().__init__(message, fields or {"starts_at": message})
        self.conflicting = conflicting


def conflict_message(booking: Booking | None):
    if booking is None:
        return _l("该时段已被其他预约占用，请换一个时间。")
    return _l("与“%(title)s”（%(org)s，%(span)s）时间冲突。", title=booking.title,
              org=booking.organization.name, span=span_text(booking.starts_at, booking.ends_at))


def _id(thing):
    return getattr(thing, "id", thing)


def find_conflict(session, *, venue, starts_at, ends_at, ignore_booking=None) -> Booking | None:
    """The earliest live booking of venue overlapping [starts_at, ends_at); back-to-back is fine.

    Bookings last at most MAX_BOOKING_SPAN, so the search reads one day of the venue's index
    instead of its whole history."""
    stmt = (select(Booking)
            .where(Booking.venue_id == _id(venue), Booking.status.in_(LIVE_STATES),
                   Booking.starts_at > starts_at - MAX_BOOKING_SPAN,
                   Booking.starts_at < ends_at, Booking.ends_at > starts_at)
            .order_by(Booking.starts_at).limit(1))
    if ignore_booking is not None:
        stmt = stmt.where(Booking.id != _id(ignore_booking))
    return session.scalar(stmt)


# --- opening hours ------------------------------------------------------------------------------

def opening_hours(venue: Venue, info: DayInfo) -> tuple[time, time] | None:
    """(opens, closes) of venue on a day, or None when closed.

    Open iff the day is a working day of the shared calendar (so closed on statutory holidays)
    and the venue has hours for its weekday; a make-up workday (调休) on a weekend without hours
    of its own follows Monday's hours, as it stands in for a normal working day.
    """
    if not info.is_workday:
        return None
    by_weekday = {row.weekday: row for row in venue.hours}
    row = by_weekday.get(info.day.weekday())
    if row is None and info.is_weekend:
        row = by_weekday.get(0)
    return (row.opens_at, row.closes_at) if row else None


def _closed_message(info: DayInfo):
    day = info.day.isoformat()
    if not info.is_workday and info.name:
        return _l("%(day)s 为%(name)s假期，场地不开放。", day=day, name=gettext(info.name))
    if not info.is_workday:
        return _l("%(day)s 为休息日，场地不开放。", day=day)
    return _l("场地%(weekday)s不开放。", weekday=WEEKDAYS[info.day.weekday()])


def _hours_problem(session, venue, starts_at, ends_at):
    start, end = local(starts_at), local(ends_at)
    if end.date() != start.date():
        return _l("预约须在同一天内开始和结束。")
    info = day_info(session, start.date())
    hours = opening_hours(venue, info)
    if hours is None:
        return _closed_message(info)
    if start.time() < hours[0] or end.time() > hours[1]:
        return _l("场地当天开放时间为 %(opens)s–%(closes)s。",
                  opens=hours[0].strftime("%H:%M"), closes=hours[1].strftime("%H:%M"))
    return None


# --- the rules ----------------------------------------------------------------------------------

def _attendee_problem(venue, attendees):
    if not isinstance(attendees, int) or isinstance(attendees, bool):
        return _l("请填写参加人数。")
    if attendees < 1:
        return _l("参加人数至少为 1 人。")
    if attendees > venue.capacity:
        return _l("参加人数超过场地容量（%(capacity)d 人）。", capacity=venue.capacity)
    return None


def _when_problem(venue, starts_at, now):
    """In the past, inside the minimum lead time, or beyond the booking horizon."""
    if starts_at <= now:
        return _l("开始时间已过。")
    if starts_at < now + timedelta(minutes=venue.min_lead_minutes):
        return _l("须至少提前 %(lead)s预约。", lead=duration_text(venue.min_lead_minutes))
    last_day: date = local(now).date() + timedelta(days=venue.horizon_days)
    if local(starts_at).date() > last_day:
        return _l("最多只能预约 %(days)d 天内的场地（至 %(last)s）。",
                  days=venue.horizon_days, last=last_day.isoformat())
    return None


def _blackout_problem(session, venue, starts_at, ends_at):
    blackout = session.scalar(
        select(VenueBlackout)
        .where(or_(VenueBlackout.venue_id == venue.id, VenueBlackout.venue_id.is_(None)),
               VenueBlackout.archived_at.is_(None),
               VenueBlackout.starts_at < ends_at, VenueBlackout.ends_at > starts_at)
        .order_by(VenueBlackout.starts_at).limit(1))
    if blackout is None:
        return None
    return _l("该时段场地暂停开放：%(reason)s（%(span)s）。", reason=blackout.reason,
              span=span_text(blackout.starts_at, blackout.ends_at))


def _quota_problem(session, venue, organization, starts_at, ignore_booking, planned):
    """Live bookings (checked-in included) of the organization at this venue in the local month."""
    if not venue.monthly_quota or organization is None:
        return None
    first, following = month_bounds(starts_at)
    stmt = select(func.count()).select_from(Booking).where(
        Booking.venue_id == venue.id, Booking.organization_id == organization.id,
        Booking.status.in_(LIVE_STATES), Booking.starts_at >= first, Booking.starts_at < following)
    if ignore_booking is not None:
        stmt = stmt.where(Booking.id != _id(ignore_booking))
    if session.scalar(stmt) + planned < venue.monthly_quota:
        return None
    return _l("该组织 %(month)s 在此场地的预约已达每月 %(quota)d 次的上限。",
              month=f"{first:%Y-%m}", quota=venue.monthly_quota)


def slot_problems(session, *, venue, organization, starts_at, ends_at, attendees, now,
                  ignore_booking=None, planned=0) -> dict:
    """Field -> message for every booking rule the slot breaks; empty when it may be booked.

    End after start, not in the past, at least the lead time ahead, within the horizon, at most
    the maximum length, inside the opening hours of an open day, outside every blackout of the
    venue or of all venues, attendees within capacity, and the organization's monthly quota
    (`planned` counts further bookings of the same request, e.g. earlier dates of a series).
    Overlap with other bookings is `find_conflict`'s question.
    """
    problems = {}
    add = problems.setdefault
    if (message := _attendee_problem(venue, attendees)) is not None:
        add("attendees", message)
    if starts_at is None or ends_at is None:
        if starts_at is None:
            add("starts_at", _l("请填写开始时间。"))
        if ends_at is None:
            add("ends_at", _l("请填写结束时间。"))
        return problems
    starts_at, ends_at = aware(starts_at), aware(ends_at)
    if ends_at < starts_at:
        add("ends_at", _l("结束时间须晚于开始时间。"))
        return problems
    if ends_at == starts_at:
        add("ends_at", _l("结束时间不能与开始时间相同。"))
        return problems
    if ends_at - starts_at > timedelta(minutes=venue.max_length_minutes):
        add("ends_at", _l("单次预约不能超过 %(length)s。", length=duration_text(venue.max_length_minutes)))
    for message in (_when_problem(venue, starts_at, now),
                    _hours_problem(session, venue, starts_at, ends_at),
                    _blackout_problem(session, venue, starts_at, ends_at)):
        if message is not None:
            add("starts_at", message)
    quota = _quota_problem(session, venue, organization, starts_at, ignore_booking, planned)
    if quota is not None:
        add("organization_id", quota)
    return problems


def booking_problems(session, *, venue, organization, title, starts_at, ends_at, attendees,
                     now, planned=0) -> dict:
    """slot_problems plus what a request itself needs: a live venue, an organization, a title."""
    problems = {}
    if venue is None or venue.archived_at is not None:
        problems["venue_id"] = _l("请选择一个在用的场地。")
    if organization is None or organization.archived_at is not None:
        problems["organization_id"] = _l("请选择一个在册的组织。")
    title = (title or "").strip()
    if not title:
        problems["title"] = _l("请填写活动名称。")
    elif len(title) > 200:
        problems["title"] = _l("活动名称不能超过 200 个字。")
    if "venue_id" in problems:
        return problems
    found = slot_problems(session, venue=venue, organization=organization, starts_at=starts_at,
                          ends_at=ends_at, attendees=attendees, now=now, planned=planned)
    return {**found, **problems}


def raise_problems(problems: dict) -> None:
    if problems:
        message = next(iter(problems.values())) if len(problems) == 1 else _l("请更正标出的内容。")
        raise ValidationError(message, problems)


# --- permission questions -----------------------------------------------------------------------

def _own(user, organization_id) -> bool:
    return user.has_role("org") and user.organization_id == organization_id


def can_book_for(user, organization) -> bool:
    """Staff book for any organization; an organization's contact only for their own."""
    return user is not None and (user.has_role(*BOOKERS) or _own(user, _id(organization)))


def can_view_booking(user, booking) -> bool:
    return user is not None and (user.has_role(*VIEWERS) or _own(user, booking.organization_id))


def can_manage_booking(user, booking) -> bool:
    """Cancel, accept an offer: staff who book, or the booking organization's contact."""
    return user is not None and (user.has_role(*BOOKERS) or _own(user, booking.organization_id))


def can_decide_booking(user, booking) -> bool:
    return user is not None and user.has_role(*DECIDERS)


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_l("您无权对这个预约进行此操作。"))


# --- the guarded writes -------------------------------------------------------------------------

def write_lock(session) -> None:
    """On SQLite, begin the write transaction now (BEGIN IMMEDIATE), so that the conflict check
    and the insert run under SQLite's single writer lock, and a SAVEPOINT never starts (and on
    release commits) the transaction itself. PostgreSQL needs nothing: the constraint decides."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _is_overlap(error: IntegrityError) -> bool:
    text = str(error.orig)
    return "bookings_no_overlap" in text or "booking_overlap" in text


def insert_booking(session, booking: Booking) -> Booking:
    """Store a new booking; an overlap, found here or refused by the database because a
    concurrent request won, raises BookingConflict and leaves the session usable."""
    write_lock(session)
    conflict = find_conflict(session, venue=booking.venue_id, starts_at=booking.starts_at,
                             ends_at=booking.ends_at)
    if conflict is not None and booking.status in LIVE_STATES:
        raise BookingConflict(conflict)
    try:
        with session.begin_nested():
            session.add(booking)
            session.flush()
    except IntegrityError as error:
        if not _is_overlap(error):
            raise
        raise BookingConflict(find_conflict(session, venue=booking.venue_id,
                                            starts_at=booking.starts_at,
                                            ends_at=booking.ends_at)) from None
    return booking


def transition(session, booking: Booking, *, to: str, allowed_from, verb, actor,
               reason=None, **values) -> Booking:
    """Move booking to state `to` if it is in one of allowed_from (else ValidationError naming
    its state). Written as UPDATE ... WHERE status = <the state we saw>: of two people acting
    at once exactly one changes the row, the other gets ConflictError. Audited with reason."""
    expected = booking.status
    if expected not in allowed_from:
        raise ValidationError(_l("该预约当前为“%(state)s”，不能%(verb)s。",
                                 state=BOOKING_STATE_LABELS[expected], verb=verb))
    audit.acting(session, actor)
    result = session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status == expected)
        .values(status=to, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise ConflictError(_l("该预约已被他人处理，请刷新后再看。"))
    # Write the same change through the object, so the audit hook records who, when and why.
    audit.with_reason(booking, reason)
    booking.status = to
    for key, value in values.items():
        setattr(booking, key, value)
    session.flush()
    return booking


def booking_recipients(session, booking) -> list[User]:
    """Who hears about a booking: whoever requested it, and the organization's active contacts."""
    users = list(session.scalars(select(User).where(
        User.role == "org", User.organization_id == booking.organization_id,
        User.is_active.is_(True), User.archived_at.is_(None)).order_by(User.id)))
    if booking.requested_by is not None and booking.requested_by not in users:
        users.insert(0, booking.requested_by)
    return users


def notify_booking(session, booking, *, kind: str, title, body=None) -> None:
    """Tell the booking's recipients (inbox and e-mail, sent after the commit)."""
    from center.services.notifications import notify  # the shared notifications module

    notify(session, booking_recipients(session, booking), kind=kind, title=str(title),
           body=None if body is None else str(body), link=f"/bookings/{booking.id}")
