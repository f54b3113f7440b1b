"""What the public status lookup shows about one submission (年检预审进度查询).

Only the report itself: its state in plain Chinese, its dates, the reasons it was returned for
with what to do about each, and while it waits its place in the queue and the date it should be
reviewed by at the recent pace. Nothing about the organization (not even its name), nobody's
name, no internal step (claims, assignments, releases): whoever holds the credit code and the
receipt number learns where the report stands and what to do next, and no more.
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from center.models.directory import Organization
from center.models.reviews import (REVIEW_STATE_LABELS, WAITING_STATES, EventKind, ReturnReason,
                                   ReviewEvent, ReviewState, Submission)
from center.reports import reviews as pace
from center.services.calendar import Deadline
from center.services.venue_rules import CENTER_TZ

# The steps of the timeline an organization sees, with their public names.
PUBLIC_STEPS = {
    EventKind.received.value: _l("年报已接收"),
    EventKind.returned.value: _l("退回修改"),
    EventKind.resubmitted.value: _l("修改后重新提交"),
    EventKind.passed.value: _l("预审通过"),
    EventKind.forwarded.value: _l("已转登记管理机关"),
}
NEXT_STEPS = {
    ReviewState.received.value: _l("无需操作。年报正在排队等待预审，结果出来后可随时在此查询。"),
    ReviewState.in_review.value: _l("无需操作。预审人员正在审阅您的年报。"),
    ReviewState.resubmitted.value: _l("无需操作。修改后的年报已收到，正在排队等待复审。"),
    ReviewState.passed.value: _l("无需操作。预审已通过，服务中心将把年报转交登记管理机关。"),
    ReviewState.forwarded.value: _l("预审已完成。请留意登记管理机关的年检结论。"),
}


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    guidance: str | None


@dataclass(frozen=True)
class Step:
    label: str
    on: date


@dataclass
class PublicStatus:
    state: str
    state_label: str
    year: int
    receipt_no: str
    received_on: date
    updated_at: datetime
    next_step: str
    due_on: date | None = None  # the center's deadline while the report is open
    due_provisional: bool = False
    correction_due_on: date | None = None  # the organization's, while returned
    reasons: list[Reason] = field(default_factory=list)
    comment: str | None = None
    queue_position: int | None = None  # 1: the next to be reviewed
    expected_on: Deadline | None = None  # at the recent pace; None: no pace to go by
    steps: list[Step] = field(default_factory=list)

    @property
    def waiting(self) -> bool:
        return self.state in WAITING_STATES


def find_submission(session, *, credit_code: str, receipt_no: str) -> Submission | None:
    """The live submission with this receipt number, if it belongs to the organization with
    this credit code. One query, so a wrong pair and an unknown receipt take the same path.
    A withdrawn intake is void (the organization registers again and gets a new number)."""
    return session.scalar(
        select(Submission).join(Organization, Submission.organization_id == Organization.id)
        .where(Submission.receipt_no == receipt_no, Organization.credit_code == credit_code,
               Submission.state != ReviewState.withdrawn.value))


def public_status(session, submission: Submission, *, today: date) -> PublicStatus:
    """Everything the lookup shows about the submission, as plain data."""
    events = _public_events(session, submission)
    status = PublicStatus(
        state=submission.state, state_label=str(REVIEW_STATE_LABELS[submission.state]),
        year=submission.cycle.year, receipt_no=submission.receipt_no,
        received_on=submission.received_on, updated_at=submission.updated_at,
        next_step=_next_step(submission),
        steps=[Step(str(PUBLIC_STEPS[e.kind]), _local_day(e.at)) for e in events])
    if submission.is_open:
        status.due_on, status.due_provisional = submission.due_on, submission.due_provisional
    if submission.state == ReviewState.returned.value:
        status.correction_due_on = submission.correction_due_on
        last_return = next((e for e in reversed(events) if e.kind == EventKind.returned.value),
                           None)
        if last_return is not None:
            status.reasons = reasons_for(session, last_return.reason_list)
            status.comment = last_return.comment
    if submission.state in WAITING_STATES:
        status.queue_position = pace.queue_position(session, submission)
        rate = pace.decisions_per_working_day(session, today=today)
        status.expected_on = pace.finish_date(session, items=status.queue_position, pace=rate,
                                              today=today)
    return status


def reasons_for(session, codes: list[str]) -> list[Reason]:
    """The checklist items behind these codes, in the order given; an archived item still
    explains an old return, and an unknown code is shown as it is."""
    known = {r.code: r for r in session.scalars(
        select(ReturnReason).where(ReturnReason.code.in_(codes)))} if codes else {}
    return [Reason(code, known[code].label, known[code].guidance) if code in known
            else Reason(code, code, None) for code in codes]


def _public_events(session, submission: Submission) -> list[ReviewEvent]:
    return list(session.scalars(
        select(ReviewEvent).where(ReviewEvent.submission_id == submission.id,
                                  ReviewEvent.kind.in_(tuple(PUBLIC_STEPS)))
        .order_by(ReviewEvent.at, ReviewEvent.id)))


def _next_step(submission: Submission) -> str:
    if submission.state == ReviewState.returned.value:
        return str(_l("请按下列退回原因逐项修改，并在 %(day)s 前重新提交（网上提交或送至服务中心"
                      "窗口），逾期可能影响年检。", day=submission.correction_due_on.isoformat()))
    return str(NEXT_STEPS.get(submission.state, ""))


def _local_day(moment: datetime) -> date:
    return moment.astimezone(CENTER_TZ).date()
