"""Three-tier platform liaison figures of a period of the center's days, from the records: the
weekly report's section (summary) and the daily statistics' line (by_day).

    summary(session, first, last) -> dict
    by_day(session, first, last) -> {key: {day: count}}

What is counted:
- needs and offers published: posts whose publication time falls in the period (whatever
  became of them since);
- matches proposed: created in the period; accepted: decided in the period and standing
  (accepted or completed now — a match declined later has its decision time moved to the
  decline, so it counts as declined then); completed: completed in the period;
- referrals made: created in the period; accepted: decided in the period and accepted or
  completed now;
- joint meetings held on a day of the period;
- decisions open (and overdue: due on or before the period's last day) as they stood at its
  end: decisions of meetings held by then (or not dated, but recorded by then) not done by then.
Grouped queries only; a report only reads.
"""
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select

from center.models.liaison import (JointMeeting, Match, MeetingDecision, PlatformReferral, Post,
                                   PostCategory)
from center.reports.consultation_stats import local_date
from center.reports.consultations import local_midnight

STANDING_MATCHES = ("accepted", "completed")
STANDING_REFERRALS = ("accepted", "completed")
CATEGORIES = tuple(c.value for c in PostCategory)


def _between(column, first: date, last: date):
    return and_(column >= local_midnight(first), column < local_midnight(last + timedelta(1)))


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def published(session, first: date, last: date) -> dict:
    """{(kind, category): count} of posts published in the period."""
    return {(kind, category): n for kind, category, n in session.execute(
        select(Post.kind, Post.category, func.count())
        .where(_between(Post.published_at, first, last))
        .group_by(Post.kind, Post.category))}


def accepted_by_category(session, first: date, last: date) -> dict:
    """{category: matches accepted in the period} by the need's category."""
    return dict(session.execute(
        select(Post.category, func.count()).select_from(Match)
        .join(Post, Post.id == Match.need_id)
        .where(Match.state.in_(STANDING_MATCHES), _between(Match.decided_at, first, last))
        .group_by(Post.category)).all())


def matches(session, first: date, last: date) -> dict:
    return {
        "proposed": _count(session, Match, _between(Match.created_at, first, last)),
        "accepted": _count(session, Match, Match.state.in_(STANDING_MATCHES),
                           _between(Match.decided_at, first, last)),
        "completed": _count(session, Match, _between(Match.completed_at, first, last)),
    }


def referrals(session, first: date, last: date) -> dict:
    return {
        "made": _count(session, PlatformReferral,
                       _between(PlatformReferral.created_at, first, last)),
        "accepted": _count(session, PlatformReferral,
                           PlatformReferral.state.in_(STANDING_REFERRALS),
                           _between(PlatformReferral.decided_at, first, last)),
    }


def decisions_standing(session, last: date) -> dict:
    """Open and overdue decisions at the end of `last`."""
    end = local_midnight(last + timedelta(1))
    row = session.execute(
        select(func.count(), func.count().filter(MeetingDecision.due_on <= last))
        .select_from(MeetingDecision).join(JointMeeting)
        .where(or_(JointMeeting.held_on <= last,
                   and_(JointMeeting.held_on.is_(None), JointMeeting.created_at < end)),
               or_(MeetingDecision.done_at.is_(None), MeetingDecision.done_at >= end))).one()
    return {"open": row[0], "overdue": row[1]}


def summary(session, first: date, last: date) -> dict:
    """Every figure of the period (see the module docstring)."""
    posts = published(session, first, last)
    accepted = accepted_by_category(session, first, last)
    return {
        "needs": sum(n for (kind, _c), n in posts.items() if kind == "need"),
        "offers": sum(n for (kind, _c), n in posts.items() if kind == "offer"),
        "by_category": [{"code": code, "needs": posts.get(("need", code), 0),
                         "offers": posts.get(("offer", code), 0),
                         "accepted": accepted.get(code, 0)} for code in CATEGORIES],
        "matches": matches(session, first, last),
        "referrals": referrals(session, first, last),
        "meetings": _count(session, JointMeeting, JointMeeting.held_on.between(first, last)),
        "decisions": decisions_standing(session, last),
    }


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _per_day(session, column, first: date, last: date, *where) -> dict:
    day = local_date(column)
    return {_as_date(d): n for d, n in session.execute(
        select(day, func.count()).where(_between(column, first, last), *where).group_by(day))}


def by_day(session, first: date, last: date) -> dict:
    """{key: {day: count}} for the daily statistics: needs and offers published, matches
    proposed and accepted, referrals made."""
    return {
        "needs": _per_day(session, Post.published_at, first, last, Post.kind == "need"),
        "offers": _per_day(session, Post.published_at, first, last, Post.kind == "offer"),
        "matches_proposed": _per_day(session, Match.created_at, first, last),
        "matches_accepted": _per_day(session, Match.decided_at, first, last,
                                     Match.state.in_(STANDING_MATCHES)),
        "referrals": _per_day(session, PlatformReferral.created_at, first, last),
    }
