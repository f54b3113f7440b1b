"""Safe workbook reading (size checks before parsing, hardened XML) and formula-proof writing."""
import io
import re
import time
import zipfile
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook

from center.reports.xlsx import Sheet, workbook_bytes
from center.services import spreadsheets
from center.services.spreadsheets import Column, WorkbookError, check_zip, read_table
from tests.directory.workbooks import (BILLION_LAUGHS, many_rows, with_sheet_xml, workbook,
                                       zip_bomb)

COLUMNS = [Column("name", "名称", required=True), Column("code", "代码")]
LIMITS = {"max_rows": 20000, "max_uncompressed": 50 * 1024 * 1024}


def read(data, **limits):
    return read_table(data, COLUMNS, **(LIMITS | limits))


def refusal(data, **limits) -> str:
    with pytest.raises(WorkbookError) as caught:
        read(data, **limits)
    return str(caught.value.message)


def test_rows_come_with_their_excel_row_numbers_and_blank_rows_are_skipped(app):
    data = workbook(["代码", "名称"], [["A1", " 甲 "], [None, None], [2.0, "乙"], ["", "  "]])
    assert read(data) == [(2, {"name": "甲", "code": "A1"}), (4, {"name": "乙", "code": 2})]


def test_a_file_that_is_not_a_workbook_is_refused(app):
    assert "不是 Excel 工作簿" in refusal("组织名称,代码\n甲,1\n".encode())
    assert "不是 Excel 工作簿" in refusal(b"PK\x03\x04 but not really a zip")
    assert "文件是空的" in refusal(b"")


def test_a_zip_that_is_not_a_workbook_is_refused(app):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hello")
    assert "无法读取该工作簿" in refusal(buffer.getvalue())


def test_wrong_headers_name_the_missing_and_extra_columns(app):
    message = refusal(workbook(["名称", "电话"], [["甲", "1"]]))
    assert "表头与模板不符" in message and "缺少：代码" in message and "多余：电话" in message


def test_an_empty_sheet_is_refused_for_its_headers(app):
    assert "表头与模板不符" in refusal(workbook([], []))


def test_zip_bomb_is_refused_before_anything_is_expanded(app, tmp_path, monkeypatch):
    data = zip_bomb(tmp_path / "bomb.xlsx", megabytes=200)
    assert len(data) < 2 * 1024 * 1024  # small on the wire ...
    declared = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert declared >= 200 * 1024 * 1024  # ... huge once inflated

    def never(*args, **kwargs):
        raise AssertionError("the workbook was opened")
    monkeypatch.setattr(spreadsheets, "load_workbook", never)
    started = time.monotonic()
    assert "解压后过大" in refusal(data)
    assert time.monotonic() - started < 1


def test_too_many_zip_entries_are_refused(app):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(spreadsheets.MAX_ZIP_ENTRIES + 1):
            archive.writestr(f"x/{n}.xml", "")
    with pytest.raises(WorkbookError):
        check_zip(buffer.getvalue(), max_uncompressed=10**9)


def test_100000_rows_are_refused_quickly_with_the_row_limit(app):
    data = many_rows(["名称", "代码"], 100_000)
    started = time.monotonic()
    message = refusal(data)
    assert "行数超过上限 20000 行" in message
    assert time.monotonic() - started < 30  # stops at the limit instead of reading on


def declaring(dimension: str, rows, *, far_row: int | None = None) -> bytes:
    """A real two-column workbook whose sheet XML is rewritten to declare `dimension` and,
    with `far_row`, to hold one more cell in that row."""
    data = workbook(["名称", "代码"], rows)
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    xml, replaced = re.subn(r'<dimension ref="[^"]*" ?/>', f'<dimension ref="{dimension}"/>', xml)
    assert replaced == 1
    if far_row:
        far = f'<row r="{far_row}"><c r="A{far_row}" t="inlineStr"><is><t>乙</t></is></c></row>'
        xml = xml.replace("</sheetData>", far + "</sheetData>")
    return with_sheet_xml(data, xml.encode())


@pytest.mark.parametrize("row", [100_000, 1_048_576])
def test_a_far_row_behind_a_huge_declared_dimension_is_refused_quickly(app, row):
    data = declaring(f"A1:XFD{row}", [["甲", "1"]], far_row=row)
    assert len(data) < 10_000
    started = time.monotonic()
    message = refusal(data)
    assert time.monotonic() - started < 3
    assert "行数超过上限 20000 行" in message


def test_a_huge_declared_dimension_does_not_pad_the_rows_that_are_there(app):
    data = declaring("A1:XFD1048576", [["甲", "1"], ["乙", None]])
    started = time.monotonic()
    assert read(data) == [(2, {"name": "甲", "code": "1"}), (3, {"name": "乙", "code": None})]
    assert time.monotonic() - started < 3


def test_blank_rows_count_toward_the_row_limit(app):
    gap = declaring("A1:B30", [["甲", "1"]], far_row=30)
    assert "行数超过上限 20 行" in refusal(gap, max_rows=20)
    assert read(gap, max_rows=30) == [(2, {"name": "甲", "code": "1"}),
                                      (30, {"name": "乙", "code": None})]


def test_entity_expansion_is_refused_by_the_hardened_parser(app):
    data = with_sheet_xml(workbook(["名称", "代码"], [["甲", "1"]]), BILLION_LAUGHS)
    assert "无法读取该工作簿" in refusal(data)


def test_a_malformed_sheet_is_a_clear_refusal_not_a_crash(app):
    xml = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>名称</t></is></c>'
           '<c r="B1" t="inlineStr"><is><t>代码</t></is></c></row>'
           '<row r="2"><c r="A2" t="n"><v>not a number</v></c></row></sheetData></worksheet>')
    data = with_sheet_xml(workbook(["名称", "代码"], [["甲", "1"]]), xml.encode())
    assert "无法读取该工作簿" in refusal(data)


# --- writing ---------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://example.com","点我")', "+86 10 1234", "-1+2", "@SUM(A1:A2)",
            "=1+1"]


def test_text_that_looks_like_a_formula_stays_text():
    data = workbook_bytes([Sheet("名单", ["名称"], [[text] for text in FORMULAS])])
    cells = [row[0] for row in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == FORMULAS
    assert {cell.data_type for cell in cells} == {"s"}


def test_notes_go_above_the_header_and_values_keep_their_types():
    moment = datetime(2026, 1, 4, 9, 30, tzinfo=timezone.utc)
    data = workbook_bytes([Sheet("表", ["日期", "时间", "数"], [[date(2026, 2, 14), moment, 3]],
                                 notes=["说明一行"])])
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws["A1"].value == "说明一行" and ws["A2"].value == "日期"
    assert ws["A3"].value == datetime(2026, 2, 14) and ws["B3"].value == datetime(2026, 1, 4, 9, 30)
    assert ws["C3"].value == 3
