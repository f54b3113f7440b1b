"""The peak dashboard: backlog by state, ageing in working days, overdue items, throughput per
reviewer per day, the backlog's recent course and the date it clears at the recent pace, and
status enquiries per day (calls and visits against public lookups).

Every figure is one grouped query (counts by state, by queue date, by reviewer and day, by day
and kind), so the page costs the same at 500 or 50,000 submissions; working days come from one
read of the shared calendar per range. Days are the center's local days.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Date, and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from center.models.accounts import User
from center.models.reviews import (OPEN_STATES, ReviewCycle, ReviewEnquiry, ReviewEvent,
                                   ReviewState, Submission)
from center.reports import reviews as pace_reports
from center.reports.review_queue import WorkdayCounter
from center.reports.reviews import DECISIONS, PACE_DAYS, local_midnight
from center.services import calendar
from center.services.venue_rules import CENTER_TZ

AGE_BUCKETS = ((0, 1), (2, 3), (4, 5), (6, 10), (11, None))  # working days waiting
ENQUIRY_DAYS = 14  # calendar days of status enquiries shown
ARRIVALS = ("received", "resubmitted")  # events that put an item in the queue


class local_day(FunctionElement):
    """The center's calendar date of a stored UTC timestamp, computed by the database."""

    type = Date()
    inherit_cache = True
    name = "local_day"


