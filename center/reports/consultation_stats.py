"""Consultation statistics for a period of the center's days: the figures the weekly report
(工作周报) and the statistics page read, computed from the records, never copied.

    summary(session, first, last, today=None) -> dict   # every figure below in one dict

Each figure is also a function of its own with the same arguments, answering from grouped
queries (Python adds up at most days x channels x states groups, never consultations), so the
cost grows with the rows of the period, read through the indexes, not with the table. totals,
by_day, by_channel and by_state add up one grouped pass (`logged_groups`, which summary runs
once and hands to each as `groups=`):

- totals: consultations, minutes (sum and average per consultation), organizations served
  (distinct), consultations by individuals (no organization);
- by_day: per day of the period (days without consultations included, as zeros): count, minutes;
- by_topic, by_channel, by_state: per code (every code listed, in the models' order): count,
  minutes. A consultation with two topics counts under both, so topic counts add up to more than
  the total;
- by_staff: per staff member who logged consultations, most (then longest) first: count,
  minutes;
- follow_ups: opened (consultations of the period that needed a follow-up), closed (follow-ups
  closed in the period, whenever logged), open and overdue at the end of the period (or today,
  if earlier): still open then, and of those the ones whose date had passed;
- referrals: made in the period: total, per state (as they stand now) and per service mode, to
  experts and to partners; done: referrals completed in the period;
- satisfaction: evaluations recorded in the period (成效评估): how many, the average (1–5) and
  how many gave each score;
- evaluation_by_topic, evaluation_by_staff: the same evaluations per topic and per staff member
  (evaluated, average, satisfied = scores 4 and 5).

Days are the center's (Asia/Shanghai): `first`..`last` inclusive. Archived consultations are
left out. Codes are returned, not labels (center.models.consultations has the label dicts), so
the weekly report can label them in its own language; numbers are ints, averages floats rounded
to two places or None when there is nothing to average.
"""
from datetime import date, timedelta

from sqlalchemy import Date, and_, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from center.models.accounts import User
from center.models.consultations import (Channel, Consultation, ConsultationState,
                                         ConsultationTopic, Referral, ServiceMode, Topic)
from center.reports.consultations import local_midnight
from center.services.venue_rules import CENTER_TZ

MAX_DAYS = 366  # the longest period one request computes (a year, day by day)


class local_date(FunctionElement):
    """The center's calendar date of a stored UTC timestamp, computed by the database."""

    type = Date()
    inherit_cache = True
    name = "local_date"


