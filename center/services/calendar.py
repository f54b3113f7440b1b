"""The shared working-day calendar: every module asks here whether a day is worked.

Where the answer comes from, strongest first:

1. ``override``: a day staff entered (CalendarOverride), e.g. next year's State Council
   schedule on the day it is published, or a correction of the library.
2. ``official``: the ``chinese_calendar`` library's tables of the published schedules
   (2004–2026 in version 1.11.0).
3. ``rule``: for a year the library does not cover, Saturdays and Sundays are off, and so are
   the fixed-date statutory holidays (1 Jan 元旦, 1–2 May 劳动节, 1–3 Oct 国庆节, per
   《全国年节及纪念日放假办法》 as revised in 2024), unless an override says otherwise.

The published schedule lists only the holidays and make-up workdays; every other day of the
year follows the ordinary week. So once staff have entered a year's schedule as overrides and
confirmed the year (CalendarYear.confirmed), the rule's answers for that year are firm.

A day is *provisional* when its answer comes from the rule and its year is not confirmed: the
library does not cover the year, staff have entered no override for that exact day, and nobody
has confirmed that the year's schedule is entered in full. Until then lunar holidays (春节, 清明,
端午, 中秋) and make-up workdays are unknown, so such answers may be wrong. A deadline or a count
is provisional when any day counted towards it is. Nothing here raises for an unknown year.
"""
import calendar as stdlib_calendar
import functools
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
from chinese_calendar.constants import Holiday
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from center.models.base import utcnow
from center.models.calendar import CalendarOverride, CalendarYear
from center.services import audit
from center.services.errors import ValidationError

OVERRIDE, OFFICIAL, RULE = "override", "official", "rule"
MIN_YEAR, MAX_YEAR = 2000, 2099  # the range staff may enter overrides for


def N_(text: str) -> str:
    """Mark a name for the message catalog; pages translate it with _() when shown."""
    return text


LIBRARY_NAMES = {
    Holiday.new_years_day.value: N_("元旦"),
    Holiday.spring_festival.value: N_("春节"),
    Holiday.tomb_sweeping_day.value: N_("清明节"),
    Holiday.labour_day.value: N_("劳动节"),
    Holiday.dragon_boat_festival.value: N_("端午节"),
    Holiday.national_day.value: N_("国庆节"),
    Holiday.mid_autumn_festival.value: N_("中秋节"),
    Holiday.anti_fascist_70th_day.value: N_("抗战胜利70周年纪念日"),
}
RULE_HOLIDAYS = {
    (1, 1): N_("元旦"),
    (5, 1): N_("劳动节"), (5, 2): N_("劳动节"),
    (10, 1): N_("国庆节"), (10, 2): N_("国庆节"), (10, 3): N_("国庆节"),
}


@dataclass(frozen=True)
class DayInfo:
    day: date
    is_workday: bool
    name: str | None  # the holiday or make-up workday it belongs to; None for an ordinary day
    source: str  # OVERRIDE, OFFICIAL or RULE
    provisional: bool

    @property
    def is_weekend(self) -> bool:
        return self.day.weekday() >= 5

    @property
    def is_special(self) -> bool:
        """A named day, an override, or a day that differs from the ordinary week."""
        return bool(self.name) or self.source == OVERRIDE or self.is_workday == self.is_weekend


@dataclass(frozen=True)
class Deadline:
    day: date
    provisional: bool


@dataclass(frozen=True)
class WorkdayCount:
    days: int
    provisional: bool


# --- answers from the library and the rule (no database) ----------------------------------------

def official_info(day: date) -> DayInfo | None:
    """The library's answer, or None when it has no data for the day's year."""
    try:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    return DayInfo(day, not is_holiday, LIBRARY_NAMES.get(name, name), OFFICIAL, False)


def rule_info(day: date, confirmed: bool = False) -> DayInfo:
    """The answer for a year without data: weekends and fixed-date holidays off; provisional
    unless staff have confirmed that the year's schedule is entered in full."""
    name = RULE_HOLIDAYS.get((day.month, day.day))
    return DayInfo(day, name is None and day.weekday() < 5, name, RULE, not confirmed)


