"""Weekly report pages (工作周报): the weeks of a year with their state, a week's report with
its figures and the manager's narrative, regenerating, submitting with confirmation, versions.

Managers and admins edit, regenerate and submit; supervisors read submitted reports only (a
draft is answered exactly like a missing report). Typed text is never lost: every error re-shows
the form with what was typed, also when someone else saved or submitted meanwhile.
"""
import hashlib
from datetime import date, timedelta

from flask import (Blueprint, abort, current_app, flash, make_response, redirect,
                   render_template, request, url_for)
from flask_babel import gettext, gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from center.auth import roles, view_access
from center.extensions import db
from center.forms.weekly import ConfirmForm, NarrativeForm
from center.models.weekly import WEEKLY_STATE_LABELS, WeeklyReport
from center.services import weekly, weekly_delivery
from center.services.errors import ConflictError, DomainError, ValidationError
from center.services.weekly_delivery import plain_number
from center.views._helpers import now_utc, show_errors
from center.views.jobs import describe_schedule

bp = Blueprint("weekly", __name__, url_prefix="/weekly")

EDITORS = ("admin", "manager")
READERS = ("admin", "manager", "supervisor")
FIRST_YEAR = 2000
# Figures where a rise is a warning and a fall good news (colored); the others are volumes whose
# direction is neither good nor bad in itself, so they are shown without color.
LOWER_IS_BETTER = frozenset({"follow_ups_overdue", "backlog", "overdue", "no_shows"})
REASON_LABELS = {"generated": _l("生成草稿"), "regenerated": _l("重新生成数据"),
                 "edited": _l("修改文字"), "submitted": _l("报送")}


@bp.context_processor
def _stored_labels():
    """label(text): a stored Chinese label (figure, unit, column) in the reader's language."""
    return {"label": lambda text: gettext(str(text)) if text else ""}


def _refuse(status: int, message) -> None:
    """Stop with the error page and a message that says what is wrong (no bare 404)."""
    abort(make_response(render_template("errors/error.html", status=status,
                                        message=str(message)), status))


def _week(key: str):
    try:
        return weekly.parse_week_key(key)
    except ValidationError as error:
        _refuse(404, error.message)


def _existing(key: str) -> WeeklyReport:
    """The week's report for the current user: supervisors see submitted reports only."""
    _week(key)
    report = weekly.get_report(db.session, key)
    if report is None or (current_user.role not in EDITORS and not report.is_locked):
        _refuse(404, _("没有 %(key)s 的周报。", key=key))
    return report


def fingerprint(report: WeeklyReport) -> str:
    text = f"{report.summary}\x00{report.plan}".encode()
    return hashlib.sha256(text).hexdigest()[:16]


# --- the list of weeks --------------------------------------------------------------------------

@bp.route("/")
@roles(*READERS)
def index():
    today = weekly.center_now(now_utc()).date()
    this_year = today.isocalendar()[0]
    year = request.args.get("year", this_year, type=int)
    if not FIRST_YEAR <= year <= this_year:
        _refuse(404, _("没有 %(year)s 年的周报（可查看 %(first)d—%(last)d 年）。",
                       year=request.args.get("year"), first=FIRST_YEAR, last=this_year))
    query = select(WeeklyReport).where(WeeklyReport.iso_year == year)
    if current_user.role not in EDITORS:
        query = query.where(WeeklyReport.state == "submitted")
    reports = {r.week_key: r for r in db.session.scalars(query)}
    return render_template("weekly/index.html", weeks=_weeks(year, today, reports), year=year,
                           this_year=this_year, editor=current_user.role in EDITORS,
                           state_labels=WEEKLY_STATE_LABELS, form=ConfirmForm())


def _weeks(year: int, today, reports: dict) -> list[dict]:
    """The year's weeks that have begun, newest first; a supervisor's list is the reports."""
    count = date(year, 12, 28).isocalendar()[1]  # 28 December is always in the last week
    rows = []
    for number in range(count, 0, -1):
        monday = date.fromisocalendar(year, number, 1)
        key = weekly.week_key(monday)
        if monday > today or (current_user.role not in EDITORS and key not in reports):
            continue
        report = reports.get(key)
        rows.append({"key": key, "monday": monday, "sunday": monday + timedelta(days=6),
                     "report": report, "current": monday <= today <= monday + timedelta(days=6),
                     "overdue": report is not None and not report.is_locked
                     and monday + timedelta(days=7) <= today})
    return rows