@compiles(local_day, "postgresql")
def _local_day_pg(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"CAST(({column} AT TIME ZONE '{CENTER_TZ.key}') AS DATE)"


@compiles(local_day, "sqlite")
def _local_day_sqlite(element, compiler, **kw):
    # SQLite has no zone data; China keeps one offset all year (no daylight saving).
    minutes = int(CENTER_TZ.utcoffset(local_midnight(date(2020, 1, 1))).total_seconds() // 60)
    return f"date({compiler.process(element.clauses, **kw)}, '{minutes:+d} minutes')"


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- backlog, ageing, overdue --------------------------------------------------------------

def backlog_by_state(session, cycle_id: int) -> dict[str, int]:
    """Items per state in the cycle (every state present, zero when none)."""
    rows = session.execute(select(Submission.state, func.count())
                           .where(Submission.cycle_id == cycle_id).group_by(Submission.state))
    counts = {state.value: 0 for state in ReviewState}
    counts.update({state: n for state, n in rows})
    return counts


@dataclass
class AgeBucket:
    low: int
    high: int | None  # None: and more
    count: int = 0
    beyond_service_level: bool = False


def ageing(session, cycle: ReviewCycle, today: date) -> list[AgeBucket]:
    """Open items by working days since they entered the queue (received or resubmitted);
    buckets past the cycle's first-review service level are flagged."""
    rows = session.execute(select(Submission.queued_on, func.count())
                           .where(Submission.cycle_id == cycle.id,
                                  Submission.state.in_(OPEN_STATES))
                           .group_by(Submission.queued_on)).all()
    buckets = [AgeBucket(low, high, beyond_service_level=low > cycle.first_review_days)
               for low, high in AGE_BUCKETS]
    if not rows:
        return buckets
    counter = WorkdayCounter(session, min(_as_date(day) for day, _n in rows), today)
    for day, n in rows:
        age = counter.until_last(_as_date(day))
        next(b for b in buckets if b.high is None or age <= b.high).count += n
    return buckets


@dataclass
class Overdue:
    center: int  # open past the center's deadline
    due_today: int
    organizations: int  # returned and past the organization's correction deadline


def overdue(session, cycle_id: int, today: date) -> Overdue:
    """Three counts, each a range of the queue index (cycle, state, due date)."""
    def count(*where) -> int:
        return session.scalar(select(func.count()).select_from(Submission)
                              .where(Submission.cycle_id == cycle_id, *where))
    is_open = Submission.state.in_(OPEN_STATES)
    return Overdue(count(is_open, Submission.due_on < today),
                   count(is_open, Submission.due_on == today),
                   count(Submission.state == ReviewState.returned.value,
                         Submission.correction_due_on < today))


# --- throughput ----------------------------------------------------------------------------

def recent_workdays(session, today: date, days: int = PACE_DAYS) -> list[date]:
    """The `days` working days before today, oldest first (the pace's window)."""
    first = calendar.add_working_days(session, today, -days).day
    return [d.day for d in calendar.days_between(session, first, today - timedelta(1))
            if d.is_workday]


@dataclass
class ReviewerThroughput:
    name: str
    per_day: list[int]  # per working day of the window, then today
    total: int = 0  # over the window, today excluded

    @property
    def average(self) -> float:
        return self.total / max(1, len(self.per_day) - 1)


def throughput(session, *, cycle_id: int, workdays: list[date], today: date):
    """Decisions (passed or returned) per reviewer per working day, today last (in progress)."""
    columns = workdays + [today]
    rows = session.execute(
        select(ReviewEvent.actor_id, local_day(ReviewEvent.at), func.count())
        .join(Submission, Submission.id == ReviewEvent.submission_id)
        .where(ReviewEvent.kind.in_(DECISIONS), Submission.cycle_id == cycle_id,
               ReviewEvent.at >= local_midnight(columns[0]),
               ReviewEvent.at < local_midnight(today + timedelta(1)))
        .group_by(ReviewEvent.actor_id, local_day(ReviewEvent.at))).all()
    names = dict(session.execute(select(User.id, User.display_name).where(
        User.id.in_({actor for actor, _d, _n in rows if actor is not None}))).all())
    index = {day: i for i, day in enumerate(columns)}
    result: dict[int | None, ReviewerThroughput] = {}
    for actor, day, n in rows:
        position = index.get(_as_date(day))
        if position is None:
            continue  # a decision on a holiday inside the window: not a column of its own
        entry = result.setdefault(actor, ReviewerThroughput(names.get(actor, "—"),
                                                            [0] * len(columns)))
        entry.per_day[position] += n
    for entry in result.values():
        entry.total = sum(entry.per_day[:-1])
    return sorted(result.values(), key=lambda e: (-e.total, e.name)), columns


# --- the backlog's course and its forecast -------------------------------------------------

def daily_flows(session, *, cycle_id: int, first: date, today: date) -> dict[date, int]:
    """Net change of the open backlog per local day from first to today: arrivals (received,
    resubmitted) minus decisions (passed, returned) and withdrawals of a first intake."""
    change = case((ReviewEvent.kind.in_(ARRIVALS), 1),
                  (ReviewEvent.kind.in_(DECISIONS), -1),
                  (and_(ReviewEvent.kind == "withdrawn", Submission.return_count == 0), -1),
                  else_=0)
    rows = session.execute(
        select(local_day(ReviewEvent.at), func.sum(change))
        .join(Submission, Submission.id == ReviewEvent.submission_id)
        .where(Submission.cycle_id == cycle_id,
               ReviewEvent.kind.in_(ARRIVALS + DECISIONS + ("withdrawn",)),
               ReviewEvent.at >= local_midnight(first),
               ReviewEvent.at < local_midnight(today + timedelta(1)))
        .group_by(local_day(ReviewEvent.at))).all()
    return {_as_date(day): int(n or 0) for day, n in rows}


def arrivals_per_workday(session, *, cycle_id: int, workdays: list[date], today: date) -> float:
    """Items entering the queue per working day over the pace window (today excluded)."""
    if not workdays:
        return 0.0
    n = session.scalar(select(func.count()).select_from(ReviewEvent)
                       .join(Submission, Submission.id == ReviewEvent.submission_id)
                       .where(Submission.cycle_id == cycle_id, ReviewEvent.kind.in_(ARRIVALS),
                              ReviewEvent.at >= local_midnight(workdays[0]),
                              ReviewEvent.at < local_midnight(today)))
    return n / len(workdays)


def backlog_history(flows: dict[date, int], workdays: list[date], today: date,
                    open_now: int) -> list[tuple[date, int]]:
    """The open backlog at the end of each working day of the window, and now: walked back
    from today's count through each day's net change."""
    points, backlog = [(today, open_now)], open_now
    days = sorted(d for d in flows if d <= today)
    later = iter(reversed(days))
    pending = next(later, None)
    for day in reversed(workdays):
        while pending is not None and pending > day:  # undo every change after this day
            backlog -= flows[pending]
            pending = next(later, None)
        points.append((day, max(0, backlog)))
    return list(reversed(points))


@dataclass
class Forecast:
    open_now: int
    pace: float  # decisions per working day, recent
    arrivals: float  # items entering per working day, recent
    clears_on: date | None  # at the pace, if nothing new arrived; None: no pace
    clears_on_net: date | None  # if items keep arriving as recently; None: not shrinking
    provisional: bool
    history: list[tuple[date, int]] = field(default_factory=list)
    days_to_clear: int | None = None
    closes_on: date | None = None
    needed_pace: float | None = None  # per working day to clear by the window's close


def forecast(session, *, cycle: ReviewCycle, today: date, open_now: int) -> Forecast:
    workdays = recent_workdays(session, today)
    pace = pace_reports.decisions_per_working_day(session, today=today)
    arrivals = arrivals_per_workday(session, cycle_id=cycle.id, workdays=workdays, today=today)
    clears = pace_reports.finish_date(session, items=open_now, pace=pace, today=today)
    net = pace - arrivals
    clears_net = pace_reports.finish_date(session, items=open_now, pace=net, today=today) \
        if net > 0 else None
    flows = daily_flows(session, cycle_id=cycle.id, first=workdays[0] if workdays else today,
                        today=today)
    left = calendar.working_days_between(session, today, cycle.closes_on).days \
        if cycle.closes_on > today else 0
    return Forecast(
        open_now=open_now, pace=pace, arrivals=arrivals, clears_on=clears and clears.day,
        clears_on_net=clears_net and clears_net.day,
        provisional=bool(clears and clears.provisional),
        history=backlog_history(flows, workdays, today, open_now),
        days_to_clear=pace_reports.working_days_for(open_now, pace), closes_on=cycle.closes_on,
        needed_pace=open_now / left if left > 0 else None)


# --- status enquiries ----------------------------------------------------------------------

@dataclass
class EnquiryDay:
    day: date
    phone: int = 0
    visit: int = 0
    lookup: int = 0

    @property
    def calls(self) -> int:
        return self.phone + self.visit


def enquiries_per_day(session, today: date, days: int = ENQUIRY_DAYS) -> list[EnquiryDay]:
    """Status enquiries per local day, oldest first: calls and visits tagged by staff against
    successful public lookups (does the lookup cut the calls?)."""
    first = today - timedelta(days - 1)
    rows = session.execute(
        select(local_day(ReviewEnquiry.at), ReviewEnquiry.source, func.count())
        .where(ReviewEnquiry.at >= local_midnight(first),
               ReviewEnquiry.at < local_midnight(today + timedelta(1)))
        .group_by(local_day(ReviewEnquiry.at), ReviewEnquiry.source)).all()
    result = {first + timedelta(i): EnquiryDay(first + timedelta(i)) for i in range(days)}
    for day, source, n in rows:
        entry = result.get(_as_date(day))
        if entry is not None and source in ("phone", "visit", "lookup"):
            setattr(entry, source, n)
    return list(result.values())


# --- the whole page ------------------------------------------------------------------------

def build(session, cycle: ReviewCycle, today: date) -> dict:
    """Everything the dashboard shows for a cycle, as plain data for the template."""
    states = backlog_by_state(session, cycle.id)
    open_now = sum(states[s] for s in OPEN_STATES)
    workdays = recent_workdays(session, today)
    per_reviewer, columns = throughput(session, cycle_id=cycle.id, workdays=workdays,
                                       today=today)
    return {"states": states, "open_now": open_now, "ageing": ageing(session, cycle, today),
            "overdue": overdue(session, cycle.id, today), "throughput": per_reviewer,
            "columns": columns, "forecast": forecast(session, cycle=cycle, today=today,
                                                     open_now=open_now),
            "enquiries": enquiries_per_day(session, today)}
