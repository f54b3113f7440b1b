"""Booking pages: the booking form with its weekly-recurrence preview, joining a waitlist, my
bookings, a booking and its state changes, and the approval queue.

The routes live on the venues blueprint (endpoints stay ``venues.<function>``); this module is
imported at the bottom of center.views.venues so they are registered with it."""
from datetime import datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from center.auth import roles
from center.extensions import db
from center.forms.venues import BookingForm, ConfirmForm, ReasonForm
from center.models.directory import Organization
from center.models.venues import Booking, BookingState, Venue
from center.reports import venues as reports
from center.reports.audit import record_history
from center.reports.directory import page_of
from center.services import directory, venues
from center.services.errors import DomainError, ValidationError
from center.services.field_checks import ascii_int
from center.services.venues import BookingConflict
from center.views._venue_helpers import (BOOKERS, DESK, MANAGERS, VIEWERS, now_utc, private_to,
                                         show_errors)
from center.views.venues import bp

# Service field names → booking form fields.
BOOKING_FIELDS = {"starts_at": "start", "ends_at": "end", "count": "repeat_count",
                  "until": "repeat_until"}
ORG_CHOICES = 20


@bp.route("/bookings/new", methods=["GET", "POST"])
@roles(*BOOKERS)
def book():
    form = BookingForm()
    form.set_venues(reports.active_venues(db.session))
    if not form.is_submitted():
        _prefill_booking(form)
    _organization_choices(form)
    action = request.form.get("action", "book")
    page = {"preview": [], "conflict": None}
    if form.is_submitted() and action == "find":
        pass  # a search for the organization, not a submission: show the matches
    elif form.validate_on_submit():
        outcome = _submit_booking(form, action, page)
        if outcome is not None:
            return outcome
    status = 422 if form.errors or page["conflict"] else 200
    return render_template("venues/book.html", form=form, **page), status


def _submit_booking(form, action: str, page: dict):
    """Run the chosen action; a redirect when done, else None with errors on the form."""
    venue, organization = _booking_venue(form), _booking_organization(form)
    if venue is None:
        return None
    starts_at = reports.local_at(form.day.data, form.start.data)
    ends_at = reports.local_at(form.day.data, form.end.data)
    if organization is None:  # still tell everything else that is wrong, in one go
        problems = venues.slot_problems(db.session, venue=venue, organization=None,
                                        starts_at=starts_at, ends_at=ends_at,
                                        attendees=form.attendees.data, now=now_utc())
        if problems:
            show_errors(form, ValidationError("", problems), BOOKING_FIELDS)
        return None
    common = {"venue": venue, "organization": organization, "title": form.title.data,
              "attendees": form.attendees.data}
    try:
        if action == "waitlist":
            venues.join_waitlist(db.session, starts_at=starts_at, ends_at=ends_at,
                                 actor=current_user, **common)
            db.session.commit()
            flash(_("已加入候补。该时段空出时会通知您，并为您保留一段时间。"), "success")
            return redirect(url_for(".mine"))
        if form.repeat.data == "weekly":
            return _series(form, action, page, common, starts_at, ends_at)
        booking = venues.request_booking(db.session, starts_at=starts_at, ends_at=ends_at,
                                         actor=current_user, **common)
        db.session.commit()
        flash(_("预约已提交，等待审批。") if booking.status == BookingState.pending.value
              else _("预约成功。"), "success")
        return redirect(url_for(".booking", booking_id=booking.id))
    except BookingConflict as error:
        db.session.rollback()
        message = _conflict_message(error)
        form.start.errors = [*form.start.errors, message]
        if form.repeat.data != "weekly":  # one slot: offer its waitlist
            page["conflict"] = message
    except DomainError as error:
        show_errors(form, error, BOOKING_FIELDS)
    return None


def _series(form, action, page, common, starts_at, ends_at):
    page["preview"] = venues.preview_series(
        db.session, starts_at=starts_at, ends_at=ends_at, count=form.repeat_count.data,
        until=form.repeat_until.data, **common)
    form.occurrences.choices = [(o.starts_at.isoformat(), "") for o in page["preview"]]
    if action != "book_series":
        form.occurrences.data = [o.starts_at.isoformat() for o in page["preview"] if o.ok]
        return None
    chosen = [(o.starts_at, o.ends_at) for o in page["preview"]
              if o.ok and o.starts_at.isoformat() in (form.occurrences.data or ())]
    if not chosen:
        form.occurrences.errors = [_("请至少选择一个可以预约的日期。")]
        return None
    booked = venues.book_series(db.session, occurrences=chosen, actor=current_user,
                                **{k: common[k] for k in ("venue", "organization", "title",
                                                          "attendees")})
    db.session.commit()
    flash(_("已预约 %(n)d 次。", n=len(booked)), "success")
    return redirect(url_for(".mine"))


def _conflict_message(error: BookingConflict) -> str:
    """The service names the booking in the way; another organization's stays anonymous."""
    other = error.conflicting
    if other is not None and private_to() is not None and other.organization_id != private_to():
        return _("该时段已被占用（%(start)s–%(end)s）。", start=_local(other.starts_at),
                 end=_local(other.ends_at, "%H:%M"))
    return str(error.message)


def _prefill_booking(form) -> None:
    args = request.args
    form.venue_id.data = args.get("venue_id", "")
    form.organization_id.data = args.get("organization_id", "")
    for name in ("day", "start", "end"):
        raw = args.get("date" if name == "day" else name)
        if raw:
            try:
                form[name].process_formdata([raw])
            except ValueError:
                pass  # a hand-edited link: leave the field empty


