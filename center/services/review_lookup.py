"""The public status lookup's rules, and status enquiries tagged by staff.

The lookup answers a credit code + receipt number pair. It cannot be used to enumerate: a wrong
pair is answered exactly like an unknown receipt (the caller cannot tell them apart), and each
client address may look up only so often (by default 10 a minute and 100 a day), counted in the
database so the limit holds across workers. Every successful lookup and every phone call or
visit staff tag is a ReviewEnquiry, so the center sees whether the lookup cuts the calls.
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from center.models.base import utcnow
from center.models.directory import Organization
from center.models.reviews import LookupAttempt, ReviewEnquiry, ReviewState, Submission
from center.reports import review_status
from center.services.directory import credit_code_problem, normalize_credit_code
from center.services.errors import ValidationError
from center.services.reviews import today_in_center

# (window, most lookups in it) per client address; the view may pass others from config.
DEFAULT_LIMITS = ((timedelta(minutes=1), 10), (timedelta(days=1), 100))
RECEIPT_SHAPE = re.compile(r"[0-9A-Z][0-9A-Z-]{3,19}")
ENQUIRY_SOURCES = {"phone": _l("电话"), "visit": _l("来访")}
REFERENCE_MAX = 30


class LookupThrottled(Exception):
    """Too many lookups from this address; `retry_after` says when one is allowed again."""

    def __init__(self, retry_after: timedelta):
        super().__init__(retry_after)
        self.retry_after = retry_after

    @property
    def minutes(self) -> int:
        return max(1, -(-int(self.retry_after.total_seconds()) // 60))


@dataclass(frozen=True)
class LookupInput:
    credit_code: str
    receipt_no: str


def limits_from(config) -> tuple:
    """The limits from REVIEW_LOOKUP_PER_MINUTE / REVIEW_LOOKUP_PER_DAY, else the defaults."""
    per_minute = config.get("REVIEW_LOOKUP_PER_MINUTE", DEFAULT_LIMITS[0][1])
    per_day = config.get("REVIEW_LOOKUP_PER_DAY", DEFAULT_LIMITS[1][1])
    return ((timedelta(minutes=1), per_minute), (timedelta(days=1), per_day))


def normalize_receipt_no(value) -> str:
    """Receipt numbers are read out on the phone: case and spaces do not matter."""
    return re.sub(r"\s+", "", value).upper() if isinstance(value, str) else ""


def check_input(credit_code, receipt_no) -> LookupInput:
    """The pair in canonical form; ValidationError for a malformed one. This says nothing
    about whether any such report exists, so it is answered before the lookup is counted."""
    code, receipt = normalize_credit_code(credit_code if isinstance(credit_code, str) else ""), \
        normalize_receipt_no(receipt_no)
    errors = {}
    if not code:
        errors["credit_code"] = _l("请填写统一社会信用代码。")
    elif problem := credit_code_problem(code):
        errors["credit_code"] = problem
    if not receipt:
        errors["receipt_no"] = _l("请填写回执号。")
    elif not RECEIPT_SHAPE.fullmatch(receipt):
        errors["receipt_no"] = _l("回执号格式不对，应形如 2025-7K3M9QXA（见受理回执）。")
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    return LookupInput(code, receipt)


def throttle_wait(session, *, address: str, now: datetime, limits=DEFAULT_LIMITS):
    """How long this address must wait before its next lookup, or None."""
    for window, most in limits:
        count, oldest = session.execute(
            select(func.count(), func.min(LookupAttempt.at))
            .where(LookupAttempt.address == address, LookupAttempt.at > now - window)).one()
        if count >= most:
            return max(oldest + window - now, timedelta(seconds=1))
    return None


def look_up(session, pair: LookupInput, *, address: str, now: datetime | None = None,
            limits=DEFAULT_LIMITS) -> review_status.PublicStatus | None:
    """The public status of the report the pair opens, or None (unknown receipt or wrong
    pair alike). Raises LookupThrottled before looking when the address is over its limit;
    otherwise counts the attempt, and a successful one as an enquiry. The caller commits."""
    now = now or utcnow()
    wait = throttle_wait(session, address=address, now=now, limits=limits)
    if wait is not None:
        raise LookupThrottled(wait)
    longest = max(window for window, _most in limits)
    session.execute(delete(LookupAttempt).where(LookupAttempt.address == address,
                                                LookupAttempt.at <= now - longest))
    submission = review_status.find_submission(session, credit_code=pair.credit_code,
                                               receipt_no=pair.receipt_no)
    session.add(LookupAttempt(address=address, found=submission is not None, at=now))
    if submission is None:
        session.flush()
        return None
    session.add(ReviewEnquiry(source="lookup", submission_id=submission.id,
                              organization_id=submission.organization_id, at=now))
    session.flush()
    return review_status.public_status(session, submission, today=today_in_center(now))


def purge_lookup_attempts(session, *, now: datetime | None = None, keep=timedelta(days=1)) -> int:
    """Forget attempts older than the longest window (a housekeeping job may call this)."""
    now = now or utcnow()
    return session.execute(delete(LookupAttempt).where(LookupAttempt.at <= now - keep)).rowcount


# --- enquiries tagged by staff --------------------------------------------------------------

def record_enquiry(session, *, source, actor, submission: Submission | None = None,
                   reference=None, now: datetime | None = None) -> ReviewEnquiry:
    """Count a phone call or visit asking about a report's status. The report is the given
    one, or found by `reference` (a receipt number or a credit code) when staff typed one;
    without either the enquiry is still counted."""
    errors = {}
    if source not in ENQUIRY_SOURCES:
        errors["source"] = _l("请选择电话或来访。")
    organization_id = submission.organization_id if submission is not None else None
    text = reference.strip() if isinstance(reference, str) else ""
    if submission is None and text:
        submission, organization_id = _referenced(session, text, errors)
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    enquiry = ReviewEnquiry(source=source, submission_id=getattr(submission, "id", None),
                            organization_id=organization_id, staff_id=getattr(actor, "id", None),
                            at=now or utcnow())
    session.add(enquiry)
    session.flush()
    return enquiry


def _referenced(session, text: str, errors: dict):
    """(submission or None, organization id) for a receipt number or a credit code."""
    if len(text) > REFERENCE_MAX:
        errors["reference"] = _l("最多 %(n)d 个字符。", n=REFERENCE_MAX)
        return None, None
    receipt = session.scalar(select(Submission).where(
        Submission.receipt_no == normalize_receipt_no(text)))
    if receipt is not None:
        return receipt, receipt.organization_id
    code = normalize_credit_code(text)
    organization = None if credit_code_problem(code) else session.scalar(
        select(Organization).where(Organization.credit_code == code))
    if organization is None:
        errors["reference"] = _l("没有找到这个回执号或统一社会信用代码：%(text)s。", text=text)
        return None, None
    latest = session.scalar(
        select(Submission).where(Submission.organization_id == organization.id,
                                 Submission.state != ReviewState.withdrawn.value)
        .order_by(Submission.received_on.desc(), Submission.id.desc()).limit(1))
    return latest, organization.id
