"""The pre-review queue's state machine: intake (in center.services.review_intake, re-exported
here), claim, release, return, resubmit, pass, forward, withdraw, assignment. Deadlines are
counted in working days on the shared calendar.

Every transition re-reads the submission under a lock (PostgreSQL: SELECT ... FOR UPDATE; SQLite:
the single writer lock, BEGIN IMMEDIATE), checks its state and who holds it, records a ReviewEvent
(the timeline) and flushes; the caller commits. So of two requests acting on one item at once
(a double click, two reviewers, a manager releasing while the reviewer passes) the second sees
the first's result and is refused with a message. "Claim next" is atomic: on PostgreSQL the row
is taken with FOR UPDATE SKIP LOCKED, on SQLite under the writer lock.

The center's clock runs while a report waits on the center or is reviewed (received,
resubmitted, in_review: `due_on` is set) and stops while it waits on the organization
(returned: `due_on` is None, `correction_due_on` is the organization's deadline).
"""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from center.models.accounts import User
from center.models.base import utcnow
from center.models.reviews import (OPEN_STATES, REVIEW_STATE_LABELS, WAITING_STATES, EventKind,
                                   ReturnReason, ReviewState, Submission)
from center.services import audit, calendar
from center.services.errors import ConflictError, PermissionDenied, ValidationError
# Intake lives in its own module; callers import it from here, as from the whole state machine.
from center.services.review_intake import (FIX_THESE, cycle_for_year,  # noqa: F401
                                           find_organization, intake_problems, live_submission,
                                           lock_submission, record_event, register_submission,
                                           start_wait, today_in_center)
from center.services.venue_rules import CENTER_TZ, write_lock

MAX_COMMENT = 2000
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


def seed_return_reasons(session) -> int:
    """Add the default checklist items that are missing (by code); returns how many."""
    known = set(session.scalars(select(ReturnReason.code)))
    added = [ReturnReason(code=code, label=label, guidance=guidance, position=i)
             for i, (code, label, guidance) in enumerate(DEFAULT_REASONS) if code not in known]
    session.add_all(added)
    session.flush()
    return len(added)


# --- claiming ------------------------------------------------------------------------------------

def _waiting_queries(reviewer):
    """The reviewer's own assigned items first, then unassigned ones, each due first. Two
    queries, so each walks an index (the unassigned backlog's is partial) instead of sorting
    the whole backlog on every press."""
    waiting = Submission.state.in_(WAITING_STATES)
    order = (Submission.due_on, Submission.id)
    return (select(Submission).where(waiting, Submission.assigned_to_id == reviewer.id)
            .order_by(*order),
            select(Submission).where(waiting, Submission.assigned_to_id.is_(None))
            .order_by(*order))


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
        record_event(session, submission, EventKind.claimed, actor=reviewer, now=now)
        audit.acting(session, reviewer)
        session.flush()
    return taken


def claim_next(session, *, reviewer, now: datetime | None = None) -> Submission | None:
    """Give the reviewer the waiting item due first (theirs before unassigned ones), or None.
    Two reviewers pressing at once never get the same item."""
    now = now or utcnow()
    write_lock(session)
    for _attempt in range(5):
        candidate = next(filter(None, (
            session.scalar(query.limit(1).with_for_update(skip_locked=True, of=Submission))
            for query in _waiting_queries(reviewer))), None)
        if candidate is None:
            return None
        if _take(session, candidate, reviewer=reviewer, now=now):
            return candidate
    return None


def claim(session, submission: Submission, *, reviewer, now: datetime | None = None):
    """Claim one chosen item (from the queue page); refused if someone else was quicker or it
    is assigned to another reviewer (managers may take any)."""
    lock_submission(session, submission)
    if submission.state == ReviewState.in_review.value and submission.claimed_by_id == reviewer.id:
        return submission  # pressed twice: it is already theirs
    if submission.state in WAITING_STATES and reviewer.role not in MANAGERS \
            and submission.assigned_to_id not in (None, reviewer.id):
        raise PermissionDenied(_l("这份年报已分派给 %(name)s。",
                                  name=submission.assigned_to.display_name))
    if not _take(session, submission, reviewer=reviewer, now=now or utcnow()):
        raise ConflictError(_state_message(submission))
    return submission


