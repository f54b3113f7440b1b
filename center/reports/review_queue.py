"""The pre-review queue as managers and reviewers read it: which cycle, which items, in which
order, who carries how much. Read-only; the writes are in services.review_assignment.

The queue is ordered by the center's deadline (due_on, then intake order). Filters live in the
URL (QueueFilter), so a filtered queue can be bookmarked and exported exactly as shown. Every
query keeps to the indexes of review_submissions: (cycle_id, state, due_on, id) for the queue,
(assigned_to_id, state) and (claimed_by_id) for a reviewer's items.
"""
import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from center.models.accounts import User
from center.models.directory import Organization
from center.models.reviews import (DONE_STATES, OPEN_STATES, WAITING_STATES, ReviewCycle,
                                   ReviewDuty, ReviewState, Submission)
from center.services import calendar
from center.services.field_checks import ascii_int

REVIEWER_ROLES = ("admin", "manager", "reviewer")  # may hold items in the queue
# The state filter: groups first, then each state. "open" is the queue's default.
STATE_FILTERS = {
    "open": _l("在办（等待与预审中）"), "waiting": _l("等待预审"),
    **{state.value: label for state, label in (
        (ReviewState.received, _l("已接收")), (ReviewState.in_review, _l("预审中")),
        (ReviewState.returned, _l("已退回")), (ReviewState.resubmitted, _l("已重新提交")),
        (ReviewState.passed, _l("预审通过")), (ReviewState.forwarded, _l("已转登记管理机关")),
        (ReviewState.withdrawn, _l("已撤回")))},
    "done": _l("已审结（通过与已转）"), "all": _l("全部"),
}
STATE_GROUPS = {"open": OPEN_STATES, "waiting": WAITING_STATES, "done": DONE_STATES}
UNASSIGNED = "none"  # the reviewer filter's value for items nobody is assigned
RECEIPT_RE = re.compile(r"^\d{4}-[0-9A-Z]{8}$")
CODE_RE = re.compile(r"^[0-9A-Z]{18}$")


@dataclass
class QueueFilter:
    cycle_id: int | None = None  # None: every cycle
    state: str = "open"
    org_type: str = ""
    district_id: int | None = None
    reviewer: str = ""  # "", UNASSIGNED or a user id as text
    overdue: bool = False
    channel: str = ""
    q: str = ""


# --- cycles --------------------------------------------------------------------------------

def cycles(session) -> list[ReviewCycle]:
    return list(session.scalars(select(ReviewCycle).order_by(ReviewCycle.year.desc())))


def current_cycle(session, today: date) -> ReviewCycle | None:
    """The cycle whose window holds today; else the latest one already open; else the latest."""
    rows = cycles(session)
    for pick in (lambda c: c.opens_on <= today <= c.closes_on, lambda c: c.opens_on <= today,
                 lambda c: True):
        found = next((cycle for cycle in rows if pick(cycle)), None)
        if found is not None:
            return found
    return None


# --- the queue -----------------------------------------------------------------------------

def _state_condition(state: str):
    if state in STATE_GROUPS:
        return Submission.state.in_(STATE_GROUPS[state])
    if state in STATE_FILTERS and state != "all":
        return Submission.state == state
    return None


def _reviewer_condition(value: str):
    if value == UNASSIGNED:
        return and_(Submission.assigned_to_id.is_(None), Submission.claimed_by_id.is_(None))
    user_id = ascii_int(value)
    if user_id is not None:
        return or_(Submission.assigned_to_id == user_id, Submission.claimed_by_id == user_id)
    return None


def _search_condition(q: str):
    text = q.strip()
    if not text:
        return None
    upper = text.upper()
    if RECEIPT_RE.match(upper):
        return Submission.receipt_no == upper
    if CODE_RE.match(upper):
        return Organization.credit_code == upper
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Organization.name.like(f"%{escaped}%", escape="\\")


def _order(state: str):
    """Open items by the center's deadline (the queue index gives this order); returned ones by
    the organization's deadline; anything else newest first."""
    if state in ("open", "waiting") or state in OPEN_STATES:
        return (Submission.due_on, Submission.id)  # never null here
    if state == ReviewState.returned.value:
        return (Submission.correction_due_on, Submission.id)
    return (Submission.id.desc(),)


def _needs_organization(filters: QueueFilter) -> bool:
    return bool(filters.org_type or filters.district_id or
                (filters.q.strip() and not RECEIPT_RE.match(filters.q.strip().upper())))


def conditions(filters: QueueFilter, today: date) -> list:
    """The WHERE terms of a filter (type, district and search need the organization joined)."""
    terms = [
        Submission.cycle_id == filters.cycle_id if filters.cycle_id else None,
        _state_condition(filters.state),
        Organization.type == filters.org_type if filters.org_type else None,
        Organization.district_id == filters.district_id if filters.district_id else None,
        _reviewer_condition(filters.reviewer),
        Submission.channel == filters.channel if filters.channel else None,
        _search_condition(filters.q),
    ]
    if filters.overdue:  # open and past the center's deadline
        if filters.state not in ("open", "waiting") + OPEN_STATES:
            terms.append(Submission.state.in_(OPEN_STATES))
        terms.append(Submission.due_on < today)
    return [term for term in terms if term is not None]


