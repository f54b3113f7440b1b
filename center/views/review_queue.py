"""The managers' side of the pre-review: the queue with filters, bulk assignment and balancing,
reviewers on duty, the peak dashboard, Excel exports and bulk intake, cycles and the checklist.
Routes live on the `reviews` blueprint (see center.views.reviews)."""
import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from center.auth import is_safe_next, roles
from center.extensions import db
from center.forms.review_queue import ALL, BulkForm, BulkIntakeForm, DutyForm, QueueFilterForm
from center.models.accounts import User
from center.models.directory import TYPE_LABELS
from center.models.reviews import CHANNEL_LABELS, REVIEW_STATE_LABELS, ReviewCycle, ReviewDigest
from center.reports import review_chart, review_dashboard
from center.reports import review_queue as queue_report
from center.reports.xlsx import XLSX_MIMETYPE
from center.services import directory, review_assignment, review_exchange
from center.services.errors import DomainError
from center.services.field_checks import ascii_int
from center.services.reviews import today_in_center
from center.services.spreadsheets import RowErrors, WorkbookError
from center.services.venue_rules import CENTER_TZ
from center.views._helpers import now_utc
from center.views.reviews import DASHBOARD_READERS, MANAGERS, REVIEWERS, STAFF, bp

MAX_PAGE = 100_000


@bp.context_processor
def review_labels():
    return {"STATE_LABELS": REVIEW_STATE_LABELS, "CHANNEL_LABELS": CHANNEL_LABELS,
            "TYPE_LABELS": TYPE_LABELS,
            "local_date": lambda moment: moment.astimezone(CENTER_TZ).date()}


def _today():
    return today_in_center(now_utc())


def _filters(today):
    """The queue's filter form from the URL and the filter it describes (bad values dropped,
    with their message beside the field)."""
    cycles = queue_report.cycles(db.session)
    form = QueueFilterForm(request.args)
    form.set_choices(cycles=cycles, states=queue_report.STATE_FILTERS, types=TYPE_LABELS,
                     districts=directory.districts(db.session), channels=CHANNEL_LABELS,
                     reviewers=[(queue_report.UNASSIGNED, _("未分派"))] +
                     [(str(u.id), u.display_name) for u in queue_report.reviewers(db.session)])
    current = queue_report.current_cycle(db.session, today)
    if not request.args.get("cycle"):
        form.cycle.data = str(current.id) if current else ALL
    if not request.args.get("state"):
        form.state.data = "open"
    form.validate()

    def value(field, default=""):
        return default if field.errors else (field.data or default)
    cycle = value(form.cycle, ALL)
    return form, queue_report.QueueFilter(
        cycle_id=ascii_int(cycle), state=value(form.state, "open"),
        org_type=value(form.org_type), district_id=int(value(form.district, "0")) or None,
        reviewer=value(form.reviewer), overdue=bool(form.overdue.data),
        channel=value(form.channel), q=value(form.q))


@bp.route("/reviews")
@roles(*STAFF)
def queue():
    today = _today()
    form, filters = _filters(today)
    page = min(MAX_PAGE, max(1, request.args.get("page", 1, type=int)))
    items, total = queue_report.queue_page(db.session, filters, today, page=page,
                                    per_page=current_app.config["PER_PAGE"])
    managing = current_user.role in MANAGERS
    bulk = BulkForm(formdata=None, cycle=str(filters.cycle_id or ""),
                    back=request.query_string.decode()[:1000]) if managing else None
    if bulk is not None:
        bulk.reviewer.choices = [("", _("（取消分派，放回公共队列）"))] + [
            (str(load.user.id), _("%(name)s（在办 %(n)d）", name=load.user.display_name,
                                  n=load.open_load) + ("" if load.on_duty else _("，不在岗")))
            for load in queue_report.reviewer_loads(db.session)]
    return render_template(
        "reviews/queue.html", form=form, filters=filters, items=items, total=total, page=page,
        per_page=current_app.config["PER_PAGE"], today=today, bulk=bulk,
        can_claim=current_user.role in REVIEWERS,
        late=queue_report.overdue_days(db.session, items, today),
        duty=review_assignment.on_duty(db.session) if managing else [],
        unassigned=queue_report.unassigned_waiting_count(db.session, filters.cycle_id)
        if managing else 0)


def _back_to_queue(form):
    back = form.back.data or ""
    target = url_for(".queue") + ("?" + back if back else "")
    return redirect(target if is_safe_next(target) else url_for(".queue"))