# --- one week's report ----------------------------------------------------------------------------

@bp.route("/<key>")
@roles(*READERS)
def report(key):
    if current_user.role in EDITORS:
        monday, _sunday = _week(key)
        found = weekly.get_report(db.session, key)
        if found is None:
            return _missing_page(key, monday)
        return _page(found, NarrativeForm(data=_narrative_data(found)))
    return _page(_existing(key), None)


def _missing_page(key, monday):
    if monday > weekly.center_now(now_utc()).date():
        _refuse(404, _("%(key)s 还没有开始，还没有周报。", key=key))
    schedule = describe_schedule(current_app.config["SCHEDULE"]["weekly_drafts"])
    return render_template("weekly/report.html", key=key, report=None, monday=monday,
                           sunday=monday + timedelta(days=6), form=ConfirmForm(),
                           schedule=schedule)


def _narrative_data(report) -> dict:
    return {"summary": report.summary, "plan": report.plan, "shown": fingerprint(report)}


def _page(report, form, status=200, *, unsaved=None, stored=False):
    """The report page; `unsaved` (a message) shows typed text that could not be saved."""
    editable = current_user.role in EDITORS and not report.is_locked and not unsaved
    delivery = weekly_delivery.delivery_status(db.session, report) if report.is_locked else []
    return render_template(
        "weekly/report.html", key=report.week_key, report=report, form=form,
        editable=editable, unsaved=unsaved, show_stored=stored, delivery=delivery,
        sections=figure_sections(report.figures), editor=current_user.role in EDITORS, can_export=_may_export(),
        state_labels=WEEKLY_STATE_LABELS), status


def _may_export() -> bool:
    """The Excel link is shown to whoever the export route (center.views.weekly_export) admits."""
    return current_user.role in (view_access("weekly.export") or ())


@bp.route("/<key>", methods=["POST"])
@roles(*EDITORS)
def save(key):
    """Save the narrative; then, by the button pressed, regenerate or go on to submission."""
    report = _existing(key)
    form = NarrativeForm()
    action = request.form.get("action", "save")
    if report.is_locked:
        return _page(report, form, 409, unsaved=_("%(key)s 的周报已报送，不能再修改。您刚才输入的文字"
                                                  "没有保存，显示在下方，可复制留存。", key=key))
    if not form.validate_on_submit():
        return _page(report, form, 422)
    if _changed_meanwhile(report, form):
        form.shown.data = fingerprint(report)  # saving again now keeps the typed text
        flash(_("在您编辑期间，周报的文字已被他人修改（见下方“已保存的内容”）。您输入的文字仍在"
                "输入框中，核对后再次保存即以您的文字为准。"), "warning")
        return _page(report, form, 409, stored=True)
    try:
        weekly.save_narrative(db.session, report, summary=form.summary.data,
                              plan=form.plan.data, actor=current_user)
        if action == "regenerate":
            weekly.regenerate(db.session, report, actor=current_user, now=now_utc())
    except ConflictError as error:
        db.session.rollback()
        return _page(_existing(key), form, 409, unsaved=str(error.message))
    except DomainError as error:
        show_errors(form, error)
        return _page(_existing(key), form, 422)
    db.session.commit()
    if action == "submit":
        return redirect(url_for(".submit", key=key), 303)
    flash(_("已按最新记录重新生成数据；您写的文字没有改动。") if action == "regenerate"
          else _("已保存。"), "success")
    return redirect(url_for(".report", key=key), 303)


def _changed_meanwhile(report, form) -> bool:
    """Someone else's newer text would be overwritten (and differs from what was typed)."""
    typed = ((form.summary.data or "").strip(), (form.plan.data or "").strip())
    return form.shown.data != fingerprint(report) and typed != (report.summary, report.plan)