def library_covers(year: int) -> bool:
    return official_info(date(year, 6, 1)) is not None


@functools.cache
def library_years() -> tuple[int, int]:
    """The first and last year the installed library has official data for."""
    years = [year for year in range(MIN_YEAR, MAX_YEAR + 1) if library_covers(year)]
    return years[0], years[-1]


def resolve(day: date, override: CalendarOverride | None, year_confirmed: bool = False) -> DayInfo:
    """The answer for day given its override row (or None): override, else library, else rule."""
    if override is not None:
        return DayInfo(day, override.is_workday, override.name, OVERRIDE, False)
    return official_info(day) or rule_info(day, year_confirmed)


# --- reading: one query for the overrides of a range, one for its confirmed years ---------------

def overrides_between(session, first: date, last: date) -> dict[date, CalendarOverride]:
    """Overrides for first..last inclusive, by day, in one query."""
    rows = session.scalars(select(CalendarOverride).where(CalendarOverride.day.between(first, last)))
    return {row.day: row for row in rows}


def confirmed_years_between(session, first: date, last: date) -> set[int]:
    """The confirmed years among those of first..last, in one query; no query at all when the
    library covers every one of them (their days are never provisional)."""
    low, high = library_years()
    if low <= first.year and last.year <= high:
        return set()
    return set(session.scalars(select(CalendarYear.year).where(
        CalendarYear.year.between(first.year, last.year), CalendarYear.confirmed.is_(True))))


def _answers(session, first: date, last: date):
    """A function answering any day of first..last, with the range's rows loaded up front."""
    overrides = overrides_between(session, first, last)
    confirmed = confirmed_years_between(session, first, last)
    return lambda day: resolve(day, overrides.get(day), day.year in confirmed)


def days_between(session, first: date, last: date) -> list[DayInfo]:
    """Every day from first to last inclusive (empty when last < first), in one or two queries."""
    if last < first:
        return []
    answer = _answers(session, first, last)
    return [answer(first + timedelta(i)) for i in range((last - first).days + 1)]


def day_info(session, day: date) -> DayInfo:
    """Whether day is worked, why, and whether that answer is provisional (see module doc)."""
    return _answers(session, day, day)(day)


def is_workday(session, day: date) -> bool:
    return day_info(session, day).is_workday


def add_working_days(session, start: date, n: int) -> Deadline:
    """The n-th working day after start (before it when n < 0); start itself is never counted.

    The deadline is provisional when any day from the one after start up to the deadline is.
    Rows are loaded a window at a time, so a deadline weeks away costs one or two queries.
    """
    step = 1 if n >= 0 else -1
    remaining, cursor, provisional = abs(n), start, False
    while remaining:
        size = remaining * 2 + 14  # enough for n working days across a Golden Week
        ends = (cursor + timedelta(step), cursor + timedelta(step * size))
        answer = _answers(session, min(ends), max(ends))
        for i in range(1, size + 1):
            cursor = cursor + timedelta(step)
            info = answer(cursor)
            provisional = provisional or info.provisional
            remaining -= info.is_workday
            if not remaining:
                break
    return Deadline(cursor, provisional)


def working_days_between(session, a: date, b: date) -> WorkdayCount:
    """Working days after a up to and including b (negative when b is before a).

    So add_working_days(a, n).day == b implies working_days_between(a, b).days == n.
    """
    first, last, sign = (a, b, 1) if a <= b else (b, a, -1)
    days = days_between(session, first + timedelta(1), last)
    return WorkdayCount(sign * sum(d.is_workday for d in days), any(d.provisional for d in days))


def year_days(session, year: int) -> list[DayInfo]:
    return days_between(session, date(year, 1, 1), date(year, 12, 31))


