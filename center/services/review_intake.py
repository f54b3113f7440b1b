"""Taking a report in, and the steps every transition of the pre-review shares.

The lower layer of the state machine (center.services.reviews builds on it and re-exports the
intake functions, so callers import from there): the center's date, a cycle by year, a timeline
event, starting a wait on the center with its working-day deadline, locking a row before a
transition, and registering a submission with its receipt number.
"""
import secrets
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from center.models.base import utcnow
from center.models.directory import Organization
from center.models.reviews import (EventKind, IntakeChannel, ReviewCycle, ReviewEvent,
                                   ReviewState, Submission)
from center.services import audit, calendar
from center.services.directory import credit_code_problem, normalize_credit_code
from center.services.errors import ConflictError, ValidationError
from center.services.venue_rules import CENTER_TZ, write_lock

RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out on the phone
FIX_THESE = _l("请更正标出的内容。")


def today_in_center(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(CENTER_TZ).date()


def cycle_for_year(session, year) -> ReviewCycle | None:
    if isinstance(year, bool) or not isinstance(year, int):
        return None
    return session.scalar(select(ReviewCycle).where(ReviewCycle.year == year))


def _new_receipt_no(session, year: int) -> str:
    while True:
        candidate = f"{year}-" + "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
        if session.scalar(select(Submission.id).where(Submission.receipt_no == candidate)) is None:
            return candidate


def record_event(session, submission, kind: EventKind, *, actor, now, reasons=(),
                 comment=None) -> None:
    """Add a step to the submission's timeline: who, when, reasons, comment, the state after
    and the deadline it set."""
    submission.updated_at = now
    session.add(ReviewEvent(submission=submission, kind=kind.value, at=now,
                            actor_id=getattr(actor, "id", None), reason_codes=" ".join(reasons),
                            comment=comment, state=submission.state, due_on=submission.due_on))


def start_wait(session, submission, *, on: date, days: int) -> None:
    """Start a wait on the center: the deadline is `days` working days after `on`."""
    with session.no_autoflush:  # the calendar query must not flush a half-changed row
        deadline = calendar.add_working_days(session, on, days)
    submission.queued_on, submission.due_on = on, deadline.day
    submission.due_provisional = deadline.provisional


def lock_submission(session, submission: Submission) -> None:
    """Re-read the row under a lock, so the checks that follow see any concurrent change
    (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the writer lock, BEGIN IMMEDIATE). The lock is
    taken by a bare query: the page's eager loads (outer joins) cannot carry FOR UPDATE."""
    write_lock(session)
    session.execute(select(Submission.id).where(Submission.id == submission.id)
                    .with_for_update())
    session.refresh(submission)


# --- intake --------------------------------------------------------------------------------------

def find_organization(session, credit_code) -> Organization:
    """The organization with this credit code; ValidationError on `credit_code` otherwise."""
    code = normalize_credit_code(credit_code if isinstance(credit_code, str) else "")
    problem = credit_code_problem(code) if code else _l("请填写统一社会信用代码。")
    org = None if problem else session.scalar(
        select(Organization).where(Organization.credit_code == code))
    if org is None or org.archived_at is not None:
        raise ValidationError(FIX_THESE, {
            "credit_code": problem or _l("名录中没有这个统一社会信用代码的组织。")})
    return org


def intake_problems(session, *, year, received_on, channel: str,
                    today: date) -> tuple[ReviewCycle | None, dict]:
    """The cycle for `year` and field -> message for what stops an intake (nothing written):
    no cycle for the year; an online submission before the cycle opens; a receipt date in the
    future or before the cycle opens."""
    errors = {}
    cycle = cycle_for_year(session, year)
    if year in (None, ""):
        errors["year"] = _l("请选择年报年度。")
    elif cycle is None:
        errors["year"] = _l("%(year)s 年度没有年检预审周期，请选择其他年度或联系管理员。", year=year)
    elif channel == IntakeChannel.online.value and today < cycle.opens_on:
        errors["year"] = _l("%(year)s 年度年报自 %(day)s 起接收。", year=cycle.year,
                            day=cycle.opens_on.isoformat())
    if not isinstance(received_on, date) or received_on > today:
        errors["received_on"] = _l("接收日期不能晚于今天。")
    elif cycle is not None and received_on < cycle.opens_on:
        errors["received_on"] = _l("接收日期不能早于本年度预审开始日期 %(day)s。",
                                   day=cycle.opens_on.isoformat())
    return cycle, errors


def live_submission(session, organization: Organization, cycle: ReviewCycle):
    return session.scalar(select(Submission).where(
        Submission.organization_id == organization.id, Submission.cycle_id == cycle.id,
        Submission.state != ReviewState.withdrawn.value))


def _second_live(cycle: ReviewCycle, existing: Submission | None) -> ConflictError:
    number = _l("，回执号 %(no)s", no=existing.receipt_no) if existing is not None else ""
    return ConflictError(_l("该组织 %(year)s 年度的年报已登记%(number)s，不能重复登记；"
                            "如需更正，请在原登记上操作。", year=cycle.year, number=number),
                         {"credit_code": _l("该年度已有一份在办的年报。")})


def register_submission(session, *, organization: Organization, year, received_on=None,
                        channel: str = IntakeChannel.desk.value, actor,
                        now: datetime | None = None) -> Submission:
    """Take in an annual report: a cycle must exist for the year, the organization may have only
    one live submission in it (also against a concurrent intake: the database's partial unique
    index decides), and the receipt date is neither in the future nor before the cycle opens."""
    now = now or utcnow()
    today = today_in_center(now)
    received_on = received_on or today
    cycle, errors = intake_problems(session, year=year, received_on=received_on,
                                    channel=channel, today=today)
    if errors:
        raise ValidationError(FIX_THESE, errors)
    write_lock(session)
    existing = live_submission(session, organization, cycle)
    if existing is not None:
        raise _second_live(cycle, existing)
    audit.acting(session, actor)
    submission = Submission(cycle=cycle, organization=organization, channel=channel,
                            state=ReviewState.received.value, return_count=0,
                            receipt_no=_new_receipt_no(session, cycle.year),
                            received_on=received_on, created_by_id=getattr(actor, "id", None),
                            created_at=now, updated_at=now)
    start_wait(session, submission, on=received_on, days=cycle.first_review_days)
    try:
        with session.begin_nested():
            session.add(submission)
            record_event(session, submission, EventKind.received, actor=actor, now=now)
    except IntegrityError:  # a concurrent intake of the same organization and year won
        raise _second_live(cycle, None) from None
    return submission