def _state_message(submission: Submission):
    if submission.state == ReviewState.in_review.value:
        return _l("这份年报已由 %(name)s 领取。", name=submission.claimed_by.display_name)
    return _l("这份年报当前状态为“%(state)s”，不能进行此操作。", state=_state_label(submission))


def _state_label(submission):
    return REVIEW_STATE_LABELS[submission.state]


def _held_by(session, submission: Submission, actor, *, managers_too=False) -> None:
    """The item must be in review and claimed by the actor (or, if allowed, a manager acts)."""
    lock_submission(session, submission)
    if submission.state != ReviewState.in_review.value:
        raise ConflictError(_state_message(submission))
    if submission.claimed_by_id != actor.id and not (managers_too and actor.role in MANAGERS):
        raise PermissionDenied(_state_message(submission))


def _own_organization(submission: Submission, actor) -> None:
    """An organization's own user acts only on its own reports."""
    if getattr(actor, "role", None) == "org" and actor.organization_id != \
            submission.organization_id:
        raise PermissionDenied(_l("只能操作本组织的年报。"))


def release(session, submission, *, actor, now: datetime | None = None) -> Submission:
    """Put a claimed item back in the queue unchanged (its deadline still runs)."""
    _held_by(session, submission, actor, managers_too=True)
    audit.acting(session, actor)
    waiting = ReviewState.resubmitted if submission.return_count else ReviewState.received
    submission.state, submission.claimed_by_id, submission.claimed_at = waiting.value, None, None
    record_event(session, submission, EventKind.released, actor=actor, now=now or utcnow())
    session.flush()
    return submission


# --- decisions -----------------------------------------------------------------------------------

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


def _reason_codes(session, reasons, errors) -> list[str]:
    codes = list(dict.fromkeys(reasons or [])) if isinstance(reasons, (list, tuple)) else None
    known = {reason.code for reason in active_reasons(session)}
    if not codes:
        errors["reasons"] = _l("请至少选择一条退回原因。")
    elif any(code not in known for code in codes):
        errors["reasons"] = _l("未知的退回原因：%(codes)s。",
                               codes="、".join(str(c) for c in codes if c not in known))
    return codes or []


def return_submission(session, submission, *, reasons, comment=None, actor,
                      now: datetime | None = None) -> Submission:
    """Return for correction with at least one checklist reason; the organization then has the
    cycle's correction days, and the center's clock stops until it resubmits. The
    organization's users are told (inbox and e-mail)."""
    errors = {}
    codes = _reason_codes(session, reasons, errors)
    text = _comment(comment, errors)
    _held_by(session, submission, actor)
    if errors:
        raise ValidationError(FIX_THESE, errors)
    now = now or utcnow()
    audit.acting(session, actor)
    correction = calendar.add_working_days(session, today_in_center(now),
                                           submission.cycle.correction_days)
    submission.state = ReviewState.returned.value
    submission.claimed_by_id = submission.claimed_at = None
    submission.due_on, submission.due_provisional = None, correction.provisional
    submission.correction_due_on = correction.day
    submission.return_count += 1
    record_event(session, submission, EventKind.returned, actor=actor, now=now, reasons=codes,
                 comment=text)
    _tell_organization(session, submission, kind="review_returned",
                       title=_l("年报被退回修改（回执号 %(no)s）", no=submission.receipt_no),
                       body=_l("请在 %(day)s 前修改后重新提交。", day=correction.day.isoformat()))
    session.flush()
    return submission


