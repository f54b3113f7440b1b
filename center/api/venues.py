"""Venues and bookings (documented in venues_doc.py).

Times go out as ISO 8601 in the center's time zone (+08:00) and come in as ISO 8601 with an
offset; a time without an offset is refused rather than guessed.
"""
import re
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import raiseload, selectinload

from center.api import api
from center.api.common import (BadRequest, has_control_chars, json_object, paginated,
                               query_choice)
from center.auth import any_user, roles
from center.extensions import db
from center.models.directory import Organization
from center.models.venues import (BOOKING_STATE_LABELS, LIVE_STATES, Booking, BookingState,
                                  Venue)
from center.services import venues
from center.services.errors import (DomainError, NotFoundError, PermissionDenied,
                                    ValidationError)
from center.services.venues import CENTER_TZ

BOOKING_READERS = ("admin", "manager", "frontdesk", "reviewer", "supervisor", "org")
BOOKERS = ("admin", "manager", "frontdesk", "org")
STATE_CODES = tuple(s.value for s in BookingState)
TITLE_MAX = Booking.__table__.c.title.type.length
REASON_MAX = 500
# The service's field names → the API's.
FIELD_NAMES = {"starts_at": "start", "ends_at": "end"}
# A booking lies within one day's opening hours, so none lasts a day: this bounds the range
# scan of a period filter on the (venue_id, starts_at) index.
LONGEST_BOOKING = timedelta(days=1)
EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
_DATE = re.compile(r"[0-9]{4}-?[0-9]{2}-?[0-9]{2}")
_ID = re.compile(r"[0-9]{1,9}")
EXAMPLE = "2026-12-01T09:00:00+08:00"


# --- representations -------------------------------------------------------------------------

def local_iso(value: datetime) -> str:
    return value.astimezone(CENTER_TZ).isoformat()


def venue_item(venue: Venue) -> dict:
    return {
        "id": venue.id, "name": venue.name, "location": venue.location,
        "capacity": venue.capacity, "equipment": venue.equipment,
        "requires_approval": venue.requires_approval,
        "min_lead_minutes": venue.min_lead_minutes,
        "max_length_minutes": venue.max_length_minutes,
        "horizon_days": venue.horizon_days, "monthly_quota": venue.monthly_quota,
        "hours": [{"weekday": h.weekday, "opens": h.opens_at.strftime("%H:%M"),
                   "closes": h.closes_at.strftime("%H:%M")} for h in venue.hours],
    }


def booking_item(booking: Booking) -> dict:
    return {
        "id": booking.id, "venue_id": booking.venue_id,
        "organization_id": booking.organization_id, "title": booking.title,
        "start": local_iso(booking.starts_at), "end": local_iso(booking.ends_at),
        "attendees": booking.attendees, "status": booking.status,
        "status_label": str(BOOKING_STATE_LABELS.get(booking.status, booking.status)),
    }


def busy_item(booking: Booking) -> dict:
    """Another organization's booking as an organization user sees it: only that it is taken."""
    return {"id": booking.id, "venue_id": booking.venue_id, "start": local_iso(booking.starts_at),
            "end": local_iso(booking.ends_at), "status": booking.status}


def item_for(user):
    if user.role != "org":
        return booking_item
    return lambda b: booking_item(b) if b.organization_id == user.organization_id else busy_item(b)


# --- venues ----------------------------------------------------------------------------------

@api.route("/venues")
@any_user
def list_venues():
    stmt = (select(Venue).where(Venue.archived_at.is_(None))
            .options(selectinload(Venue.hours)).order_by(Venue.name, Venue.id))
    return jsonify(paginated(db.session, stmt, venue_item))


# --- bookings --------------------------------------------------------------------------------

