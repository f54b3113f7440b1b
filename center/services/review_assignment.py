"""Managers share the queue out: bulk assignment, balancing across the reviewers on duty, and
who is on duty.

Assignment only says whose turn an item is: "claim next" gives a reviewer their assigned items
first, then unassigned ones, and never someone else's. Items being reviewed keep their holder.
Balancing hands the waiting items nobody on duty is carrying to the reviewers on duty, earliest
deadline first, each to whoever carries the least open work at that moment, so the load ends as
even as the items allow. A reviewer going off duty puts their unclaimed items back in the common
queue, so nothing waits on someone who is not there.
"""
import heapq
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from center.models.accounts import User
from center.models.base import utcnow
from center.models.reviews import WAITING_STATES, ReviewDuty, Submission
from center.reports.review_queue import REVIEWER_ROLES, open_loads
from center.services import audit, reviews
from center.services.errors import PermissionDenied, ValidationError
from center.services.venue_rules import write_lock

MANAGERS = ("admin", "manager")
MAX_SELECTED = 1000  # ids one request may name (a few pages of checkboxes)


@dataclass
class AssignResult:
    changed: int  # items now assigned to the reviewer (or unassigned)
    skipped: int  # chosen items that are no longer open (passed, returned, ...) or unchanged


def _require_manager(actor) -> None:
    if getattr(actor, "role", None) not in MANAGERS:
        raise PermissionDenied(_l("只有管理人员可以分派年报。"))


def check_reviewer(user) -> None:
    """The user can hold items: active, with a role that works the queue."""
    if user is None or not user.is_active or user.archived_at is not None \
            or user.role not in REVIEWER_ROLES:
        raise ValidationError(_l("请选择一位在职的预审人员。"),
                              {"reviewer": _l("该用户不能承担预审。")})


def _chosen(session, ids) -> list[Submission]:
    clean = sorted({i for i in ids or [] if isinstance(i, int) and not isinstance(i, bool)})
    if not clean:
        raise ValidationError(_l("请先勾选要分派的年报。"), {"ids": _l("没有勾选任何年报。")})
    if len(clean) > MAX_SELECTED:
        raise ValidationError(_l("一次最多分派 %(n)d 份。", n=MAX_SELECTED),
                              {"ids": _l("勾选的太多。")})
    return list(session.scalars(select(Submission).where(Submission.id.in_(clean))
                                .order_by(Submission.due_on, Submission.id)))


def assign_submissions(session, ids, *, reviewer: User | None, actor,
                       now: datetime | None = None) -> AssignResult:
    """Assign the chosen open items to one reviewer (None: back to the common queue)."""
    _require_manager(actor)
    if reviewer is not None:
        check_reviewer(reviewer)
    items = _chosen(session, ids)
    changed = reviews.assign(session, items, reviewer=reviewer, actor=actor, now=now or utcnow())
    return AssignResult(changed, len(items) - changed)


def on_duty(session) -> list[User]:
    """Reviewers on duty who can take items now, by name."""
    users = session.scalars(select(User).join(ReviewDuty, ReviewDuty.user_id == User.id)
                            .order_by(User.display_name, User.id))
    return [u for u in users if u.is_active and u.archived_at is None and u.role in REVIEWER_ROLES]


def _pool(session, *, cycle_id, ids, duty_ids) -> list[Submission]:
    """What balancing hands out: the chosen waiting items, or else every waiting item of the
    cycle that is unassigned or assigned to someone off duty; earliest deadline first."""
    if ids:
        return [s for s in _chosen(session, ids) if s.state in WAITING_STATES]
    stmt = select(Submission).where(
        Submission.state.in_(WAITING_STATES),
        or_(Submission.assigned_to_id.is_(None), Submission.assigned_to_id.not_in(duty_ids)))
    if cycle_id:
        stmt = stmt.where(Submission.cycle_id == cycle_id)
    return list(session.scalars(stmt.order_by(Submission.due_on, Submission.id)))


def balance(session, *, cycle_id: int | None = None, ids=None, actor,
            now: datetime | None = None) -> list[tuple[User, int]]:
    """Spread waiting items over the reviewers on duty by open load (see the module docstring).
    Returns each reviewer on duty with the number of items they were given."""
    _require_manager(actor)
    staff = on_duty(session)
    if not staff:
        raise ValidationError(_l("没有在岗的预审人员，请先在“在岗安排”中设置。"),
                              {"reviewer": _l("没有在岗的预审人员。")})
    by_id = {user.id: user for user in staff}
    pool = _pool(session, cycle_id=cycle_id, ids=ids, duty_ids=list(by_id))
    loads = {user_id: sum(pair) for user_id, pair in open_loads(session).items()}
    for item in pool:  # an item being moved no longer weighs on its current holder
        if item.assigned_to_id in by_id:
            loads[item.assigned_to_id] -= 1
    heap = [(loads.get(user.id, 0), rank, user.id) for rank, user in enumerate(staff)]
    heapq.heapify(heap)
    shares: dict[int, list[Submission]] = {user.id: [] for user in staff}
    for item in pool:
        load, rank, user_id = heapq.heappop(heap)
        shares[user_id].append(item)
        heapq.heappush(heap, (load + 1, rank, user_id))
    now = now or utcnow()
    given = [(by_id[user_id], reviews.assign(session, items, reviewer=by_id[user_id],
                                             actor=actor, now=now))
             for user_id, items in shares.items()]
    return given


def set_duty(session, user: User, *, on: bool, actor, now: datetime | None = None) -> int:
    """Put a reviewer on or off duty. Managers set anyone; a reviewer only themselves.
    Going off duty returns their unclaimed items to the common queue; returns how many."""
    if actor is None or (actor.role not in MANAGERS and actor.id != user.id):
        raise PermissionDenied(_l("只能设置自己的在岗状态。"))
    write_lock(session)  # SQLite: check and insert under the writer lock
    row = session.scalar(select(ReviewDuty).where(ReviewDuty.user_id == user.id))
    if on:
        check_reviewer(user)
        if row is None:
            _add_duty(session, user, now or utcnow())
        return 0
    if row is not None:
        session.delete(row)
    waiting = list(session.scalars(select(Submission).where(
        Submission.assigned_to_id == user.id, Submission.state.in_(WAITING_STATES))))
    released = reviews.assign(session, waiting, reviewer=None, actor=actor, now=now or utcnow())
    audit.acting(session, actor)
    session.flush()
    return released


def _add_duty(session, user: User, now: datetime) -> None:
    """Insert the duty row; a concurrent click that inserted it first is no error."""
    try:
        with session.begin_nested():
            session.add(ReviewDuty(user_id=user.id, since=now))
    except IntegrityError:
        pass