def _filtered(stmt, filters: QueueFilter, today: date):
    if _needs_organization(filters):
        stmt = stmt.join(Organization, Organization.id == Submission.organization_id)
    return stmt.where(*conditions(filters, today))


def queue_query(filters: QueueFilter, today: date):
    """Submissions matching the filter, in queue order, with their organization loaded (for the
    export: every row; the page reads one page of ids first, see queue_page)."""
    return (select(Submission).join(Submission.organization)
            .where(*conditions(filters, today))
            .options(contains_eager(Submission.organization))
            .order_by(*_order(filters.state)))


def ids_query(filters: QueueFilter, today: date):
    """Ids in queue order: read from the queue index alone unless an organization filter applies."""
    return _filtered(select(Submission.id), filters, today).order_by(*_order(filters.state))


def count_matching(session, filters: QueueFilter, today: date) -> int:
    stmt = _filtered(select(func.count()).select_from(Submission), filters, today)
    return session.scalar(stmt)


def queue_page(session, filters: QueueFilter, today: date, *, page: int, per_page: int):
    """One page of the queue and the total. The page's ids are sorted on the index (cheap at
    any depth), then only those rows are loaded with organization and reviewers: four queries."""
    total = count_matching(session, filters, today)
    ids = list(session.scalars(ids_query(filters, today)
                               .limit(per_page).offset((page - 1) * per_page)))
    if not ids:
        return [], total
    rows = session.scalars(select(Submission).where(Submission.id.in_(ids)).options(
        joinedload(Submission.organization), selectinload(Submission.assigned_to),
        selectinload(Submission.claimed_by)))
    by_id = {s.id: s for s in rows}
    return [by_id[i] for i in ids if i in by_id], total


# --- working days, for "how late" and ageing -----------------------------------------------

class WorkdayCounter:
    """Working days between any day of [first, last] and last, from one calendar read."""

    def __init__(self, session, first: date, last: date):
        self.first, self.last = min(first, last), last
        days = calendar.days_between(session, self.first + timedelta(1), last)
        self.after: dict[date, int] = {last: 0}  # working days after the day, up to last
        running = 0
        for info in reversed(days):
            running += info.is_workday
            self.after[info.day - timedelta(1)] = running

    def until_last(self, day: date) -> int:
        """Working days after `day` up to and including the last day (0 from `last` on)."""
        if day >= self.last:
            return 0
        return self.after.get(max(day, self.first), self.after[self.first])


def overdue_days(session, items, today: date) -> dict[int, int]:
    """Working days each overdue item is late, by submission id."""
    late = [s for s in items if s.is_overdue(today)]
    if not late:
        return {}
    counter = WorkdayCounter(session, min(s.due_on for s in late), today)
    return {s.id: counter.until_last(s.due_on) for s in late}


# --- reviewers -----------------------------------------------------------------------------

@dataclass
class ReviewerLoad:
    user: User
    on_duty: bool
    assigned_waiting: int  # assigned to them, not yet claimed
    in_review: int  # claimed by them now

    @property
    def open_load(self) -> int:
        return self.assigned_waiting + self.in_review


def reviewers(session) -> list[User]:
    """Active users who may hold items, reviewers first, by name."""
    return list(session.scalars(
        select(User).where(User.role.in_(REVIEWER_ROLES), User.is_active.is_(True),
                           User.archived_at.is_(None))
        .order_by((User.role != "reviewer"), User.display_name, User.id)))


def on_duty_ids(session) -> set[int]:
    return set(session.scalars(select(ReviewDuty.user_id)))


def open_loads(session, cycle_id: int | None = None) -> dict[int, tuple[int, int]]:
    """Per user id: (assigned and waiting, claimed now); two grouped queries on the indexes."""
    cycle = [Submission.cycle_id == cycle_id] if cycle_id else []
    waiting = session.execute(
        select(Submission.assigned_to_id, func.count())
        .where(Submission.assigned_to_id.is_not(None), Submission.state.in_(WAITING_STATES),
               *cycle)
        .group_by(Submission.assigned_to_id)).all()
    claimed = session.execute(
        select(Submission.claimed_by_id, func.count())
        .where(Submission.claimed_by_id.is_not(None), *cycle)
        .group_by(Submission.claimed_by_id)).all()
    loads: dict[int, tuple[int, int]] = {}
    for user_id, n in waiting:
        loads[user_id] = (n, 0)
    for user_id, n in claimed:
        loads[user_id] = (loads.get(user_id, (0, 0))[0], n)
    return loads


def reviewer_loads(session, cycle_id: int | None = None) -> list[ReviewerLoad]:
    """Every possible reviewer with duty and open load (the duty page, the balance preview)."""
    duty, loads = on_duty_ids(session), open_loads(session, cycle_id)
    return [ReviewerLoad(user, user.id in duty, *loads.get(user.id, (0, 0)))
            for user in reviewers(session)]


def unassigned_waiting_count(session, cycle_id: int | None) -> int:
    cycle = [Submission.cycle_id == cycle_id] if cycle_id else []
    return session.scalar(select(func.count()).select_from(Submission).where(
        Submission.state.in_(WAITING_STATES), Submission.assigned_to_id.is_(None), *cycle))
