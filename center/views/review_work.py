"""The reviewer's work page: the item in hand, its files, the checklist and one button for the
next. Built for interruptions: what a reviewer holds is kept by the server (claimed_by), so the
page shows it again after a phone call, a lunch break or a closed tab.

The routes live on the reviews blueprint (endpoints stay ``reviews.<function>``)."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from center.auth import roles
from center.extensions import db
from center.forms.reviews import ConfirmForm, DecisionForm
from center.reports import review_pages
from center.services import reviews
from center.services.errors import DomainError, ValidationError
from center.views._helpers import now_utc, show_errors
from center.views.reviews import REVIEWERS, bp, get_submission, page_context


@bp.route("/reviews/work")
@roles(*REVIEWERS)
def work():
    return work_view(request.args.get("id", type=int))


def work_view(chosen_id: int | None = None, form: DecisionForm | None = None, status=200):
    """The item in hand (the chosen one, else the one claimed first), or the claim-next button."""
    desk = review_pages.desk(db.session, current_user)
    held_ids = [s.id for s in desk.held]
    current_id = chosen_id if chosen_id in held_ids else (held_ids[0] if held_ids else None)
    current = review_pages.submission_page(db.session, current_id) if current_id else None
    form = form or DecisionForm()
    reasons = reviews.active_reasons(db.session)
    form.reasons.choices = [(reason.code, reason.label) for reason in reasons]
    return render_template(
        "reviews/work.html", desk=desk, current=current, form=form, reasons=reasons,
        reason_map=review_pages.reasons_by_code(db.session), confirm=ConfirmForm(),
        **page_context()), status


@bp.route("/reviews/claim-next", methods=["POST"])
@roles(*REVIEWERS)
def claim_next():
    if ConfirmForm().validate_on_submit():
        submission = reviews.claim_next(db.session, reviewer=current_user, now=now_utc())
        db.session.commit()
        if submission is None:
            flash(_("队列中暂时没有等待预审的年报。"), "success")
            return redirect(url_for(".work"))
        flash(_("已领取：%(name)s（受理号 %(no)s），请在 %(due)s 前完成预审。",
                name=submission.organization.name, no=submission.receipt_no,
                due=submission.due_on.isoformat()), "success")
        return redirect(url_for(".work", id=submission.id))
    return redirect(url_for(".work"))


@bp.route("/reviews/<int:submission_id>/claim", methods=["POST"])
@roles(*REVIEWERS)
def claim(submission_id):
    submission = get_submission(submission_id)
    if ConfirmForm().validate_on_submit():
        try:
            reviews.claim(db.session, submission, reviewer=current_user, now=now_utc())
            db.session.commit()
            return redirect(url_for(".work", id=submission.id))
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    return redirect(url_for(".submission", submission_id=submission_id))


@bp.route("/reviews/<int:submission_id>/release", methods=["POST"])
@roles(*REVIEWERS)
def release(submission_id):
    submission = get_submission(submission_id)
    if ConfirmForm().validate_on_submit():
        try:
            reviews.release(db.session, submission, actor=current_user, now=now_utc())
            db.session.commit()
            flash(_("已放回队列：%(name)s（回执号 %(no)s）。", name=submission.organization.name,
                    no=submission.receipt_no), "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    return _back(submission_id)


@bp.route("/reviews/<int:submission_id>/return", methods=["POST"])
@roles(*REVIEWERS)
def return_(submission_id):
    return _decide(submission_id, "return")


@bp.route("/reviews/<int:submission_id>/pass", methods=["POST"])
@roles(*REVIEWERS)
def pass_(submission_id):
    return _decide(submission_id, "pass")


def _decide(submission_id: int, decision: str):
    """Pass or return the item in hand; on a refusal the page comes back with the ticks and the
    comment as typed, the message beside the field it concerns."""
    submission = get_submission(submission_id)
    form = DecisionForm()
    form.reasons.choices = [(r.code, r.label) for r in reviews.active_reasons(db.session)]
    if not form.validate_on_submit():
        return work_view(submission_id, form, 422)
    if decision == "pass" and form.reasons.data:
        form.reasons.errors = [_("已勾选退回原因，不能同时通过：要退回请点“退回修改”，要通过请先取消勾选。")]
        return work_view(submission_id, form, 422)
    name, number = submission.organization.name, submission.receipt_no
    try:
        if decision == "return":
            reviews.return_submission(db.session, submission, reasons=form.reasons.data or [],
                                      comment=form.comment.data, actor=current_user,
                                      now=now_utc())
            message = _("已退回：%(name)s（回执号 %(no)s），已通知该组织。", name=name, no=number)
        else:
            reviews.pass_submission(db.session, submission, comment=form.comment.data,
                                    actor=current_user, now=now_utc())
            message = _("已通过：%(name)s（回执号 %(no)s）。", name=name, no=number)
        db.session.commit()
    except ValidationError as error:
        show_errors(form, error)
        return work_view(submission_id, form, 422)
    except DomainError as error:  # someone else's item, or already decided
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for(".work"))
    flash(message, "success")
    return redirect(url_for(".work"))


def _back(submission_id: int):
    if request.form.get("next") == "work":
        return redirect(url_for(".work"))
    return redirect(url_for(".submission", submission_id=submission_id))
