"""Annual-report pre-review (年检预审) over JSON: intake, the public status lookup, claim next,
return and pass (documented in reviews_doc.py).

The routes call the same services as the pages, so the same rules hold: one live submission per
organization and year (409), acting on an item someone else holds (403), passing twice (409),
returning without a reason (422). Every problem of an input is reported at once, per field; a
service error leaves nothing written. The status lookup is public and rate limited per client
address like the page (they share the budget); a wrong pair answers exactly like an unknown one.
"""
import re
from datetime import date

from flask import current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from center.api import api
from center.api.common import BadRequest, has_control_chars, json_object
from center.api.venues import local_iso
from center.auth import api_error, client_ip, public, roles
from center.extensions import db
from center.models.reviews import (CHANNEL_LABELS, REVIEW_STATE_LABELS, IntakeChannel,
                                   Submission)
from center.services import review_lookup, reviews
from center.services.errors import NotFoundError, ValidationError

# As the pages (center.views.reviews): who registers reports, works the queue, reads them.
INTAKE = ("admin", "manager", "frontdesk", "reviewer")
REVIEWERS = ("admin", "manager", "reviewer")
STAFF = ("admin", "manager", "frontdesk", "reviewer")

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MIN_YEAR, MAX_YEAR = 1900, 2100
MAX_REASONS = 50
NOT_FOUND = "not_found"
THROTTLED = "too_many_requests"


# --- representations -------------------------------------------------------------------------

def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def review_item(s: Submission) -> dict:
    """A submission as staff see it."""
    return {
        "id": s.id, "receipt_no": s.receipt_no, "year": s.cycle.year,
        "organization_id": s.organization_id, "organization_name": s.organization.name,
        "credit_code": s.organization.credit_code,
        "status": s.state, "status_label": str(REVIEW_STATE_LABELS[s.state]),
        "channel": s.channel, "channel_label": str(CHANNEL_LABELS.get(s.channel, s.channel)),
        "received_on": _day(s.received_on), "due_on": _day(s.due_on),
        "due_provisional": bool(s.due_provisional),
        "correction_due_on": _day(s.correction_due_on), "return_count": s.return_count,
        "assigned_to_id": s.assigned_to_id, "claimed_by_id": s.claimed_by_id,
        "claimed_at": local_iso(s.claimed_at) if s.claimed_at else None,
        "updated_at": local_iso(s.updated_at),
        "files": [{"id": f.id, "filename": f.filename, "kind": f.kind, "size": f.size}
                  for f in s.files],
    }


def status_item(status) -> dict:
    """What the public lookup answers: the report's progress, nothing about the organization."""
    return {
        "status": status.state, "status_label": status.state_label,
        "reasons": [{"code": r.code, "label": r.label, "guidance": r.guidance}
                    for r in status.reasons],
        "comment": status.comment, "updated_at": local_iso(status.updated_at),
        "year": status.year, "received_on": _day(status.received_on),
        "due_on": _day(status.due_on), "correction_due_on": _day(status.correction_due_on),
        "queue_position": status.queue_position,
        "expected_review_on": _day(status.expected_on.day) if status.expected_on else None,
        "next_step": status.next_step,
    }


# --- routes ----------------------------------------------------------------------------------

@api.route("/reviews", methods=["POST"])
@roles(*INTAKE)
def create_review():
    """Register a report handed in: `credit_code`, `year`, optional `received_on`."""
    data = intake_input(json_object())
    submission = reviews.register_submission(
        db.session, organization=data["organization"], year=data["year"],
        received_on=data["received_on"], channel=IntakeChannel.api.value, actor=g.user)
    item = review_item(submission)
    db.session.commit()
    response = jsonify(item)
    response.headers["Location"] = url_for("api.get_review", submission_id=submission.id)
    return response, 201


@api.route("/reviews/<int:submission_id>")
@roles(*STAFF)
def get_review(submission_id):
    return jsonify(review_item(_submission(submission_id)))


@api.route("/reviews/status")
@public
def review_status():
    """The public lookup by credit code + receipt number (rate limited per client address)."""
    try:
        pair = review_lookup.check_input(request.args.get("credit_code"),
                                         request.args.get("receipt_no"))
    except ValidationError as error:
        raise BadRequest(error.message, error.fields) from None
    try:
        status = review_lookup.look_up(db.session, pair, address=client_ip(),
                                       limits=review_lookup.limits_from(current_app.config))
    except review_lookup.LookupThrottled as error:
        db.session.rollback()
        response, code = api_error(429, THROTTLED, _("查询过于频繁，请 %(n)d 分钟后再试。",
                                                     n=error.minutes))
        response.headers["Retry-After"] = str(int(error.retry_after.total_seconds()) + 1)
        return _private(response), code
    db.session.commit()
    if status is None:
        response, code = api_error(404, NOT_FOUND, _("没有查到对应的年报。请核对统一社会信用代码"
                                                     "和回执号是否与受理回执上的一致。"))
        return _private(response), code
    return _private(jsonify(status_item(status)))


