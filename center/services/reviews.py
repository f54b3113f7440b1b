"""The pre-review queue's state machine: intake, claim, release, return, resubmit, pass, forward,
withdraw, assignment. Deadlines are counted in working days on the shared calendar.

Every transition checks the submission's state and who holds it, records a ReviewEvent (the
timeline) and flushes; the caller commits. "Claim next" is atomic: on PostgreSQL the row is
taken with FOR UPDATE SKIP LOCKED, on SQLite under the single writer lock (BEGIN IMMEDIATE).
"""
import secrets
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from center.models.base import utcnow
from center.models.directory import Organization
from center.models.reviews import (OPEN_STATES, REVIEW_STATE_LABELS, WAITING_STATES, EventKind,
                                   IntakeChannel, ReturnReason, ReviewCycle, ReviewEvent,
                                   ReviewState, Submission)
from center.services import audit, calendar
from center.services.directory import credit_code_problem, normalize_credit_code
from center.services.errors import ConflictError, PermissionDenied, ValidationError
from center.services.venue_rules import CENTER_TZ, write_lock

MAX_COMMENT = 2000
RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out on the phone
MANAGERS = ("admin", "manager")
# The starting checklist (../shared/domain/FACTS.md); staff edit it per center.
DEFAULT_REASONS = (
    ("basic_info", "基本信息与登记证书不一致或变更未登记",
     "核对名称、住所、法定代表人、业务范围、注册资金、业务主管单位和统一社会信用代码，与登记证书保持一致；"
     "已变更但未登记的，先办理变更登记。"),
    ("signature_seal", "缺少签字或盖章", "补齐法定代表人、财务负责人签字及单位、业务主管单位盖章。"),
    ("financial_statements", "财务报表不一致或缺少审计报告",
     "核对资产负债表是否平衡、与审计报告数字是否一致；按要求附审计报告。"),
    ("governance", "内部治理不符合要求", "说明会议召开情况、换届情况，符合章程规定的任期和年龄要求。"),
    ("party_building", "党建情况未填写或前后不一致", "完整填写党建工作情况，并与其他部分保持一致。"),
    ("arithmetic", "人数等合计数不符", "核对会员、从业人员等各项合计数。"),
    ("attachments", "附件缺失、无法打开或格式不符", "按要求上传完整、清晰的 PDF 或 Excel 附件。"),
    ("activities", "活动超出章程范围、营利或未经批准的评比表彰", "说明相关活动情况并按规定整改。"),
    ("late", "逾期报送", "说明逾期原因；请尽快完成报送，避免列入活动异常名录。"),
)


