"""The queue's pace and what it predicts: shared by the public status lookup (when will mine be
reviewed?) and the peak dashboard (when will the backlog clear?)."""
import math
from datetime import date, datetime, time

from sqlalchemy import and_, func, or_, select

from center.models.reviews import OPEN_STATES, WAITING_STATES, ReviewEvent, Submission
from center.services import calendar
from center.services.calendar import Deadline
from center.services.venue_rules import CENTER_TZ

PACE_DAYS = 10  # working days the pace is measured over
DECISIONS = ("passed", "returned")  # a reviewer has finished with the item, either way


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=CENTER_TZ)


def decisions_per_working_day(session, *, today: date, days: int = PACE_DAYS) -> float:
    """Items passed or returned per working day over the `days` working days before today
    (today is not over yet, so it would understate the pace)."""
    first = calendar.add_working_days(session, today, -days).day
    decided = session.scalar(select(func.count()).select_from(ReviewEvent).where(
        ReviewEvent.kind.in_(DECISIONS), ReviewEvent.at >= local_midnight(first),
        ReviewEvent.at < local_midnight(today)))
    return decided / days


def working_days_for(items: int, pace: float) -> int | None:
    """Working days to finish `items` at `pace` a day; None when nothing is being decided."""
    if items <= 0:
        return 0
    return math.ceil(items / pace) if pace > 0 else None


def finish_date(session, *, items: int, pace: float, today: date) -> Deadline | None:
    """The working day by which `items` are done at this pace (None: no pace to go by)."""
    days = working_days_for(items, pace)
    if days is None:
        return None
    return calendar.add_working_days(session, today, days) if days else Deadline(today, False)


def open_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Submission)
                          .where(Submission.state.in_(OPEN_STATES)))


def queue_position(session, submission: Submission) -> int | None:
    """1 for the next item to be claimed; None when the item is not waiting. Items ahead are those
    waiting with an earlier due date (or the same date and taken in earlier)."""
    if submission.state not in WAITING_STATES:
        return None
    ahead = session.scalar(select(func.count()).select_from(Submission).where(
        Submission.state.in_(WAITING_STATES),
        or_(Submission.due_on < submission.due_on,
            and_(Submission.due_on == submission.due_on, Submission.id < submission.id))))
    return ahead + 1
