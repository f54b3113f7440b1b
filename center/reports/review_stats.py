"""Pre-review figures of a period of the center's days, from the records (the timeline): what
came in, what was decided, and the backlog and overdue items as they stood at the period's end.

    summary(session, first, last) -> dict

Grouped queries only; "as they stood" reads each submission's last event before the moment, so
a week's figures come out the same whenever they are generated.
"""
from datetime import date, timedelta

from sqlalchemy import func, select

from center.models.reviews import OPEN_STATES, ReviewEvent, Submission
from center.reports.consultations import local_midnight

COUNTED_EVENTS = ("received", "resubmitted", "passed", "returned", "forwarded")


def _period(first: date, last: date):
    return (ReviewEvent.at >= local_midnight(first),
            ReviewEvent.at < local_midnight(last + timedelta(days=1)))


def events(session, first: date, last: date) -> dict:
    """How many of each kind of step happened in the period."""
    found = dict(session.execute(
        select(ReviewEvent.kind, func.count()).where(ReviewEvent.kind.in_(COUNTED_EVENTS),
                                                     *_period(first, last))
        .group_by(ReviewEvent.kind)).all())
    return {kind: found.get(kind, 0) for kind in COUNTED_EVENTS}


def standing(session, last: date) -> dict:
    """Open (waiting or in review) and overdue submissions at the end of `last`."""
    end = local_midnight(last + timedelta(days=1))
    latest = (select(func.max(ReviewEvent.id).label("id")).where(ReviewEvent.at < end)
              .group_by(ReviewEvent.submission_id).subquery())
    row = session.execute(
        select(func.count(), func.count().filter(ReviewEvent.due_on <= last))
        .select_from(ReviewEvent).join(latest, latest.c.id == ReviewEvent.id)
        .where(ReviewEvent.state.in_(OPEN_STATES))).one()
    return {"backlog": row[0], "overdue": row[1]}


def by_reviewer(session, first: date, last: date) -> list[dict]:
    """Decisions (passed or returned) per reviewer in the period, most first."""
    from center.models.accounts import User

    rows = session.execute(
        select(User.display_name, func.count().filter(ReviewEvent.kind == "passed"),
               func.count().filter(ReviewEvent.kind == "returned"))
        .select_from(ReviewEvent).join(User, User.id == ReviewEvent.actor_id)
        .where(ReviewEvent.kind.in_(("passed", "returned")), *_period(first, last))
        .group_by(User.id, User.display_name).order_by(func.count().desc(), User.display_name))
    return [{"name": name, "passed": passed, "returned": returned}
            for name, passed, returned in rows]


def received_in(session, first: date, last: date) -> int:
    """Reports handed in (by their receipt date) in the period."""
    return session.scalar(select(func.count()).select_from(Submission).where(
        Submission.received_on.between(first, last), Submission.state != "withdrawn"))


def summary(session, first: date, last: date) -> dict:
    return {"first": first, "last": last, "events": events(session, first, last),
            "received": received_in(session, first, last), **standing(session, last),
            "by_reviewer": by_reviewer(session, first, last)}