def today_in_center(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(CENTER_TZ).date()


def seed_return_reasons(session) -> int:
    """Add the default checklist items that are missing (by code); returns how many."""
    known = set(session.scalars(select(ReturnReason.code)))
    added = [ReturnReason(code=code, label=label, guidance=guidance, position=i)
             for i, (code, label, guidance) in enumerate(DEFAULT_REASONS) if code not in known]
    session.add_all(added)
    session.flush()
    return len(added)


def cycle_for_year(session, year) -> ReviewCycle | None:
    if isinstance(year, bool) or not isinstance(year, int):
        return None
    return session.scalar(select(ReviewCycle).where(ReviewCycle.year == year))


def _new_receipt_no(session, year: int) -> str:
    while True:
        candidate = f"{year}-" + "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
        if session.scalar(select(Submission.id).where(Submission.receipt_no == candidate)) is None:
            return candidate


def _event(session, submission, kind: EventKind, *, actor, now, reasons=(), comment=None):
    submission.updated_at = now
    session.add(ReviewEvent(submission=submission, kind=kind.value, at=now,
                            actor_id=getattr(actor, "id", None), reason_codes=" ".join(reasons),
                            comment=comment, state=submission.state, due_on=submission.due_on))


def _queue(session, submission, *, on: date, days: int) -> None:
    """Start a wait on the center: the deadline is `days` working days after `on`."""
    with session.no_autoflush:  # the calendar query must not flush a half-changed row
        deadline = calendar.add_working_days(session, on, days)
    submission.queued_on, submission.due_on = on, deadline.day
    submission.due_provisional = deadline.provisional


def find_organization(session, credit_code) -> Organization:
    """The organization with this credit code; ValidationError on `credit_code` otherwise."""
    code = normalize_credit_code(credit_code if isinstance(credit_code, str) else "")
    problem = credit_code_problem(code) if code else _l("请填写统一社会信用代码。")
    org = None if problem else session.scalar(
        select(Organization).where(Organization.credit_code == code))
    if org is None or org.archived_at is not None:
        raise ValidationError(_l("请更正标出的内容。"), {
            "credit_code": problem or _l("名录中没有这个统一社会信用代码的组织。")})
    return org


def register_submission(session, *, organization: Organization, year, received_on=None,
                        channel: str = IntakeChannel.desk.value, actor,
                        now: datetime | None = None) -> Submission:
    """Take in an annual report: a cycle must exist for the year, the organization may have only
    one live submission in it, and the receipt date is not in the future."""
    now = now or utcnow()
    today = today_in_center(now)
    received_on = received_on or today
    errors = {}
    cycle = cycle_for_year(session, year)
    if cycle is None:
        errors["year"] = _l("%(year)s 年度没有年检预审周期。", year=year)
    if not isinstance(received_on, date) or received_on > today:
        errors["received_on"] = _l("接收日期不能晚于今天。")
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    existing = session.scalar(select(Submission).where(
        Submission.organization_id == organization.id, Submission.cycle_id == cycle.id,
        Submission.state != ReviewState.withdrawn.value))
    if existing is not None:
        raise ConflictError(_l("该组织 %(year)s 年度的年报已登记，回执号 %(no)s。",
                               year=cycle.year, no=existing.receipt_no),
                            {"credit_code": _l("该年度已有一份在办的年报。")})
    audit.acting(session, actor)
    submission = Submission(cycle=cycle, organization=organization, channel=channel,
                            state=ReviewState.received.value, return_count=0,
                            receipt_no=_new_receipt_no(session, cycle.year),
                            received_on=received_on, created_by_id=getattr(actor, "id", None),
                            created_at=now, updated_at=now)
    _queue(session, submission, on=received_on, days=cycle.first_review_days)
    session.add(submission)
    _event(session, submission, EventKind.received, actor=actor, now=now)
    session.flush()
    return submission


def _waiting_query(reviewer):
    mine_first = (Submission.assigned_to_id.is_(None)).asc()
    return (select(Submission)
            .where(Submission.state.in_(WAITING_STATES),
                   (Submission.assigned_to_id == reviewer.id)
                   | Submission.assigned_to_id.is_(None))
            .order_by(mine_first, Submission.due_on, Submission.id))


def _take(session, submission, *, reviewer, now) -> bool:
    """Claim if still waiting: a conditional UPDATE, so a lost race changes nothing."""
    taken = session.execute(
        update(Submission)
        .where(Submission.id == submission.id, Submission.state.in_(WAITING_STATES))
        .values(state=ReviewState.in_review.value, claimed_by_id=reviewer.id, claimed_at=now,
                updated_at=now)
        .execution_options(synchronize_session=False)).rowcount == 1
    if taken:
        session.refresh(submission)
        _event(session, submission, EventKind.claimed, actor=reviewer, now=now)
        audit.acting(session, reviewer)
        session.flush()
    return taken


def claim_next(session, *, reviewer, now: datetime | None = None) -> Submission | None:
    """Give the reviewer the waiting item due first (theirs before unassigned ones), or None.
    Two reviewers pressing at once never get the same item."""
    now = now or utcnow()
    write_lock(session)
    for _attempt in range(5):
        candidate = session.scalar(_waiting_query(reviewer).limit(1)
                                   .with_for_update(skip_locked=True, of=Submission))
        if candidate is None:
            return None
        if _take(session, candidate, reviewer=reviewer, now=now):
            return candidate
    return None


def claim(session, submission: Submission, *, reviewer, now: datetime | None = None):
    """Claim one chosen item (from the queue page); refused if someone else was quicker."""
    if submission.assigned_to_id not in (None, reviewer.id) and reviewer.role not in MANAGERS:
        raise PermissionDenied(_l("这份年报已分派给 %(name)s。",
                                  name=submission.assigned_to.display_name))
    write_lock(session)
    if not _take(session, submission, reviewer=reviewer, now=now or utcnow()):
        session.refresh(submission)
        raise ConflictError(_state_message(submission))
    return submission


def _state_message(submission: Submission):
    if submission.state == ReviewState.in_review.value:
        return _l("这份年报已由 %(name)s 领取。", name=submission.claimed_by.display_name)
    return _l("这份年报当前状态为“%(state)s”，不能进行此操作。", state=_state_label(submission))


def _state_label(submission):
    return REVIEW_STATE_LABELS[submission.state]


def _held_by(submission: Submission, actor, *, managers_too=False) -> None:
    """The item must be in review and claimed by the actor (or, if allowed, a manager acts)."""
    if submission.state != ReviewState.in_review.value:
        raise ConflictError(_state_message(submission))
    if submission.claimed_by_id != actor.id and not (managers_too and actor.role in MANAGERS):
        raise PermissionDenied(_state_message(submission))


def release(session, submission, *, actor, now: datetime | None = None) -> Submission:
    """Put a claimed item back in the queue unchanged (its deadline still runs)."""
    _held_by(submission, actor, managers_too=True)
    audit.acting(session, actor)
    waiting = ReviewState.resubmitted if submission.return_count else ReviewState.received
    submission.state, submission.claimed_by_id, submission.claimed_at = waiting.value, None, None
    _event(session, submission, EventKind.released, actor=actor, now=now or utcnow())
    session.flush()
    return submission


def _comment(comment, errors, *, required=False):
    text = (comment or "").strip() if isinstance(comment, (str, type(None))) else None
    if text is None:
        errors["comment"] = _l("应为文字。")
    elif len(text) > MAX_COMMENT:
        errors["comment"] = _l("最多 %(n)d 个字，现有 %(m)d 个。", n=MAX_COMMENT, m=len(text))
    elif required and not text:
        errors["comment"] = _l("请填写说明。")
    return text or None


def active_reasons(session) -> list[ReturnReason]:
    return list(session.scalars(select(ReturnReason).where(ReturnReason.archived_at.is_(None))
                                .order_by(ReturnReason.position, ReturnReason.id)))


def return_submission(session, submission, *, reasons, comment=None, actor,
                      now: datetime | None = None) -> Submission:
    """Return for correction with at least one checklist reason; the organization then has the
    cycle's correction days, and the center's clock stops until it resubmits."""
    _held_by(submission, actor)
    errors = {}
    codes = list(dict.fromkeys(reasons or [])) if isinstance(reasons, (list, tuple)) else None
    known = {reason.code for reason in active_reasons(session)}
    if not codes:
        errors["reasons"] = _l("请至少选择一条退回原因。")
    elif any(code not in known for code in codes):
        errors["reasons"] = _l("未知的退回原因：%(codes)s。",
                               codes="、".join(str(c) for c in codes if c not in known))
    text = _comment(comment, errors)
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    now = now or utcnow()
    audit.acting(session, actor)
    correction = calendar.add_working_days(session, today_in_center(now),
                                           submission.cycle.correction_days)
    submission.state = ReviewState.returned.value
    submission.claimed_by_id = submission.claimed_at = None
    submission.due_on, submission.due_provisional = None, correction.provisional
    submission.correction_due_on = correction.day
    submission.return_count += 1
    _event(session, submission, EventKind.returned, actor=actor, now=now, reasons=codes,
           comment=text)
    session.flush()
    return submission


def resubmit(session, submission, *, actor, on: date | None = None, comment=None,
             now: datetime | None = None) -> Submission:
    """The corrected report is back: it re-enters the queue with the re-review deadline."""
    if submission.state != ReviewState.returned.value:
        raise ConflictError(_state_message(submission))
    errors = {}
    text = _comment(comment, errors)
    now = now or utcnow()
    on = on or today_in_center(now)
    if on > today_in_center(now):
        errors["received_on"] = _l("接收日期不能晚于今天。")
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    audit.acting(session, actor)
    _queue(session, submission, on=on, days=submission.cycle.re_review_days)
    submission.state = ReviewState.resubmitted.value
    submission.correction_due_on = None
    _event(session, submission, EventKind.resubmitted, actor=actor, now=now, comment=text)
    session.flush()
    return submission


def pass_submission(session, submission, *, actor, comment=None,
                    now: datetime | None = None) -> Submission:
    """The reviewer holding the item passes it; passing twice is refused."""
    _held_by(submission, actor)
    errors = {}
    text = _comment(comment, errors)
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    now = now or utcnow()
    audit.acting(session, actor)
    submission.state = ReviewState.passed.value
    submission.claimed_by_id = submission.claimed_at = None
    submission.due_on, submission.passed_at, submission.passed_by_id = None, now, actor.id
    _event(session, submission, EventKind.passed, actor=actor, now=now, comment=text)
    session.flush()
    return submission


def forward(session, submission, *, actor, now: datetime | None = None) -> Submission:
    """Hand a passed report on to the registration authority."""
    if submission.state != ReviewState.passed.value:
        raise ConflictError(_state_message(submission))
    now = now or utcnow()
    audit.acting(session, actor)
    submission.state, submission.forwarded_at = ReviewState.forwarded.value, now
    _event(session, submission, EventKind.forwarded, actor=actor, now=now)
    session.flush()
    return submission


def withdraw(session, submission, *, actor, comment, now: datetime | None = None):
    """Take a mistaken intake out (only while nobody works on it); the reason is required."""
    if submission.state not in (ReviewState.received.value, ReviewState.returned.value):
        raise ConflictError(_state_message(submission))
    errors = {}
    text = _comment(comment, errors, required=True)
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    now = now or utcnow()
    audit.acting(session, actor)
    submission.state, submission.due_on, submission.correction_due_on = \
        ReviewState.withdrawn.value, None, None
    _event(session, submission, EventKind.withdrawn, actor=actor, now=now, comment=text)
    session.flush()
    return submission


def assign(session, submissions, *, reviewer, actor, now: datetime | None = None) -> int:
    """Assign open items to a reviewer (None: unassign); items in review keep their holder."""
    now = now or utcnow()
    audit.acting(session, actor)
    changed = 0
    for submission in submissions:
        target = getattr(reviewer, "id", None)
        if submission.state in OPEN_STATES and submission.assigned_to_id != target:
            submission.assigned_to_id = target
            _event(session, submission, EventKind.assigned, actor=actor, now=now,
                   comment=reviewer.display_name if reviewer else None)
            changed += 1
    session.flush()
    return changed
