"""The shared working-day calendar: every module asks here whether a day is worked.

Where the answer comes from, strongest first:

1. ``override``: a day staff entered (CalendarOverride), e.g. next year's State Council
   schedule on the day it is published, or a correction of the library.
2. ``official``: the ``chinese_calendar`` library's tables of the published schedules
   (2004–2026 in version 1.11.0).
3. ``rule``: for a year the library does not cover, Saturdays and Sundays are off, and so are
   the fixed-date statutory holidays (1 Jan 元旦, 1–2 May 劳动节, 1–3 Oct 国庆节, per
   《全国年节及纪念日放假办法》 as revised in 2024). Lunar holidays (春节, 清明, 端午, 中秋)
   and make-up workdays cannot be known by rule, so these answers may be wrong.

A day is *provisional* when its answer comes from the rule: the library does not cover its
year and staff have entered no override for that exact day. A deadline or a count is
provisional when any day counted towards it is. Nothing here raises for an unknown year.
"""
import calendar as stdlib_calendar
import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import chinese_calendar
from chinese_calendar.constants import Holiday
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from center.models.base import utcnow
from center.models.calendar import CalendarOverride
from center.reports.xlsx import Sheet, workbook_bytes
from center.services import audit
from center.services.errors import ValidationError
from center.services.spreadsheets import Column, RowErrors, RowProblem, WorkbookError, read_table

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


def rule_info(day: date) -> DayInfo:
    """The provisional answer for a year without data: weekends and fixed-date holidays off."""
    name = RULE_HOLIDAYS.get((day.month, day.day))
    return DayInfo(day, name is None and day.weekday() < 5, name, RULE, True)


def library_covers(year: int) -> bool:
    return official_info(date(year, 6, 1)) is not None


@functools.cache
def library_years() -> tuple[int, int]:
    """The first and last year the installed library has official data for."""
    years = [year for year in range(MIN_YEAR, MAX_YEAR + 1) if library_covers(year)]
    return years[0], years[-1]


def resolve(day: date, override: CalendarOverride | None) -> DayInfo:
    """The answer for day given its override row (or None): override, else library, else rule."""
    if override is not None:
        return DayInfo(day, override.is_workday, override.name, OVERRIDE, False)
    return official_info(day) or rule_info(day)


# --- reading: one query per range ---------------------------------------------------------------

def overrides_between(session, first: date, last: date) -> dict[date, CalendarOverride]:
    """Overrides for first..last inclusive, by day, in one query."""
    rows = session.scalars(select(CalendarOverride).where(CalendarOverride.day.between(first, last)))
    return {row.day: row for row in rows}


def days_between(session, first: date, last: date) -> list[DayInfo]:
    """Every day from first to last inclusive (empty when last < first), with one query."""
    if last < first:
        return []
    overrides = overrides_between(session, first, last)
    return [resolve(first + timedelta(i), overrides.get(first + timedelta(i)))
            for i in range((last - first).days + 1)]


def day_info(session, day: date) -> DayInfo:
    """Whether day is worked, why, and whether that answer is provisional (see module doc)."""
    override = session.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    return resolve(day, override)


def is_workday(session, day: date) -> bool:
    return day_info(session, day).is_workday


def add_working_days(session, start: date, n: int) -> Deadline:
    """The n-th working day after start (before it when n < 0); start itself is never counted.

    The deadline is provisional when any day from the one after start up to the deadline is.
    Overrides are loaded a window at a time, so a deadline weeks away costs one query.
    """
    step = 1 if n >= 0 else -1
    remaining, cursor, provisional = abs(n), start, False
    while remaining:
        size = remaining * 2 + 14  # enough for n working days across a Golden Week
        ends = (cursor + timedelta(step), cursor + timedelta(step * size))
        overrides = overrides_between(session, min(ends), max(ends))
        for i in range(1, size + 1):
            cursor = cursor + timedelta(step)
            info = resolve(cursor, overrides.get(cursor))
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


# --- writing: staff overrides -------------------------------------------------------------------