@api.route("/bookings")
@roles(*BOOKING_READERS)
def list_bookings():
    stmt = (select(Booking).options(raiseload(Booking.venue), raiseload(Booking.organization))
            .order_by(Booking.starts_at, Booking.id))
    venue_id = query_id("venue_id")
    # Without a venue, name every venue so each one's (venue_id, starts_at) index is used.
    stmt = stmt.where(Booking.venue_id == venue_id if venue_id is not None
                      else Booking.venue_id.in_(select(Venue.id)))
    start, end = query_instant("from"), query_instant("to", end_of_day=True)
    if start is not None and end is not None and end <= start:
        raise BadRequest(_("参数 to 应晚于 from。"), {"to": _("应晚于 from。")})
    if start is not None:
        earliest = max(start, EARLIEST + LONGEST_BOOKING) - LONGEST_BOOKING
        stmt = stmt.where(Booking.ends_at > start, Booking.starts_at > earliest)
    if end is not None:
        stmt = stmt.where(Booking.starts_at < end)
    status = query_choice("status", STATE_CODES)
    if status:
        stmt = stmt.where(Booking.status == status)
    if g.user.role == "org":  # others' bookings only while they occupy the venue
        stmt = stmt.where(or_(Booking.organization_id == g.user.organization_id,
                              Booking.status.in_(LIVE_STATES)))
    return jsonify(paginated(db.session, stmt, item_for(g.user)))


@api.route("/bookings/<int:booking_id>")
@roles(*BOOKING_READERS)
def get_booking(booking_id):
    return jsonify(booking_item(visible_booking(booking_id)))


@api.route("/bookings", methods=["POST"])
@roles(*BOOKERS)
def create_booking():
    data = booking_input(json_object())
    organization = booking_organization(data["organization_id"])
    venue = db.session.get(Venue, data["venue_id"])
    if venue is None or venue.archived_at is not None:
        raise NotFoundError(_("场地不存在或已停用。"), {"venue_id": _("未知的场地。")})
    with service_errors():
        booking = venues.request_booking(
            db.session, venue=venue, organization=organization, title=data["title"],
            starts_at=data["start"], ends_at=data["end"], attendees=data["attendees"],
            actor=g.user)
    item = booking_item(booking)  # before the commit expires it: no second read
    db.session.commit()
    response = jsonify(item)
    response.headers["Location"] = url_for("api.get_booking", booking_id=booking.id)
    return response, 201


@api.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@roles(*BOOKERS)
def cancel_booking(booking_id):
    booking = visible_booking(booking_id)
    reason = cancel_reason(json_object() if request.get_data(cache=True) else {})
    with service_errors():
        venues.cancel_booking(db.session, booking, actor=g.user, reason=reason)
    item = booking_item(booking)
    db.session.commit()
    return jsonify(item)


def visible_booking(booking_id: int) -> Booking:
    """The booking if the user may see it in full; an organization's user sees only its own."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not venues.can_view_booking(g.user, booking):
        raise NotFoundError(_("预约不存在。"))
    return booking


@contextmanager
def service_errors():
    """A service error under the API's field names (start/end, not starts_at/ends_at); an
    organization user learns only the time of another organization's booking in the way."""
    try:
        yield
    except DomainError as error:
        if isinstance(error, venues.BookingConflict) and _hidden(error.conflicting):
            error.message = _("该时段已被占用（%(span)s），请换一个时间。", span=venues.span_text(
                error.conflicting.starts_at, error.conflicting.ends_at))
            error.fields = {"starts_at": error.message}
        error.fields = {FIELD_NAMES.get(k, k): v for k, v in error.fields.items()}
        raise


def _hidden(booking: Booking | None) -> bool:
    return (booking is not None and g.user.role == "org"
            and booking.organization_id != g.user.organization_id)


# --- input -----------------------------------------------------------------------------------

def booking_input(body: dict) -> dict:
    """The typed values of a booking request; ValidationError naming every bad field."""
    problems, data = {}, {}
    readers = {"venue_id": _id_value, "organization_id": _id_value, "title": _title_value,
               "start": parse_instant, "end": parse_instant, "attendees": _count_value}
    for key, read in readers.items():
        value = body.get(key)
        if value is None or value == "":
            data[key] = None
            if key != "organization_id":
                problems[key] = _("必填。")
            continue
        data[key], problem = read(value)
        if problem:
            problems[key] = problem
    if problems:
        raise ValidationError(_("请更正标出的内容。"), problems)
    return data


