"""The working-day calendar: a year at a glance, staff overrides, and their Excel import."""
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from center.auth import roles
from center.extensions import db
from center.forms.calendar import ImportForm, OverrideForm
from center.reports.xlsx import XLSX_MIMETYPE
from center.services import calendar
from center.services.errors import DomainError
from center.services.spreadsheets import RowErrors

bp = Blueprint("calendar", __name__)

VIEW_ROLES = ("admin", "manager", "frontdesk", "reviewer")
EDIT_ROLES = ("admin", "manager")


def _this_year() -> int:
    return datetime.now(ZoneInfo(current_app.config["CENTER_TIMEZONE"])).year


def _year_arg() -> int:
    year = request.args.get("year", type=int)
    return year if year and calendar.MIN_YEAR <= year <= calendar.MAX_YEAR else _this_year()


@bp.route("/calendar")
@roles(*VIEW_ROLES)
def index():
    year = _year_arg()
    days = calendar.year_days(db.session, year)
    months = [(month, calendar.month_weeks(days, month)) for month in range(1, 13)]
    return render_template(
        "calendar/index.html", year=year, special=[d for d in days if d.is_special],
        months=months, covered=calendar.library_covers(year),
        can_edit=current_user.role in EDIT_ROLES, min_year=calendar.MIN_YEAR,
        max_year=calendar.MAX_YEAR, library_years=calendar.library_years())


def _prefill(form: OverrideForm, day: date) -> None:
    """Start the form from the day's current answer, so saving unchanged confirms it."""
    override = calendar.overrides_between(db.session, day, day).get(day)
    info = calendar.resolve(day, override)
    form.day.data = day
    form.kind.data = "workday" if info.is_workday else "holiday"
    form.name.data = info.name
    form.note.data = override.note if override else None


@bp.route("/calendar/override", methods=["GET", "POST"])
@roles(*EDIT_ROLES)
def edit():
    form = OverrideForm()
    if request.method == "GET" and request.args.get("day"):
        try:
            _prefill(form, date.fromisoformat(request.args["day"]))
        except ValueError:
            pass  # a hand-edited URL: start with an empty form
    if form.validate_on_submit():
        try:
            calendar.set_override(db.session, day=form.day.data,
                                  is_workday=form.kind.data == "workday", name=form.name.data,
                                  note=form.note.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            _show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已保存 %(day)s 的日历调整。", day=form.day.data.isoformat()), "success")
            return redirect(url_for("calendar.index", year=form.day.data.year))
    return render_template("calendar/edit.html", form=form)


def _show_errors(form, error: DomainError) -> None:
    placed = False
    for name, message in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]
            placed = True
    if not placed:
        flash(str(error.message), "error")


@bp.route("/calendar/import", methods=["GET", "POST"])
@roles(*EDIT_ROLES)
def import_overrides():
    form = ImportForm()
    problems = []
    if form.validate_on_submit():
        try:
            result = calendar.import_overrides(
                db.session, form.file.data.read(), actor=current_user,
                max_uncompressed=current_app.config["XLSX_MAX_UNCOMPRESSED"])
        except RowErrors as error:
            db.session.rollback()
            problems = error.problems
            form.file.errors = [*form.file.errors, error.message]
        except DomainError as error:
            db.session.rollback()
            _show_errors(form, error)
        else:
            db.session.commit()
            flash(_("导入完成：新增 %(a)d 天，修改 %(b)d 天，%(c)d 天无变化。", a=result.created,
                    b=result.changed, c=result.unchanged), "success")
            return redirect(url_for("calendar.index", year=result.first_day.year))
    return render_template("calendar/import.html", form=form, problems=problems)


@bp.route("/calendar/template.xlsx")
@roles(*EDIT_ROLES)
def import_template():
    return send_file(io.BytesIO(calendar.import_template()), mimetype=XLSX_MIMETYPE,
                     as_attachment=True, download_name="工作日历导入模板.xlsx")