def _organization_choices(form) -> None:
    if current_user.role == "org":
        form.organization_id.choices = []
        return
    found = []
    if form.org_q.data:
        found = db.session.scalars(directory.organization_search(form.org_q.data)
                                   .limit(ORG_CHOICES)).all()
    chosen = ascii_int(str(form.organization_id.data or ""))
    if chosen is not None and all(o.id != chosen for o in found):
        current = db.session.get(Organization, chosen)
        found = ([current] if current else []) + list(found)
    form.set_organizations(found)


def _booking_venue(form):
    venue_id = ascii_int(str(form.venue_id.data))
    venue = db.session.get(Venue, venue_id) if venue_id is not None else None
    if venue is None or venue.archived_at is not None:
        form.venue_id.errors = [*form.venue_id.errors, _("请选择场地。")]
        return None
    return venue


def _booking_organization(form):
    """An org contact books for their own organization; staff choose one, or type a code or
    a name that matches exactly one organization."""
    if current_user.role == "org":
        return current_user.organization
    organization_id = ascii_int(str(form.organization_id.data))
    if organization_id is not None:
        organization = db.session.get(Organization, organization_id)
        if organization is not None:
            return organization
    if form.org_q.data:
        matches = db.session.scalars(directory.organization_search(form.org_q.data).limit(2)).all()
        if len(matches) == 1:
            return matches[0]
        form.organization_id.errors = [*form.organization_id.errors, _(
            "找到多个组织，请在列表中选择一个。") if matches else _("没有找到匹配的组织。")]
        return None
    form.organization_id.errors = [*form.organization_id.errors,
                                   _("请输入组织名称或信用代码查找，并选择组织。")]
    return None


@bp.route("/bookings/mine")
@roles(*BOOKERS)
def mine():
    stmt = select(Booking).order_by(Booking.starts_at.desc(), Booking.id.desc())
    if current_user.role == "org":
        stmt = stmt.where(Booking.organization_id == current_user.organization_id)
    else:
        stmt = stmt.where(Booking.requested_by_id == current_user.id)
    page = _page()
    items, total = page_of(db.session, stmt, page=page, per_page=current_app.config["PER_PAGE"])
    return render_template("venues/mine.html", items=items, total=total, page=page,
                           form=ConfirmForm(), now=now_utc())


@bp.route("/bookings/queue")
@roles(*MANAGERS)
def queue():
    stmt = (select(Booking).where(Booking.status == BookingState.pending.value)
            .order_by(Booking.created_at, Booking.id))
    page = _page()
    items, total = page_of(db.session, stmt, page=page, per_page=current_app.config["PER_PAGE"])
    return render_template("venues/queue.html", items=items, total=total, page=page,
                           form=ReasonForm())


@bp.route("/bookings/<int:booking_id>")
@roles(*VIEWERS)
def booking(booking_id):
    return _booking_page(_visible_booking(booking_id), ReasonForm())


def _booking_page(record, form, status=200):
    user = current_user
    return render_template(
        "venues/booking.html", booking=record, form=form, entries=record_history(db.session, record),
        now=now_utc(), can_decide=user.role in MANAGERS, can_desk=user.role in DESK,
        can_manage=venues.can_manage_booking(user, record)), status


def _transition(booking_id, action, message, extra=None):
    """Apply one state change; a refused one is explained (the reason's problem beside it)."""
    record = _visible_booking(booking_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _booking_page(record, form, 422)
    try:
        action(db.session, record, actor=current_user, **(extra(form) if extra else {}))
    except DomainError as error:
        db.session.rollback()
        if "reason" in error.fields:
            form.reason.errors = [*form.reason.errors, error.fields["reason"]]
        else:
            flash(str(error.message), "error")
        return _booking_page(_visible_booking(booking_id), form, error.status)
    db.session.commit()
    flash(message, "success")
    return redirect(request.form.get("next") if request.form.get("next") == url_for(".queue")
                    else url_for(".booking", booking_id=booking_id))


@bp.route("/bookings/<int:booking_id>/approve", methods=["POST"])
@roles(*MANAGERS)
def approve(booking_id):
    return _transition(booking_id, venues.approve_booking, _("已批准。"))


@bp.route("/bookings/<int:booking_id>/reject", methods=["POST"])
@roles(*MANAGERS)
def reject(booking_id):
    return _transition(booking_id, venues.reject_booking, _("已驳回。"),
                       extra=lambda form: {"reason": form.reason.data or None})


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@roles(*BOOKERS)
def cancel(booking_id):
    return _transition(booking_id, venues.cancel_booking, _("已取消预约。"),
                       extra=lambda form: {"reason": form.reason.data or None})


@bp.route("/bookings/<int:booking_id>/check-in", methods=["POST"])
@roles(*DESK)
def check_in(booking_id):
    return _transition(booking_id, venues.check_in, _("已签到。"))


@bp.route("/bookings/<int:booking_id>/no-show", methods=["POST"])
@roles(*DESK)
def no_show(booking_id):
    return _transition(booking_id, venues.mark_no_show, _("已标记为未到场。"))


@bp.route("/bookings/<int:booking_id>/accept", methods=["POST"])
@roles(*BOOKERS)
def accept(booking_id):
    return _transition(booking_id, venues.accept_offer, _("已接受候补名额。"))



# --- helpers ---------------------------------------------------------------------------------

def _local(moment: datetime, fmt="%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(reports.CENTER_TZ).strftime(fmt)


def _visible_booking(booking_id) -> Booking:
    """Someone else's booking is answered as not found, not as forbidden."""
    record = db.session.get(Booking, booking_id)
    if record is None or not venues.can_view_booking(current_user, record):
        abort(404)
    return record


def _page() -> int:
    return min(100_000, max(1, request.args.get("page", 1, type=int)))
