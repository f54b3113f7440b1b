"""Venue pages: venues and their rules, blackouts, week calendars, utilization and the private
iCalendar feed. The booking pages (center.views.venue_bookings) register on the same blueprint."""
import io
import secrets
from datetime import timedelta

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from center.auth import public, roles
from center.extensions import db
from center.forms.venues import WEEKDAY_NAMES, BlackoutForm, ConfirmForm, VenueForm
from center.models.venues import BOOKING_STATE_LABELS, Venue, VenueBlackout
from center.reports import venue_usage, venues as reports
from center.reports.xlsx import XLSX_MIMETYPE
from center.services import audit, venues
from center.services.errors import DomainError
from center.services.field_checks import ascii_int
from center.views._venue_helpers import (BOOKERS, MANAGERS, USAGE_READERS, VIEWERS, now_utc,
                                         private_to, show_errors)

bp = Blueprint("venues", __name__)

VENUE_FIELDS = {"min_lead_minutes": "min_lead_hours", "hold_minutes": "hold_hours"}


@bp.context_processor
def labels():
    return {"STATE_LABELS": BOOKING_STATE_LABELS, "WEEKDAY_NAMES": WEEKDAY_NAMES,
            "can_book": current_user.is_authenticated and current_user.role in BOOKERS}


# --- venues ----------------------------------------------------------------------------------

@bp.route("/venues")
@roles(*VIEWERS)
def index():
    return render_template("venues/index.html", venues=reports.active_venues(db.session),
                           can_manage=current_user.role in MANAGERS)


@bp.route("/venues/<int:venue_id>")
@roles(*VIEWERS)
def detail(venue_id):
    venue = _get(Venue, venue_id)
    can_manage = current_user.role in MANAGERS
    feed_url = (url_for(".feed", venue_id=venue.id, token=venue.feed_token, _external=True)
                if can_manage and venue.feed_token else None)
    return render_template("venues/detail.html", venue=venue, can_manage=can_manage,
                           blackouts=reports.upcoming_blackouts(db.session, venue, now=now_utc()),
                           feed_url=feed_url, form=ConfirmForm())


@bp.route("/venues/new", methods=["GET", "POST"])
@roles(*MANAGERS)
def new():
    return _venue_form(None)


@bp.route("/venues/<int:venue_id>/edit", methods=["GET", "POST"])
@roles(*MANAGERS)
def edit(venue_id):
    return _venue_form(_get(Venue, venue_id))


def _venue_form(venue):
    form = VenueForm(obj=venue)
    if not form.is_submitted():
        _prefill_venue(form, venue)
    if form.validate_on_submit():
        data = _venue_data(form)
        try:
            venue = (venues.update_venue(db.session, venue, data, actor=current_user) if venue
                     else venues.create_venue(db.session, data, actor=current_user))
        except DomainError as error:
            show_errors(form, error, VENUE_FIELDS)
        else:
            db.session.commit()
            flash(_("已保存“%(name)s”。", name=venue.name), "success")
            return redirect(url_for(".detail", venue_id=venue.id))
    return render_template("venues/form.html", form=form, venue=venue), _status(form)


def _prefill_venue(form, venue) -> None:
    source = venue or Venue(min_lead_minutes=24 * 60, max_length_minutes=4 * 60, horizon_days=60,
                            no_show_after_minutes=30, hold_minutes=24 * 60)
    form.min_lead_hours.data = source.min_lead_minutes // 60
    form.hold_hours.data = source.hold_minutes // 60
    for name in ("max_length_minutes", "horizon_days", "no_show_after_minutes"):
        getattr(form, name).data = getattr(source, name)
    hours = {h.weekday: h for h in (venue.hours if venue else [])}
    for weekday, row in enumerate(form.hours):
        if weekday in hours:
            row.opens_at.data, row.closes_at.data = hours[weekday].opens_at, hours[weekday].closes_at


def _venue_data(form) -> dict:
    data = {name: form[name].data for name in (
        "name", "location", "capacity", "equipment", "description", "requires_approval",
        "max_length_minutes", "horizon_days", "monthly_quota", "no_show_after_minutes")}
    data = {key: (None if value == "" else value) for key, value in data.items()}
    data["min_lead_minutes"] = form.min_lead_hours.data * 60
    data["hold_minutes"] = form.hold_hours.data * 60
    data["hours"] = {weekday: (row.opens_at.data, row.closes_at.data)
                     for weekday, row in enumerate(form.hours) if row.opens_at.data}
    return data


@bp.route("/venues/<int:venue_id>/archive", methods=["POST"])
@roles(*MANAGERS)
def archive(venue_id):
    venue = _get(Venue, venue_id)
    if ConfirmForm().validate_on_submit() and venue.archived_at is None:
        audit.archive(db.session, venue, actor=current_user)
        db.session.commit()
        flash(_("已归档“%(name)s”。", name=venue.name), "success")
    return redirect(url_for(".detail", venue_id=venue.id))


@bp.route("/venues/<int:venue_id>/feed-token", methods=["POST"])
@roles(*MANAGERS)
def rotate_token(venue_id):
    venue = _get(Venue, venue_id)
    if ConfirmForm().validate_on_submit():
        venues.rotate_feed_token(db.session, venue, actor=current_user)
        db.session.commit()
        flash(_("已生成新的订阅链接，旧链接已失效。"), "success")
    return redirect(url_for(".detail", venue_id=venue.id))


