"""The public status lookup (no login) and tagging a call or visit as a status enquiry.

The lookup is a plain form POST (no JavaScript needed; the pair stays out of URLs and logs).
An unknown receipt and a wrong pair get the same page with the same status (404); too many
lookups from one address get 429 with the wait; a malformed pair is a 422 form error.
"""
from flask import current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from center.auth import client_ip, is_safe_next, public, roles
from center.extensions import db
from center.forms.review_lookup import EnquiryForm, LookupForm
from center.models.reviews import Submission
from center.services import review_lookup
from center.services.errors import ValidationError
from center.services.field_checks import ascii_int
from center.views._helpers import now_utc, show_errors
from center.views.reviews import STAFF, bp


@bp.route("/review-status", methods=["GET", "POST"])
@public
def lookup():
    form = LookupForm()
    status, outcome, code, headers = None, None, 200, {}
    if form.validate_on_submit():
        try:
            pair = review_lookup.check_input(form.credit_code.data, form.receipt_no.data)
            status = review_lookup.look_up(db.session, pair, address=client_ip(), now=now_utc(),
                                           limits=review_lookup.limits_from(current_app.config))
        except ValidationError as error:
            show_errors(form, error)
            code = 422
        except review_lookup.LookupThrottled as error:
            db.session.rollback()
            outcome, code = _("查询过于频繁，请 %(n)d 分钟后再试。", n=error.minutes), 429
            headers["Retry-After"] = str(int(error.retry_after.total_seconds()) + 1)
        else:
            db.session.commit()
            if status is None:
                outcome, code = _("没有查到对应的年报。请核对统一社会信用代码和回执号是否与受理回执"
                                  "上的一致（回执号不区分大小写）。"), 404
    elif form.is_submitted():
        code = 422
    response = make_response(render_template("reviews/lookup.html", form=form, status=status,
                                             outcome=outcome), code)
    response.headers.update(headers)
    response.headers["Cache-Control"] = "no-store"  # the answer is for this visitor only
    return response


@bp.route("/reviews/enquiries", methods=["POST"])
@roles(*STAFF)
def enquiry():
    """Count a phone call or visit about a report's status (the form sits on other pages)."""
    form = EnquiryForm()
    back = form.next.data if is_safe_next(form.next.data) else url_for("main.home")
    if not form.validate_on_submit():
        flash(_("未记录：%(problem)s", problem=_first_error(form)), "error")
        return redirect(back, 303)
    try:
        enquiry = review_lookup.record_enquiry(
            db.session, source=form.source.data, reference=form.reference.data,
            submission=_submission(form.submission_id.data), actor=current_user, now=now_utc())
    except ValidationError as error:
        db.session.rollback()
        flash(_("未记录：%(problem)s", problem="；".join(map(str, error.fields.values()))
                or error.message), "error")
        return redirect(back, 303)
    db.session.commit()
    flash(_("已记录一次%(source)s查询。", source=review_lookup.ENQUIRY_SOURCES[enquiry.source]),
          "info")
    return redirect(back, 303)


def _submission(raw) -> Submission | None:
    if not raw:
        return None
    number = ascii_int(str(raw))
    submission = db.session.get(Submission, number) if number is not None \
        and number < 2**31 else None
    if submission is None:
        raise ValidationError(_("年报不存在。"), {"submission_id": _("年报不存在。")})
    return submission


def _first_error(form) -> str:
    return next(str(error) for errors in form.errors.values() for error in errors)
