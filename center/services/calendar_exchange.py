"""Excel exchange of the working-day calendar: the import template and the all-or-nothing
import of overrides (typically next year's State Council schedule, the day it is published).

The column and type labels are a file format shared by every user, so they are fixed Chinese
text rather than translated messages.
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from center.reports.xlsx import Sheet, workbook_bytes
from center.services import audit
from center.services.calendar import (confirm_year, library_covers, override_problems,
                                      overrides_between, store_override)
from center.services.spreadsheets import Column, RowErrors, RowProblem, WorkbookError, read_table

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
    confirmed_years: list[int] = field(default_factory=list)


def import_overrides(session, data: bytes, *, actor, max_uncompressed: int, confirm: bool = False,
                     max_rows: int = MAX_IMPORT_ROWS, now=None) -> ImportResult:
    """Create or change overrides from a workbook (columns 日期, 类型, 名称, 备注).

    All or nothing: every bad row is reported (row, column, reason) and then nothing is written.
    A day may appear only once in a file. With confirm, each year of the file that the library
    does not cover is then confirmed as entered in full (see confirm_year).
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
        _row, outcome = store_override(session, existing.get(entry["day"]), now=now, **entry)
        setattr(result, outcome, getattr(result, outcome) + 1)
    if confirm:
        years = sorted({e["day"].year for e in entries if not library_covers(e["day"].year)})
        result.confirmed_years = [confirm_year(session, year=year, confirmed=True, actor=actor,
                                               now=now).year for year in years]
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
        problems += [RowProblem(number, labels[key], str(message))
                     for key, message in found.items()]
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