@bp.route("/reviews/assign", methods=["POST"])
@roles(*MANAGERS)
def assign():
    form = BulkForm()
    if not form.validate_on_submit():
        flash(_("勾选的年报编号无效，请刷新页面后重试。"), "error")
        return _back_to_queue(form)
    reviewer_id = form.reviewer_id()
    reviewer = db.session.get(User, reviewer_id) if reviewer_id else None
    try:
        if reviewer_id and reviewer is None:
            review_assignment.check_reviewer(None)
        result = review_assignment.assign_submissions(db.session, form.ids.data,
                                                      reviewer=reviewer, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back_to_queue(form)
    db.session.commit()
    done = (_("已将 %(n)d 份分派给 %(name)s。", n=result.changed, name=reviewer.display_name)
            if reviewer else _("已将 %(n)d 份放回公共队列。", n=result.changed))
    skipped = _("另有 %(n)d 份已不在办或无需改动，未处理。", n=result.skipped) if result.skipped else ""
    flash(done + skipped, "success")
    return _back_to_queue(form)


@bp.route("/reviews/balance", methods=["POST"])
@roles(*MANAGERS)
def balance():
    form = BulkForm()
    if not form.validate_on_submit():
        flash(_("勾选的年报编号无效，请刷新页面后重试。"), "error")
        return _back_to_queue(form)
    cycle = form.cycle.data or ""
    try:
        given = review_assignment.balance(db.session, ids=form.ids.data or None,
                                          cycle_id=ascii_int(cycle),
                                          actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back_to_queue(form)
    db.session.commit()
    shares = "、".join(_("%(name)s %(n)d 份", name=u.display_name, n=n) for u, n in given)
    flash(_("已按在办数量均衡分派 %(n)d 份：%(shares)s。", n=sum(n for _u, n in given),
            shares=shares), "success")
    return _back_to_queue(form)


@bp.route("/reviews/duty", methods=["GET", "POST"])
@roles(*REVIEWERS)
def duty():
    form = DutyForm()
    if form.validate_on_submit():
        user = db.session.get(User, form.user_id.data) or abort(404)
        on = form.on.data == "1"
        try:
            released = review_assignment.set_duty(db.session, user, on=on, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("%(name)s 已在岗。", name=user.display_name) if on else
                  _("%(name)s 已离岗，%(n)d 份未领取的年报放回公共队列。", name=user.display_name,
                    n=released), "success")
        return redirect(url_for(".duty"))
    if form.is_submitted():
        flash(_("请求无效，请刷新页面后重试。"), "error")
        return redirect(url_for(".duty"))
    return render_template("reviews/duty.html", loads=queue_report.reviewer_loads(db.session),
                           form=form, managing=current_user.role in MANAGERS)


@bp.route("/reviews/dashboard")
@roles(*DASHBOARD_READERS)
def dashboard():
    today = _today()
    cycles = queue_report.cycles(db.session)
    chosen = request.args.get("cycle", type=int)
    cycle = next((c for c in cycles if c.id == chosen), None) if chosen \
        else queue_report.current_cycle(db.session, today)
    if cycle is None:
        return render_template("reviews/dashboard.html", cycle=None, cycles=cycles, today=today)
    data = review_dashboard.build(db.session, cycle, today)
    return render_template(
        "reviews/dashboard.html", cycle=cycle, cycles=cycles, today=today, **data,
        chart=review_chart.build_forecast_chart(db.session, data["forecast"], today),
        enquiry_chart=review_chart.build_enquiry_chart(data["enquiries"]),
        digest=db.session.scalar(select(ReviewDigest).order_by(ReviewDigest.day.desc()).limit(1)))


# --- Excel -----------------------------------------------------------------------------------

def _xlsx(data: bytes, title: str):
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"{title}-{_today():%Y%m%d}.xlsx")


def _user_names() -> dict[int, str]:
    return dict(db.session.execute(select(User.id, User.display_name)).all())


@bp.route("/reviews/export.xlsx")
@roles(*REVIEWERS)
def export_queue():
    today = _today()
    _form, filters = _filters(today)
    data = review_exchange.export_queue(db.session, queue_report.queue_query(filters, today),
                                        today=today, names=_user_names())
    return _xlsx(data, _("年检预审队列"))


@bp.route("/reviews/cycles/<int:cycle_id>/results.xlsx")
@roles(*MANAGERS)
def export_results(cycle_id):
    cycle = db.session.get(ReviewCycle, cycle_id) or abort(404)
    return _xlsx(review_exchange.export_results(db.session, cycle),
                 _("%(year)d年度年检预审结果", year=cycle.year))


@bp.route("/reviews/bulk-intake/template.xlsx")
@roles(*MANAGERS)
def bulk_template():
    return _xlsx(review_exchange.intake_template(max_rows=current_app.config["XLSX_MAX_ROWS"]),
                 _("年报批量接收模板"))


@bp.route("/reviews/bulk-intake", methods=["GET", "POST"])
@roles(*MANAGERS)
def bulk_intake():
    form, problems, created, config = BulkIntakeForm(), [], [], current_app.config
    if form.validate_on_submit():
        try:
            result = review_exchange.import_submissions(
                db.session, form.file.data.read(), actor=current_user, now=now_utc(),
                max_rows=config["XLSX_MAX_ROWS"], max_uncompressed=config["XLSX_MAX_UNCOMPRESSED"])
        except RowErrors as error:
            db.session.rollback()
            problems = error.problems
            flash(error.message, "error")
        except (WorkbookError, DomainError) as error:
            db.session.rollback()
            form.file.errors.append(error.message)
        else:
            created = [(s.receipt_no, s.organization.name, s.organization.credit_code, s.cycle.year,
                        s.received_on, s.due_on) for s in result.created]
            db.session.commit()
            flash(_("已接收 %(n)d 份年报，回执号见下表。", n=len(created)), "success")
    status = 422 if form.is_submitted() and not created else 200
    return render_template("reviews/bulk_intake.html", form=form, problems=problems,
                           created=created, max_rows=config["XLSX_MAX_ROWS"],
                           max_mb=config["MAX_CONTENT_LENGTH"] // (1024 * 1024)), status


# Cycles and the checklist: center.views.review_config registers them on the same blueprint.
from center.views import review_config  # noqa: E402,F401