@compiles(local_date, "postgresql")
def _local_date_pg(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"CAST(({column} AT TIME ZONE '{CENTER_TZ.key}') AS DATE)"


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    # SQLite has no time-zone data; China keeps one offset all year (no daylight saving).
    minutes = int(CENTER_TZ.utcoffset(local_midnight(date(2020, 1, 1))).total_seconds() // 60)
    column = compiler.process(element.clauses, **kw)
    return f"date({column}, '{minutes:+d} minutes')"


def _between(column, first: date, last: date):
    return and_(column >= local_midnight(first), column < local_midnight(last + timedelta(1)))


def _logged(first: date, last: date) -> list:
    """Consultations that took place in the period (not archived)."""
    return [Consultation.archived_at.is_(None), _between(Consultation.occurred_at, first, last)]


def _average(value) -> float | None:
    return None if value is None else round(float(value), 2)


def logged_groups(session, first: date, last: date) -> list:
    """One pass over the period's consultations, grouped by (day, channel, state): the small
    table that totals, by_day, by_channel and by_state add up (summary reads it once)."""
    day = local_date(Consultation.occurred_at)
    return list(session.execute(
        select(day.label("day"), Consultation.channel, Consultation.state,
               func.count().label("count"), func.sum(Consultation.minutes).label("minutes"),
               func.count().filter(Consultation.organization_id.is_(None)).label("individuals"))
        .where(*_logged(first, last)).group_by(day, Consultation.channel, Consultation.state)))


def _add_up(groups, key, keys) -> list[dict]:
    """Counts and minutes of the groups per value of `key`, for each of `keys` in order."""
    sums = {k: [0, 0] for k in keys}
    for group in groups:
        entry = sums.setdefault(getattr(group, key), [0, 0])
        entry[0] += group.count
        entry[1] += int(group.minutes)
    return [{"code": k, "count": sums[k][0], "minutes": sums[k][1]} for k in keys]


def totals(session, first: date, last: date, *, groups=None) -> dict:
    groups = logged_groups(session, first, last) if groups is None else groups
    count = sum(g.count for g in groups)
    minutes = sum(int(g.minutes) for g in groups)
    organizations = session.scalar(select(func.count(Consultation.organization_id.distinct()))
                                   .where(*_logged(first, last)))
    return {"consultations": count, "minutes": minutes,
            "average_minutes": _average(minutes / count) if count else None,
            "organizations": organizations, "individuals": sum(g.individuals for g in groups)}


def by_day(session, first: date, last: date, *, groups=None) -> list[dict]:
    groups = logged_groups(session, first, last) if groups is None else groups
    days = [first + timedelta(n) for n in range((last - first).days + 1)]
    return [{"day": row["code"], "count": row["count"], "minutes": row["minutes"]}
            for row in _add_up(groups, "day", days)]


def by_channel(session, first: date, last: date, *, groups=None) -> list[dict]:
    groups = logged_groups(session, first, last) if groups is None else groups
    return _add_up(groups, "channel", [c.value for c in Channel])


def by_state(session, first: date, last: date, *, groups=None) -> list[dict]:
    groups = logged_groups(session, first, last) if groups is None else groups
    return _add_up(groups, "state", [s.value for s in ConsultationState])


def by_topic(session, first: date, last: date) -> list[dict]:
    topic = ConsultationTopic.topic
    found = {code: (count, int(minutes)) for code, count, minutes in session.execute(
        select(topic, func.count(), func.sum(Consultation.minutes)).select_from(Consultation)
        .join(ConsultationTopic, ConsultationTopic.consultation_id == Consultation.id)
        .where(*_logged(first, last)).group_by(topic))}
    return [{"code": t.value, "count": found.get(t.value, (0, 0))[0],
             "minutes": found.get(t.value, (0, 0))[1]} for t in Topic]


def _per_staff(session, conditions, **columns) -> list:
    """Figures grouped by staff member, most first, with their names: the consultations are
    grouped first, then the few groups joined to the users (not the other way round, which
    makes SQLite read every consultation through the staff index)."""
    grouped = (select(Consultation.staff_id.label("staff_id"),
                      *(column.label(name) for name, column in columns.items()))
               .where(*conditions).group_by(Consultation.staff_id).subquery())
    order = [grouped.c[name].desc() for name in columns if name in ("count", "minutes",
                                                                     "evaluated")]
    return list(session.execute(
        select(grouped, User.display_name.label("name"))
        .join(User, User.id == grouped.c.staff_id).order_by(*order, grouped.c.staff_id)))


def by_staff(session, first: date, last: date) -> list[dict]:
    rows = _per_staff(session, _logged(first, last), count=func.count(),
                      minutes=func.sum(Consultation.minutes))
    return [{"staff_id": r.staff_id, "name": r.name, "count": r.count, "minutes": int(r.minutes)}
            for r in rows]


def follow_ups(session, first: date, last: date, *, today: date | None = None) -> dict:
    """Opened and closed in the period; open and overdue at its end (or today, if earlier)."""
    end_day = min(last, today) if today else last
    end = local_midnight(end_day + timedelta(1))
    c = Consultation
    following = c.state == ConsultationState.follow_up.value
    needed = or_(following, c.follow_up_closed_at.is_not(None))
    open_at_end = and_(needed, c.occurred_at < end,
                       or_(c.follow_up_closed_at.is_(None), c.follow_up_closed_at >= end))
    in_period = _between(c.occurred_at, first, last)
    # Every counted row is logged in the period, still following up, or closed since its start:
    # three index ranges instead of a scan of every consultation.
    candidates = or_(in_period, following, c.follow_up_closed_at >= local_midnight(first))
    opened, closed, still_open, overdue = session.execute(
        select(func.count().filter(and_(needed, in_period)),
               func.count().filter(_between(c.follow_up_closed_at, first, last)),
               func.count().filter(open_at_end),
               func.count().filter(and_(open_at_end, c.follow_up_on < end_day)))
        .where(c.archived_at.is_(None), needed, candidates)).one()
    return {"opened": opened, "closed": closed, "open": still_open, "overdue": overdue}


def referrals(session, first: date, last: date) -> dict:
    made = _between(Referral.created_at, first, last)
    by_state = dict(session.execute(select(Referral.state, func.count()).where(made)
                                    .group_by(Referral.state)).all())
    by_mode = dict(session.execute(select(Referral.mode, func.count()).where(made)
                                   .group_by(Referral.mode)).all())
    experts, partners, done = session.execute(
        select(func.count().filter(and_(made, Referral.expert_id.is_not(None))),
               func.count().filter(and_(made, Referral.partner_id.is_not(None))),
               func.count().filter(and_(Referral.state == "done",
                                        _between(Referral.closed_at, first, last))))
        .where(or_(made, _between(Referral.closed_at, first, last)))).one()
    return {"total": sum(by_state.values()),
            "by_state": {s: by_state.get(s, 0) for s in ("proposed", "accepted", "done",
                                                        "declined")},
            "by_mode": {m.value: by_mode.get(m.value, 0) for m in ServiceMode},
            "experts": experts, "partners": partners, "done": done}


def _evaluated(first: date, last: date) -> list:
    return [Consultation.archived_at.is_(None), Consultation.satisfaction.is_not(None),
            _between(Consultation.evaluated_at, first, last)]


def satisfaction(session, first: date, last: date) -> dict:
    rows = dict(session.execute(select(Consultation.satisfaction, func.count())
                                .where(*_evaluated(first, last))
                                .group_by(Consultation.satisfaction)).all())
    evaluated = sum(rows.values())
    total = sum(score * n for score, n in rows.items())
    return {"evaluated": evaluated, "average": _average(total / evaluated) if evaluated else None,
            "distribution": {score: rows.get(score, 0) for score in range(1, 6)}}


def _evaluation_columns():
    return (func.count(), func.avg(Consultation.satisfaction),
            func.count().filter(Consultation.satisfaction >= 4))


def evaluation_by_topic(session, first: date, last: date) -> list[dict]:
    found = {topic: (n, avg, satisfied) for topic, n, avg, satisfied in session.execute(
        select(ConsultationTopic.topic, *_evaluation_columns()).select_from(Consultation)
        .join(ConsultationTopic, ConsultationTopic.consultation_id == Consultation.id)
        .where(*_evaluated(first, last)).group_by(ConsultationTopic.topic))}
    return [{"code": t.value, "evaluated": found.get(t.value, (0,))[0],
             "average": _average(found[t.value][1]) if t.value in found else None,
             "satisfied": found[t.value][2] if t.value in found else 0} for t in Topic]


def evaluation_by_staff(session, first: date, last: date) -> list[dict]:
    evaluated, average, satisfied = _evaluation_columns()
    rows = _per_staff(session, _evaluated(first, last), evaluated=evaluated, average=average,
                      satisfied=satisfied)
    return [{"staff_id": r.staff_id, "name": r.name, "evaluated": r.evaluated,
             "average": _average(r.average), "satisfied": r.satisfied} for r in rows]


def summary(session, first: date, last: date, *, today: date | None = None) -> dict:
    """Every figure of the period first..last (the center's days, inclusive), as plain data.

    `today` (the center's date) bounds "open" and "overdue" follow-ups for a period that has not
    ended yet. Raises ValueError for a reversed period or one longer than MAX_DAYS."""
    if last < first or (last - first).days >= MAX_DAYS:
        raise ValueError(f"period {first}..{last} is reversed or longer than {MAX_DAYS} days")
    groups = logged_groups(session, first, last)
    return {
        "first": first, "last": last,
        "totals": totals(session, first, last, groups=groups),
        "by_day": by_day(session, first, last, groups=groups),
        "by_topic": by_topic(session, first, last),
        "by_channel": by_channel(session, first, last, groups=groups),
        "by_state": by_state(session, first, last, groups=groups),
        "by_staff": by_staff(session, first, last),
        "follow_ups": follow_ups(session, first, last, today=today),
        "referrals": referrals(session, first, last),
        "satisfaction": satisfaction(session, first, last),
        "evaluation_by_topic": evaluation_by_topic(session, first, last),
        "evaluation_by_staff": evaluation_by_staff(session, first, last),
    }