def month_weeks(days: list[DayInfo], month: int) -> list[list[DayInfo | None]]:
    """The days of one month as Monday-first weeks, None where a week runs outside the month."""
    by_day = {d.day: d for d in days if d.day.month == month}
    year = next(iter(by_day)).year
    return [[by_day.get(day) if day.month == month else None for day in week]
            for week in stdlib_calendar.Calendar().monthdatescalendar(year, month)]


# --- writing: staff overrides and confirmed years ----------------------------------------------

def override_problems(*, day: date | None, name: str | None, note: str | None) -> dict:
    """Field name -> message for an override that cannot be stored."""
    problems = {}
    if day is None:
        problems["day"] = _l("请填写日期，如 2027-02-06。")
    elif not MIN_YEAR <= day.year <= MAX_YEAR:
        problems["day"] = _l("日期应在 %(a)d 年至 %(b)d 年之间。", a=MIN_YEAR, b=MAX_YEAR)
    if not (name or "").strip():
        problems["name"] = _l("请填写名称，如“春节”或“国庆节调休上班”。")
    elif len(name.strip()) > 50:
        problems["name"] = _l("名称不能超过 50 个字。")
    if len((note or "").strip()) > 200:
        problems["note"] = _l("备注不能超过 200 个字。")
    return problems


def set_override(session, *, day: date, is_workday: bool, name: str, note: str | None = None,
                 actor, now=None) -> CalendarOverride:
    """Declare day a holiday or a working day, creating or changing its override (audited).

    An override is never deleted: to withdraw a wrong one, change it to agree with the
    library or the published schedule. Each day has at most one override.
    """
    problems = override_problems(day=day, name=name, note=note)
    if problems:
        raise ValidationError(next(iter(problems.values())), problems)
    audit.acting(session, actor)
    row = session.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    row, _outcome = store_override(session, row, day=day, is_workday=is_workday, name=name,
                                   note=note, now=now)
    session.flush()
    return row


def store_override(session, row, *, day, is_workday, name, note, now=None):
    """Write one checked override onto row (a new one when None); return (row, outcome), the
    outcome being created, changed or unchanged. Checking the values and naming the audit
    actor are the caller's (set_override, the Excel import)."""
    values = {"is_workday": bool(is_workday), "name": name.strip(),
              "note": (note or "").strip() or None}
    if row is None:
        row = CalendarOverride(day=day, created_at=now or utcnow(), **values)
        session.add(row)
        return row, "created"
    if all(getattr(row, key) == value for key, value in values.items()):
        return row, "unchanged"
    for key, value in values.items():
        setattr(row, key, value)
    return row, "changed"


def calendar_year(session, year: int) -> CalendarYear | None:
    return session.scalar(select(CalendarYear).where(CalendarYear.year == year))


def year_problems(*, year: int | None, note: str | None) -> dict:
    """Field name -> message for a year that cannot be confirmed (or withdrawn)."""
    problems = {}
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        problems["year"] = _l("年份应在 %(a)d 年至 %(b)d 年之间。", a=MIN_YEAR, b=MAX_YEAR)
    elif library_covers(year):
        problems["year"] = _l("%(year)d 年已收录官方放假安排，无需确认。", year=year)
    if len((note or "").strip()) > 200:
        problems["note"] = _l("备注不能超过 200 个字。")
    return problems


def confirm_year(session, *, year: int, confirmed: bool, note: str | None = None,
                 actor, now=None) -> CalendarYear:
    """Record that year's published schedule is (confirmed) or is not yet entered in full.

    Only for a year the library does not cover: while it is confirmed, its days without an
    override are answered by rule and are no longer provisional. One row per year, changed in
    place (audited), never deleted; withdrawing sets confirmed false. note None keeps the note.
    """
    problems = year_problems(year=year, note=note)
    if problems:
        raise ValidationError(next(iter(problems.values())), problems)
    audit.acting(session, actor)
    row = calendar_year(session, year)
    if row is None:
        row = CalendarYear(year=year, confirmed=False, created_at=now or utcnow())
        session.add(row)
    row.confirmed = bool(confirmed)
    if note is not None:
        row.note = note.strip() or None
    session.flush()
    return row
