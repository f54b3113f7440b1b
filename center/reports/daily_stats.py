"""Daily service statistics (每日服务数据统计): per day of a period and per service line, the
counts of the records, never typed in.

    daily(session, first, last) -> DailyStats

One grouped query per kind of record (consultations, bookings, review submissions, review
decisions), so the cost follows the period's rows through the indexes, not the tables. Days are
the center's (Asia/Shanghai), `first`..`last` inclusive, at most MAX_DAYS; days without records
are listed as zeros. A service line whose module is not built yet is listed as absent, never as
zeros. What is counted, per line:

- 咨询辅导: consultations that took place that day (archived ones left out), and their minutes;
- 场地预约: bookings of active venues starting that day that are approved or checked in (those
  that use the room, as in the venues' utilization), their hours and expected attendees;
- 年检预审: annual reports received that day (by receipt date, withdrawn ones left out), and
  the decisions taken that day: passed and returned for correction;
- 三级平台联动: needs and offers published that day, matches proposed and accepted (still
  standing) that day, referrals between platforms made that day (center.reports.liaison_stats).
"""
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from center.models.reviews import ReviewEvent, Submission
from center.models.venues import Booking, Venue
from center.reports import consultation_stats, liaison_stats
from center.reports.consultation_stats import local_date
from center.reports.consultations import local_midnight
from center.reports.venues import BOOKED_STATES

MAX_DAYS = 366


class hours_between(FunctionElement):
    """Hours from the first timestamp to the second, computed by the database."""

    type = Float()
    inherit_cache = True
    name = "hours_between"


@compiles(hours_between, "postgresql")
def _hours_pg(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"


@compiles(hours_between, "sqlite")
def _hours_sqlite(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


@dataclass(frozen=True)
class Column:
    line: str  # the service line's key
    key: str
    label: str
    unit: str = ""
    decimals: int = 0


@dataclass
class Line:
    key: str
    label: str
    absent: bool = False
    columns: list[Column] = field(default_factory=list)


LINES = (
    Line("consultations", _l("咨询辅导"), columns=[
        Column("consultations", "consultations", _l("咨询"), _l("次")),
        Column("consultations", "minutes", _l("咨询时长"), _l("分钟"))]),
    Line("venues", _l("场地预约"), columns=[
        Column("venues", "bookings", _l("场地使用"), _l("场")),
        Column("venues", "hours", _l("使用时长"), _l("小时"), 1),
        Column("venues", "attendees", _l("预计参加人数"), _l("人"))]),
    Line("reviews", _l("年检预审"), columns=[
        Column("reviews", "received", _l("接收年报"), _l("份")),
        Column("reviews", "passed", _l("预审通过"), _l("份")),
        Column("reviews", "returned", _l("退回修改"), _l("份"))]),
    Line("liaison", _l("三级平台联动"), columns=[
        Column("liaison", "needs", _l("发布需求"), _l("条")),
        Column("liaison", "offers", _l("发布资源"), _l("条")),
        Column("liaison", "matches_proposed", _l("提出对接"), _l("次")),
        Column("liaison", "matches_accepted", _l("达成对接"), _l("次")),
        Column("liaison", "referrals", _l("平台间转介"), _l("次"))]),
)


@dataclass
class DailyStats:
    first: date
    last: date
    days: list[date]
    lines: tuple[Line, ...]
    values: dict[tuple[str, str], list] = field(default_factory=dict)  # (line, key) → per day

    @property
    def columns(self) -> list[Column]:
        return [c for line in self.lines for c in line.columns]

    def rows(self) -> list[tuple[date, list]]:
        """(day, [value per column]) for each day."""
        series = [self.values[(c.line, c.key)] for c in self.columns]
        return [(day, [s[i] for s in series]) for i, day in enumerate(self.days)]

    def total(self, column: Column):
        value = sum(self.values[(column.line, column.key)])
        return round(value, column.decimals) if column.decimals else value


def check_period(first: date, last: date) -> None:
    if last < first or (last - first).days >= MAX_DAYS:
        raise ValueError(f"period {first}..{last} is reversed or longer than {MAX_DAYS} days")


def daily(session, first: date, last: date) -> DailyStats:
    """Every line's counts per day of first..last (see the module docstring)."""
    check_period(first, last)
    days = [first + timedelta(n) for n in range((last - first).days + 1)]
    stats = DailyStats(first, last, days, LINES)
    index = {day: i for i, day in enumerate(days)}

    def put(line: str, key: str, found: dict, cast=int) -> None:
        series = [cast(0)] * len(days)
        for day, value in found.items():
            if day in index:
                series[index[day]] = cast(value or 0)
        stats.values[(line, key)] = series

    consultations = consultation_stats.by_day(session, first, last)
    put("consultations", "consultations", {r["day"]: r["count"] for r in consultations})
    put("consultations", "minutes", {r["day"]: r["minutes"] for r in consultations})
    bookings = _bookings(session, first, last)
    put("venues", "bookings", {d: v[0] for d, v in bookings.items()})
    put("venues", "hours", {d: round(v[1] or 0, 1) for d, v in bookings.items()}, float)
    put("venues", "attendees", {d: v[2] for d, v in bookings.items()})
    put("reviews", "received", _received(session, first, last))
    decisions = _decisions(session, first, last)
    for kind in ("passed", "returned"):
        put("reviews", kind, {d: n for (d, k), n in decisions.items() if k == kind})
    for key, found in liaison_stats.by_day(session, first, last).items():
        put("liaison", key, found)
    # A line marked absent (a module switched off) shows no values, never zeros.
    present = {line.key for line in LINES if not line.absent}
    stats.values = {k: v for k, v in stats.values.items() if k[0] in present}
    return stats


def _as_date(value) -> date:
    """A grouped day as a date (SQLite's date() answers text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _bookings(session, first: date, last: date) -> dict:
    day = local_date(Booking.starts_at)
    rows = session.execute(
        select(day, func.count(), func.sum(hours_between(Booking.starts_at, Booking.ends_at)),
               func.sum(Booking.attendees))
        .join(Venue, Venue.id == Booking.venue_id)
        .where(Venue.archived_at.is_(None), Booking.status.in_(BOOKED_STATES),
               Booking.starts_at >= local_midnight(first),
               Booking.starts_at < local_midnight(last + timedelta(1)))
        .group_by(day))
    return {_as_date(d): (n, hours, attendees) for d, n, hours, attendees in rows}


def _received(session, first: date, last: date) -> dict:
    return {_as_date(d): n for d, n in session.execute(
        select(Submission.received_on, func.count())
        .where(Submission.received_on.between(first, last), Submission.state != "withdrawn")
        .group_by(Submission.received_on))}


def _decisions(session, first: date, last: date) -> dict:
    day = local_date(ReviewEvent.at)
    return {(_as_date(d), kind): n for d, kind, n in session.execute(
        select(day, ReviewEvent.kind, func.count())
        .where(ReviewEvent.kind.in_(("passed", "returned")),
               ReviewEvent.at >= local_midnight(first),
               ReviewEvent.at < local_midnight(last + timedelta(1)))
        .group_by(day, ReviewEvent.kind))}