def resubmit(session, submission, *, actor, on: date | None = None, comment=None,
             now: datetime | None = None) -> Submission:
    """The corrected report is back: it re-enters the queue with the re-review deadline."""
    _own_organization(submission, actor)
    lock_submission(session, submission)
    if submission.state != ReviewState.returned.value:
        raise ConflictError(_state_message(submission))
    errors = {}
    text = _comment(comment, errors)
    now = now or utcnow()
    on = on or today_in_center(now)
    if not isinstance(on, date) or on > today_in_center(now):
        errors["received_on"] = _l("接收日期不能晚于今天。")
    elif on < _returned_on(submission):
        errors["received_on"] = _l("接收日期不能早于退回日期。")
    if errors:
        raise ValidationError(FIX_THESE, errors)
    audit.acting(session, actor)
    start_wait(session, submission, on=on, days=submission.cycle.re_review_days)
    submission.state = ReviewState.resubmitted.value
    submission.correction_due_on = None
    record_event(session, submission, EventKind.resubmitted, actor=actor, now=now, comment=text)
    session.flush()
    return submission


def _returned_on(submission: Submission) -> date:
    return max(event.at for event in submission.events
               if event.kind == EventKind.returned.value).astimezone(CENTER_TZ).date()


def pass_submission(session, submission, *, actor, comment=None,
                    now: datetime | None = None) -> Submission:
    """The reviewer holding the item passes it; passing twice is refused."""
    errors = {}
    text = _comment(comment, errors)
    _held_by(session, submission, actor)
    if errors:
        raise ValidationError(FIX_THESE, errors)
    now = now or utcnow()
    audit.acting(session, actor)
    submission.state = ReviewState.passed.value
    submission.claimed_by_id = submission.claimed_at = None
    submission.due_on, submission.passed_at, submission.passed_by_id = None, now, actor.id
    record_event(session, submission, EventKind.passed, actor=actor, now=now, comment=text)
    _tell_organization(session, submission, kind="review_passed",
                       title=_l("年报预审通过（回执号 %(no)s）", no=submission.receipt_no))
    session.flush()
    return submission


def forward(session, submission, *, actor, now: datetime | None = None) -> Submission:
    """Hand a passed report on to the registration authority."""
    lock_submission(session, submission)
    if submission.state != ReviewState.passed.value:
        raise ConflictError(_state_message(submission))
    now = now or utcnow()
    audit.acting(session, actor)
    submission.state, submission.forwarded_at = ReviewState.forwarded.value, now
    record_event(session, submission, EventKind.forwarded, actor=actor, now=now)
    session.flush()
    return submission


def withdraw(session, submission, *, actor, comment, now: datetime | None = None):
    """Take a mistaken intake out (only while nobody works on it); the reason is required.
    The organization may then hand in a new one for the year."""
    _own_organization(submission, actor)
    lock_submission(session, submission)
    if submission.state not in (ReviewState.received.value, ReviewState.returned.value):
        raise ConflictError(_state_message(submission))
    errors = {}
    text = _comment(comment, errors, required=True)
    if errors:
        raise ValidationError(FIX_THESE, errors)
    now = now or utcnow()
    audit.acting(session, actor)
    submission.state, submission.due_on, submission.correction_due_on = \
        ReviewState.withdrawn.value, None, None
    record_event(session, submission, EventKind.withdrawn, actor=actor, now=now, comment=text)
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
            record_event(session, submission, EventKind.assigned, actor=actor, now=now,
                         comment=reviewer.display_name if reviewer else None)
            changed += 1
    session.flush()
    return changed


def _tell_organization(session, submission, *, kind: str, title, body=None) -> None:
    """The organization's own users hear of a decision (sent after the commit)."""
    from center.services.notifications import notify

    users = list(session.scalars(select(User).where(
        User.role == "org", User.organization_id == submission.organization_id,
        User.is_active.is_(True), User.archived_at.is_(None)).order_by(User.id)))
    if users:
        notify(session, users, kind=kind, title=str(title),
               body=None if body is None else str(body), link="/reviews/mine")