IMPORT_KINDS = {"节假日": False, "休息": False, "放假": False, "调休上班": True, "上班": True}
# The file format is fixed Chinese headers, whatever the user's interface language.
IMPORT_COLUMNS = [Column("day", "日期", True), Column("kind", "类型", True),
                  Column("name", "名称", True), Column("note", "备注")]
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
MAX_IMPORT_ROWS = 1000


@dataclass
class ImportResult:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    first_day: date | None = None


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
    row, _outcome = _store(session, row, day=day, is_workday=is_workday, name=name, note=note,
                           now=now)
    session.flush()
    return row


def _store(session, row, *, day, is_workday, name, note, now):
    """Write one override onto row (a new one when None): (row, created|changed|unchanged)."""
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


def import_overrides(session, data: bytes, *, actor, max_uncompressed: int,
                     max_rows: int = MAX_IMPORT_ROWS, now=None) -> ImportResult:
    """Create or change overrides from a workbook (columns 日期, 类型, 名称, 备注).

    All or nothing: every bad row is reported (row, column, reason) and then nothing is written.
    A day may appear only once in a file.
    """
    rows = read_table(data, IMPORT_COLUMNS, max_rows=max_rows, max_uncompressed=max_uncompressed)
    if not rows:
        raise WorkbookError(_l("文件中没有数据行。"), {"file": _l("文件中没有数据行。")})
    entries, problems = _parse_rows(rows)
    if problems:
        raise RowErrors(problems)
    audit.acting(session, actor)
    existing = overrides_between(session, min(e["day"] for e in entries),
                                 max(e["day"] for e in entries))
    result = ImportResult(first_day=min(e["day"] for e in entries))
    for entry in entries:
        _row, outcome = _store(session, existing.get(entry["day"]), now=now, **entry)
        setattr(result, outcome, getattr(result, outcome) + 1)
    session.flush()
    return result


def _parse_rows(rows) -> tuple[list[dict], list[RowProblem]]:
    labels = {column.key: column.label for column in IMPORT_COLUMNS}
    entries, problems, seen = [], [], {}
    for number, values in rows:
        day, day_problem = _parse_day(values["day"])
        kind = IMPORT_KINDS.get(str(values["kind"] or "").strip())
        name, note = _text(values["name"]), _text(values["note"])
        found = override_problems(day=day, name=name, note=note)
        if day_problem:
            found["day"] = day_problem
        elif day in seen:
            found["day"] = _l("与第 %(row)d 行日期重复。", row=seen[day])
        if kind is None:
            found["kind"] = _l("类型应为“节假日”或“调休上班”。")
        problems += [RowProblem(number, labels[key], str(message)) for key, message in found.items()]
        if not found:
            seen[day] = number
            entries.append({"day": day, "is_workday": kind, "name": name, "note": note})
    problems.sort(key=lambda p: p.row)
    return entries, problems


def _parse_day(value) -> tuple[date | None, str | None]:
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(str(value or "").strip(), fmt).date(), None
        except ValueError:
            continue
    if value is None:
        return None, None  # override_problems reports the missing date
    return None, str(_l("无法识别的日期“%(value)s”，请写成 2027-02-06。", value=value))


def _text(value) -> str | None:
    return None if value is None else str(value).strip()


def import_template() -> bytes:
    """The import workbook: the header row on the first sheet, instructions on the second."""
    notes = [_l("每行一天。日期写成 2027-02-06 或设为日期格式的单元格。"),
             _l("类型填“节假日”（当天休息）或“调休上班”（周末上班）。"),
             _l("名称填节日名称，如“春节”“国庆节”；备注可不填。"),
             _l("已有的同一天记录会被改为表中的内容；任何一行有错，整个文件都不会导入。"),
             _l("国务院办公厅每年11月前后公布次年放假安排，公布当天即可在此录入。")]
    return workbook_bytes([
        Sheet(title=str(_l("日历调整")), headers=[c.label for c in IMPORT_COLUMNS],
              widths=[16, 14, 24, 40]),
        Sheet(title=str(_l("填写说明")), headers=[str(_l("说明"))], widths=[90],
              rows=[[str(line)] for line in notes]),
    ])