def booking_organization(organization_id: int | None) -> Organization:
    """An organization user books for their own organization; staff name the organization."""
    user = g.user
    if user.role == "org":
        if organization_id not in (None, user.organization_id):
            raise PermissionDenied(_("只能为本组织预约场地。"),
                                   {"organization_id": _("不是您所在的组织。")})
        organization_id = user.organization_id
    elif organization_id is None:
        raise ValidationError(_("请更正标出的内容。"), {"organization_id": _("必填。")})
    organization = db.session.get(Organization, organization_id)
    if organization is None or organization.archived_at is not None:
        raise ValidationError(_("请更正标出的内容。"),
                              {"organization_id": _("未知或已注销的组织。")})
    return organization


def cancel_reason(body: dict) -> str | None:
    reason = body.get("reason")
    if reason is None or (isinstance(reason, str) and not reason.strip()):
        return None
    if not isinstance(reason, str) or has_control_chars(reason) or len(reason) > REASON_MAX:
        raise ValidationError(_("请更正标出的内容。"), {"reason": _(
            "应为最多 %(n)d 个字符的文字，且不能含控制字符。", n=REASON_MAX)})
    return reason.strip()


def parse_instant(value) -> tuple[datetime | None, str | None]:
    """An ISO 8601 date and time with its offset, as UTC; or the reason it is not one."""
    if not isinstance(value, str) or len(value) > 40 or has_control_chars(value):
        return None, _("应为 ISO 8601 日期时间字符串，例如 %(example)s。", example=EXAMPLE)
    value = value.strip()
    if _DATE.fullmatch(value):
        return None, _("缺少时间：应为日期和时间，例如 %(example)s。", example=EXAMPLE)
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            return None, _("缺少时区偏移：请写明偏移，例如 %(example)s（北京时间），"
                           "或以 Z 结尾表示 UTC。", example=EXAMPLE)
        return parsed.astimezone(timezone.utc), None
    except (ValueError, OverflowError):
        return None, _("不是有效的 ISO 8601 日期时间，例如 %(example)s。", example=EXAMPLE)


def _id_value(value) -> tuple[int | None, str | None]:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**31:
        return None, _("应为正整数编号。")
    return value, None


def _count_value(value) -> tuple[int | None, str | None]:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
        return None, _("应为正整数。")
    return value, None


def _title_value(value) -> tuple[str | None, str | None]:
    if not isinstance(value, str):
        return None, _("应为字符串。")
    if has_control_chars(value):
        return None, _("不能含控制字符。")
    if not value.strip():
        return None, _("必填。")
    if len(value.strip()) > TITLE_MAX:
        return None, _("最多 %(n)d 个字符。", n=TITLE_MAX)
    return value.strip(), None


def query_id(name: str) -> int | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if not _ID.fullmatch(raw) or int(raw) < 1:
        raise BadRequest(_("参数 %(name)s 应为正整数编号。", name=name),
                         {name: _("应为正整数编号。")})
    return int(raw)


def query_instant(name: str, *, end_of_day: bool = False) -> datetime | None:
    """A date (a whole day in center time: `from` its start, `to` through its end) or a date
    and time with offset, as UTC."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if _DATE.fullmatch(raw):
        instant, problem = _day_start(raw, next_day=end_of_day)
    else:
        instant, problem = parse_instant(raw)
    if problem:
        raise BadRequest(_("参数 %(name)s 无效：%(problem)s", name=name, problem=problem),
                         {name: problem})
    return instant


def _day_start(raw: str, *, next_day: bool) -> tuple[datetime | None, str | None]:
    """Midnight in center time starting the day (or the day after), as UTC."""
    try:
        day = date.fromisoformat(raw) + timedelta(days=1 if next_day else 0)
        return datetime.combine(day, time(), CENTER_TZ).astimezone(timezone.utc), None
    except (ValueError, OverflowError):
        return None, _("不是有效的日期。")


from center.api import venues_doc  # noqa: E402,F401  (documents the routes above)