@bp.route("/venues/<int:venue_id>/feed/<token>.ics")
@public
def feed(venue_id, token):
    venue = db.session.get(Venue, venue_id)
    if venue is None or not venue.feed_token or venue.archived_at is not None \
            or not secrets.compare_digest(venue.feed_token.encode(), token.encode()):
        abort(404)
    body = reports.venue_feed(db.session, venue, now=now_utc(), host=request.host)
    response = current_app.response_class(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# --- blackouts -------------------------------------------------------------------------------

@bp.route("/venues/blackouts/new", methods=["GET", "POST"])
@roles(*MANAGERS)
def blackout_new():
    form = BlackoutForm()
    form.set_venues(reports.active_venues(db.session))
    if not form.is_submitted():
        form.venue_id.data = request.args.get("venue_id", "")
    if form.validate_on_submit():
        venue = _chosen_venue(form)
        if venue is False:
            return render_template("venues/blackout_form.html", form=form), 422
        try:
            venues.add_blackout(db.session, venue=venue, reason=form.reason.data,
                                starts_at=form.starts_at.data.replace(tzinfo=reports.CENTER_TZ),
                                ends_at=form.ends_at.data.replace(tzinfo=reports.CENTER_TZ),
                                actor=current_user)
        except DomainError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已添加停用时段。"), "success")
            return redirect(url_for(".detail", venue_id=venue.id) if venue else url_for(".index"))
    return render_template("venues/blackout_form.html", form=form), _status(form)


def _chosen_venue(form):
    """The venue picked, None for every venue, or False (with the error) for an unknown one."""
    if not form.venue_id.data:
        return None
    venue_id = ascii_int(form.venue_id.data)
    venue = db.session.get(Venue, venue_id) if venue_id is not None else None
    if venue is None or venue.archived_at is not None:
        form.venue_id.errors = [*form.venue_id.errors, _("请选择场地。")]
        return False
    return venue


@bp.route("/venues/blackouts/<int:blackout_id>/archive", methods=["POST"])
@roles(*MANAGERS)
def blackout_archive(blackout_id):
    blackout = _get(VenueBlackout, blackout_id)
    if ConfirmForm().validate_on_submit() and blackout.archived_at is None:
        audit.archive(db.session, blackout, actor=current_user)
        db.session.commit()
        flash(_("已撤销停用时段。"), "success")
    target = url_for(".detail", venue_id=blackout.venue_id) if blackout.venue_id else url_for(".index")
    return redirect(target)


# --- calendars -------------------------------------------------------------------------------

@bp.route("/venues/week")
@roles(*VIEWERS)
def week_all():
    week = reports.week_grid(db.session, _monday(), private_to=private_to(), now=now_utc())
    return render_template("venues/week_all.html", week=week)


@bp.route("/venues/<int:venue_id>/week")
@roles(*VIEWERS)
def week(venue_id):
    venue = _get(Venue, venue_id)
    grid = reports.week_grid(db.session, _monday(), venue_ids=[venue.id],
                             private_to=private_to(), now=now_utc(), cells=True)
    return render_template("venues/week.html", venue=venue, week=grid,
                           grid=grid.venues[0] if grid.venues else None)


def _monday():
    return reports.parse_week(request.args.get("week"), request.args.get("date"),
                              today=reports.local_today())


# --- utilization -----------------------------------------------------------------------------

@bp.route("/venues/utilization")
@roles(*USAGE_READERS)
def utilization():
    first, last = venue_usage.month_range(request.args.get("month"), today=reports.local_today())
    report = venue_usage.utilization(db.session, first, last)
    return render_template("venues/utilization.html", report=report, month=f"{first:%Y-%m}",
                           previous=f"{first - timedelta(days=1):%Y-%m}",
                           next=f"{last + timedelta(days=1):%Y-%m}")


@bp.route("/venues/utilization.xlsx")
@roles(*USAGE_READERS)
def utilization_export():
    first, last = venue_usage.month_range(request.args.get("month"), today=reports.local_today())
    report = venue_usage.utilization(db.session, first, last)
    data = venue_usage.usage_workbook(report, _usage_labels(), BOOKING_STATE_LABELS)
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"{_('场地使用率')}-{first:%Y-%m}.xlsx")


def _usage_labels() -> dict:
    return {"venue": _("场地"), "first": _("起始日期"), "last": _("结束日期"),
            "open_hours": _("开放小时数"), "booked_hours": _("预约小时数"), "rate": _("使用率（%）"),
            "bookings": _("预约次数"), "attendees": _("预计人数"), "checked_in": _("签到次数"),
            "no_shows": _("未到场次数"), "no_show_rate": _("未到场率（%）"),
            "starts_at": _("开始"), "ends_at": _("结束"), "organization": _("组织"),
            "title": _("活动名称"), "status": _("状态"), "by_month": _("按月"),
            "by_week": _("按周"), "details": _("预约明细")}


# --- helpers ---------------------------------------------------------------------------------

def _get(model, record_id):
    return db.session.get(model, record_id) or abort(404)


def _status(form) -> int:
    return 422 if form.is_submitted() else 200


# Registers the booking routes on bp whenever this blueprint is imported (they need bp above).
from center.views import venue_bookings  # noqa: E402,F401  pylint: disable=wrong-import-position