@bp.route("/<key>/generate", methods=["POST"])
@roles(*EDITORS)
def generate(key):
    _week(key)
    existed = weekly.get_report(db.session, key) is not None
    try:
        weekly.create_draft(db.session, key, actor=current_user, now=now_utc())
    except ValidationError as error:
        db.session.rollback()
        _refuse(422, error.message)
    db.session.commit()
    flash(_("%(key)s 的周报已经生成过，没有重复生成。", key=key) if existed
          else _("已生成 %(key)s 的周报草稿。", key=key), "info" if existed else "success")
    return redirect(url_for(".report", key=key), 303)


# --- submission ---------------------------------------------------------------------------------

@bp.route("/<key>/submit", methods=["GET", "POST"])
@roles(*EDITORS)
def submit(key):
    report = _existing(key)
    if report.is_locked:
        flash(_("%(key)s 的周报已报送，不能再次报送。", key=key), "warning")
        return redirect(url_for(".report", key=key), 303)
    form = ConfirmForm()
    try:
        recipients, problem = weekly_delivery.configured_recipients(current_app.config), None
    except ValidationError as error:
        recipients, problem = [], str(error.message)
    if form.validate_on_submit() and problem is None:
        done = _deliver(report)
        if done is not None:
            return done
        report, status = _existing(key), 422
    else:
        status = 422 if form.is_submitted() else 200
    return render_template("weekly/submit.html", report=report, form=form, problem=problem,
                           recipients=recipients, sections=figure_sections(report.figures),
                           by_mail=weekly_delivery.mail_enabled(current_app.config, recipients),
                           title=weekly_delivery.report_title(report)), status


def _deliver(report):
    key = report.week_key
    try:
        weekly_delivery.submit_report(db.session, report, config=current_app.config,
                                      actor=current_user, link=url_for(".report", key=key),
                                      now=now_utc())
    except ConflictError as error:
        db.session.rollback()
        flash(str(error.message), "warning")
        return redirect(url_for(".report", key=key), 303)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return None
    db.session.commit()
    flash(_("已报送，并已发送邮件给报送对象。") if report.delivery == "email"
          else _("已报送。未配置邮件发送，已标记为已报送：请将导出的周报线下递交。"), "success")
    return redirect(url_for(".report", key=key), 303)


# --- versions -----------------------------------------------------------------------------------

@bp.route("/<key>/versions")
@bp.route("/<key>/versions/<int:number>")
@roles(*EDITORS)
def versions(key, number=None):
    report = _existing(key)
    rows = list(report.versions)
    chosen = rows[-1] if number is None and rows else next(
        (v for v in rows if v.number == number), None)
    if chosen is None:
        _refuse(404, _("%(key)s 的周报没有第 %(n)s 版。", key=key, n=number))
    previous = {v.number: p for p, v in zip([None, *rows], rows)}
    return render_template("weekly/versions.html", report=report, versions=rows, chosen=chosen,
                           previous=previous, reasons=REASON_LABELS,
                           sections=figure_sections(chosen.figures))


# --- figures as shown -----------------------------------------------------------------------------

def figure_sections(figures: dict) -> list[dict]:
    """Each service line in report order: absent (not built yet), or its figures, each with the
    change from the week before, and its tables."""
    modules = (figures or {}).get("modules") or {}
    labels = (figures or {}).get("labels") or {k: (m or {}).get("label", k)
                                               for k, m in modules.items()}
    sections = []
    for key, label in labels.items():
        module = modules.get(key)
        sections.append({"key": key, "label": label, "absent": module is None,
                         "figures": [_with_change(f) for f in (module or {}).get("figures", [])],
                         "tables": (module or {}).get("tables", [])})
    return sections


def _with_change(figure: dict) -> dict:
    value, previous = figure.get("value"), figure.get("previous")
    change = None
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (value, previous)):
        diff = round(value - previous, 1)
        direction = "up" if diff > 0 else "down" if diff < 0 else "same"
        change = {"diff": plain_number(abs(diff)), "direction": direction, "tone": ""}
        if figure.get("key") in LOWER_IS_BETTER and direction != "same":
            change["tone"] = "ok" if direction == "down" else "warn"
    return {**figure, "value": plain_number(value), "previous": plain_number(previous),
            "change": change}


# The export route registers on this blueprint, like center.views.venue_bookings on venues'.
from center.views import weekly_export  # noqa: E402,F401
