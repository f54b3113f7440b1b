"""Configuration of the pre-review for managers: cycles (window, service levels) and the
checklist of return reasons. Routes live on the `reviews` blueprint (see center.views.reviews)."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from center.auth import roles
from center.extensions import db
from center.forms.review_queue import ConfirmForm, CycleForm, ReasonForm
from center.models.reviews import ReturnReason, ReviewCycle, Submission
from center.reports.review_queue import cycles as all_cycles
from center.services import review_cycles
from center.services.errors import DomainError
from center.services.reviews import today_in_center
from center.views._helpers import now_utc, show_errors
from center.views.reviews import MANAGERS, bp

CYCLE_FIELDS = ("year", "opens_on", "closes_on", "first_review_days", "re_review_days",
                "correction_days", "note")


@bp.route("/reviews/cycles")
@roles(*MANAGERS)
def cycles():
    counts = dict(db.session.execute(select(Submission.cycle_id, func.count())
                                     .group_by(Submission.cycle_id)).all())
    return render_template("reviews/cycles.html", cycles=all_cycles(db.session), counts=counts)


@bp.route("/reviews/cycles/new", methods=["GET", "POST"])
@roles(*MANAGERS)
def cycle_new():
    return _cycle_form(None)


@bp.route("/reviews/cycles/<int:cycle_id>/edit", methods=["GET", "POST"])
@roles(*MANAGERS)
def cycle_edit(cycle_id):
    return _cycle_form(db.session.get(ReviewCycle, cycle_id) or abort(404))


def _cycle_form(cycle):
    form = CycleForm(obj=cycle, data=None if cycle else review_cycles.default_cycle_values(
        today_in_center(now_utc()), taken=[c.year for c in all_cycles(db.session)]))
    data = {name: getattr(form, name).data for name in CYCLE_FIELDS}
    if form.is_submitted() and not form.validate():
        _add_rule_errors(form, review_cycles.cycle_problems(data))  # every problem at once
    elif form.is_submitted():
        try:
            cycle = (review_cycles.update_cycle(db.session, cycle, data, actor=current_user)
                     if cycle else review_cycles.create_cycle(db.session, data,
                                                              actor=current_user, now=now_utc()))
        except DomainError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已保存 %(year)d 年度预审周期。", year=cycle.year), "success")
            return redirect(url_for(".cycles"))
    locked = cycle is not None and review_cycles.has_submissions(db.session, cycle)
    return render_template("reviews/cycle_form.html", form=form, cycle=cycle,
                           year_locked=locked), 422 if form.is_submitted() else 200


def _add_rule_errors(form, problems: dict) -> None:
    for name, message in problems.items():
        field = getattr(form, name)
        if not field.errors:
            field.errors = [*field.errors, message]


# --- the checklist ---------------------------------------------------------------------------

def _reason(reason_id) -> ReturnReason:
    return db.session.get(ReturnReason, reason_id) or abort(404)


@bp.route("/reviews/reasons", methods=["GET", "POST"])
@roles(*MANAGERS)
def reasons():
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            reason = review_cycles.add_reason(db.session, code=form.code.data,
                                              label=form.label.data,
                                              guidance=form.guidance.data, actor=current_user)
        except DomainError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已添加退回原因“%(label)s”。", label=reason.label), "success")
            return redirect(url_for(".reasons"))
    return render_template("reviews/reasons.html", form=form,
                           reasons=review_cycles.ordered_reasons(db.session)), \
        422 if form.is_submitted() else 200


@bp.route("/reviews/reasons/<int:reason_id>/edit", methods=["GET", "POST"])
@roles(*MANAGERS)
def reason_edit(reason_id):
    reason = _reason(reason_id)
    form = ReasonForm(obj=reason)
    if form.validate_on_submit():
        try:
            review_cycles.update_reason(db.session, reason, label=form.label.data,
                                        guidance=form.guidance.data, actor=current_user)
        except DomainError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已保存退回原因“%(label)s”。", label=reason.label), "success")
            return redirect(url_for(".reasons"))
    return render_template("reviews/reasons.html", form=form, edited=reason,
                           reasons=review_cycles.ordered_reasons(db.session)), \
        422 if form.is_submitted() else 200


def _reason_action(reason_id, action):
    reason = _reason(reason_id)
    if ConfirmForm().validate_on_submit():
        try:
            action(reason)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
    return redirect(url_for(".reasons"))


@bp.route("/reviews/reasons/<int:reason_id>/up", methods=["POST"])
@roles(*MANAGERS)
def reason_up(reason_id):
    return _reason_action(reason_id, lambda r: review_cycles.move_reason(
        db.session, r, up=True, actor=current_user))


@bp.route("/reviews/reasons/<int:reason_id>/down", methods=["POST"])
@roles(*MANAGERS)
def reason_down(reason_id):
    return _reason_action(reason_id, lambda r: review_cycles.move_reason(
        db.session, r, up=False, actor=current_user))


@bp.route("/reviews/reasons/<int:reason_id>/archive", methods=["POST"])
@roles(*MANAGERS)
def reason_archive(reason_id):
    return _reason_action(reason_id, lambda r: review_cycles.archive_reason(
        db.session, r, actor=current_user))


@bp.route("/reviews/reasons/<int:reason_id>/restore", methods=["POST"])
@roles(*MANAGERS)
def reason_restore(reason_id):
    return _reason_action(reason_id, lambda r: review_cycles.restore_reason(
        db.session, r, actor=current_user))
