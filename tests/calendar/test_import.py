"""Excel import of overrides: all or nothing, every bad row named by row, column and reason."""
import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from center.models.calendar import CalendarOverride
from center.services import calendar, calendar_exchange
from center.services.spreadsheets import RowErrors, WorkbookError
from tests.factories import make_user

LIMIT = 10 * 1024 * 1024
HEADER = ["日期", "类型", "名称", "备注"]


def workbook(*rows, header=HEADER) -> bytes:
    wb = Workbook()
    wb.active.append(header)
    for row in rows:
        wb.active.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def run_import(session, data):
    actor = make_user(session, role="manager")
    return calendar_exchange.import_overrides(session, data, actor=actor, max_uncompressed=LIMIT)


def test_import_creates_overrides_from_text_and_date_cells(session):
    data = workbook(["2027-02-06", "调休上班", "春节", None],
                    [datetime(2027, 2, 11), "节假日", "春节", "国务院办公厅通知"],
                    ["2027/2/12", "节假日", "春节", ""])
    result = run_import(session, data)
    assert (result.created, result.changed, result.unchanged) == (3, 0, 0)
    rows = {r.day: r for r in session.query(CalendarOverride)}
    assert rows[date(2027, 2, 6)].is_workday is True
    assert (rows[date(2027, 2, 11)].is_workday, rows[date(2027, 2, 11)].note) \
        == (False, "国务院办公厅通知")
    assert calendar.day_info(session, date(2027, 2, 12)).provisional is False


def test_import_changes_existing_days_and_counts_unchanged(session):
    run_import(session, workbook(["2027-02-06", "调休上班", "春节", None],
                                 ["2027-02-07", "调休上班", "春节", None]))
    result = run_import(session, workbook(["2027-02-06", "节假日", "春节", None],
                                          ["2027-02-07", "调休上班", "春节", None]))
    assert (result.created, result.changed, result.unchanged) == (0, 1, 1)
    assert calendar.is_workday(session, date(2027, 2, 6)) is False


def test_import_with_bad_row_changes_nothing(session):
    run_import(session, workbook(["2027-02-06", "调休上班", "春节", None]))
    session.commit()
    data = workbook(["2027-02-06", "节假日", "春节", None],        # would change the day
                    ["2027-13-01", "节假日", "春节", None],        # row 3: no such date
                    ["2027-02-08", "休假日", "", None],            # row 4: kind and name
                    ["2027-02-06", "节假日", "春节", "x" * 201])   # row 5: repeat and long note
    with pytest.raises(RowErrors) as error:
        run_import(session, data)
    problems = [(p.row, p.column) for p in error.value.problems]
    assert problems == [(3, "日期"), (4, "名称"), (4, "类型"), (5, "备注"), (5, "日期")]
    assert "第 2 行" in error.value.problems[-1].message
    session.rollback()
    assert [(r.day, r.is_workday) for r in session.query(CalendarOverride)] \
        == [(date(2027, 2, 6), True)]


def test_import_refuses_wrong_headers_and_empty_files(session):
    with pytest.raises(WorkbookError):
        run_import(session, workbook(["2027-02-06", "节假日"], header=["日期", "类型"]))
    with pytest.raises(WorkbookError):
        run_import(session, workbook())
    with pytest.raises(WorkbookError):
        run_import(session, b"not a workbook")
    assert session.query(CalendarOverride).count() == 0


def test_downloaded_template_imports_once_filled_in(session):
    wb = load_workbook(io.BytesIO(calendar_exchange.import_template()))
    sheet = wb.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER
    assert any("11月" in str(row[0].value) for row in wb.worksheets[1].iter_rows())
    sheet.append(["2027-10-09", "调休上班", "国庆节", None])
    buffer = io.BytesIO()
    wb.save(buffer)
    assert run_import(session, buffer.getvalue()).created == 1
    assert calendar.day_info(session, date(2027, 10, 9)).source == "override"