@api.route("/reviews/claim", methods=["POST"])
@roles(*REVIEWERS)
def claim_review():
    """The waiting item due first (the reviewer's own assignments first), or 204."""
    submission = reviews.claim_next(db.session, reviewer=g.user)
    if submission is None:
        db.session.rollback()
        return "", 204
    item = review_item(submission)
    db.session.commit()
    return jsonify(item)


@api.route("/reviews/<int:submission_id>/return", methods=["POST"])
@roles(*REVIEWERS)
def return_review(submission_id):
    submission = _submission(submission_id)
    data = return_input(json_object())
    reviews.return_submission(db.session, submission, reasons=data["reasons"],
                              comment=data["comment"], actor=g.user)
    item = review_item(submission)
    db.session.commit()
    return jsonify(item)


@api.route("/reviews/<int:submission_id>/pass", methods=["POST"])
@roles(*REVIEWERS)
def pass_review(submission_id):
    submission = _submission(submission_id)
    body = json_object() if request.get_data(cache=True) else {}
    problems = {}
    comment = _comment(body.get("comment"), problems)
    if problems:
        raise ValidationError(_("请更正标出的内容。"), problems)
    reviews.pass_submission(db.session, submission, comment=comment, actor=g.user)
    item = review_item(submission)
    db.session.commit()
    return jsonify(item)


def _submission(submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id,
                                options=[selectinload(Submission.files)])
    if submission is None:
        raise NotFoundError(_("年报不存在。"))
    return submission


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    return response


# --- input -----------------------------------------------------------------------------------

def intake_input(body: dict) -> dict:
    """The organization, year and receipt date of an intake; every problem at once."""
    problems = {}
    year = body.get("year")
    if year is None:
        problems["year"] = _("必填。")
    elif isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        problems["year"] = _("应为年度（整数），例如 2025。")
    received_on = _date_value(body.get("received_on"), problems, "received_on")
    organization = None
    code = body.get("credit_code")
    if code is None or code == "":
        problems["credit_code"] = _("必填。")
    elif not isinstance(code, str) or has_control_chars(code) or len(code) > 40:
        problems["credit_code"] = _("应为 18 位统一社会信用代码字符串。")
    else:
        try:
            organization = reviews.find_organization(db.session, code)
        except ValidationError as error:
            problems.update(error.fields)
    if "year" not in problems:
        _cycle, found = reviews.intake_problems(
            db.session, year=year, received_on=received_on or reviews.today_in_center(),
            channel=IntakeChannel.api.value, today=reviews.today_in_center())
        problems.update({k: v for k, v in found.items() if k not in problems})
    if problems:
        raise ValidationError(_("请更正标出的内容。"), problems)
    return {"organization": organization, "year": year, "received_on": received_on}


def return_input(body: dict) -> dict:
    problems = {}
    reasons = body.get("reasons")
    if reasons is None or reasons == []:
        problems["reasons"] = _("请至少选择一条退回原因。")
    elif not isinstance(reasons, list) or len(reasons) > MAX_REASONS \
            or not all(isinstance(code, str) and 0 < len(code) <= 30 for code in reasons):
        problems["reasons"] = _("应为退回原因代码的数组，例如 [\"signature_seal\"]。")
    comment = _comment(body.get("comment"), problems)
    if problems:
        raise ValidationError(_("请更正标出的内容。"), problems)
    return {"reasons": reasons, "comment": comment}


def _comment(value, problems: dict) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or has_control_chars(value):
        problems["comment"] = _("应为文字，且不能含控制字符。")
        return None
    if len(value.strip()) > reviews.MAX_COMMENT:
        problems["comment"] = _("最多 %(n)d 个字。", n=reviews.MAX_COMMENT)
    return value.strip() or None


def _date_value(value, problems: dict, key: str) -> date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        problems[key] = _("应为日期，格式 YYYY-MM-DD，例如 2026-03-02。")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems[key] = _("不是有效的日期。")
        return None


from center.api import reviews_doc  # noqa: E402,F401  (documents the routes above)
