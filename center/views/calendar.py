"""The working-day calendar: a year at a glance, staff overrides and their Excel import, and the
confirmation that a year's published schedule is entered in full."""
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from center.auth import roles
from center.extensions import db
from center.forms.calendar import ConfirmYearForm, ImportForm, OverrideForm
from center.reports.xlsx import XLSX_MIMETYPE
from center.services import calendar, calendar_exchange
from center.services.errors import DomainError
from center.services.spreadsheets import RowErrors

bp = Blueprint("calendar", __name__)

VIEW_ROLES = ("admin", "manager", "frontdesk", "reviewer")
EDIT_ROLES = ("admin", "manager")


def _this_year() -> int:
    return datetime.now(ZoneInfo(current_app.config["CENTER_TIMEZONE"])).year


def _valid_year(year: int | None) -> int:
    return year if year and calendar.MIN_YEAR <= year <= calendar.MAX_YEAR else _this_year()


@bp.route("/calendar")
@roles(*VIEW_ROLES)
def index():
    return _year_page(_valid_year(request.args.get("year", type=int)))


def _year_page(year: int, confirm_form: ConfirmYearForm | None = None):
    days = calendar.year_days(db.session, year)
    covered = calendar.library_covers(year)
    record = None if covered else calendar.calendar_year(db.session, year)
    if confirm_form is None:
        confirm_form = ConfirmYearForm(formdata=None, year=year,
                                       note=record.note if record else None)
    months = [(month, calendar.month_weeks(days, month)) for month in range(1, 13)]
    return render_template(
        "calendar/index.html", year=year, special=[d for d in days if d.is_special],
        months=months, covered=covered, confirmed=bool(record and record.confirmed),
        record=record, confirm_form=confirm_form, can_edit=current_user.role in EDIT_ROLES,
        min_year=calendar.MIN_YEAR, max_year=calendar.MAX_YEAR,
        library_years=calendar.library_years())


@bp.route("/calendar/year", methods=["POST"])
@roles(*EDIT_ROLES)
def confirm_year():
    form = ConfirmYearForm()
    if form.validate_on_submit():
        confirmed = form.confirmed.data == "1"
        try:
            calendar.confirm_year(db.session, year=form.year.data, confirmed=confirmed,
                                  note=form.note.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            _show_errors(form, error)
        except IntegrityError:  # another first confirmation of the year won (one row per year)
            db.session.rollback()
            flash(_("该年度的确认刚被他人修改，请查看后再操作。"), "error")
        else:
            db.session.commit()
            if confirmed:
                _flash_confirmed([form.year.data])
            else:
                flash(_("已撤销 %(year)d 年的确认，本年未录入的日期重新标为“临时”。",
                        year=form.year.data), "success")
            return redirect(url_for("calendar.index", year=form.year.data))
    for error in [*form.year.errors, *form.confirmed.errors]:  # hidden fields: say it on top
        flash(str(error), "error")
    return _year_page(_valid_year(form.year.data), form)


def _flash_confirmed(years: list[int]) -> None:
    if years:
        flash(_("已确认 %(years)s 年的放假安排已全部录入，未录入的日期不再标为“临时”。",
                years="、".join(str(year) for year in years)), "success")


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
        except IntegrityError:  # another save of the same day won the race (one row per day)
            db.session.rollback()
            form.day.errors = [*form.day.errors,
                               _("这一天的调整刚被他人保存，请重新打开这一天再修改。")]
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
            result = calendar_exchange.import_overrides(
                db.session, form.file.data.read(), actor=current_user,
                confirm=form.confirm_years.data,
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
            _flash_confirmed(result.confirmed_years)
            return redirect(url_for("calendar.index", year=result.first_day.year))
    return render_template("calendar/import.html", form=form, problems=problems)


@bp.route("/calendar/template.xlsx")
@roles(*EDIT_ROLES)
def import_template():
    return send_file(io.BytesIO(calendar_exchange.import_template()), mimetype=XLSX_MIMETYPE,
                     as_attachment=True, download_name="工作日历导入模板.xlsx")
