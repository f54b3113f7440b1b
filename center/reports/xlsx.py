"""Excel writing: headers + rows in, workbook bytes out. No text ever becomes a formula."""
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters that make Excel (or a later edit of the cell) read text as a formula or DDE call.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
FONT_NAME = "等线"  # ships with Office on Chinese Windows; LibreOffice falls back to a CJK font


@dataclass
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence] = ()
    widths: Sequence[int] = field(default_factory=list)
    notes: Sequence[str] = ()  # lines written above the header (template instructions)


def text_cell(ws, value):
    """A cell for any value; text starting with a formula trigger is stored as quoted text."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # Excel has no time zones; callers pass local time
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"
        cell.quotePrefix = True
    elif isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    cell.font = Font(name=FONT_NAME, size=11)
    return cell


def _header_cell(ws, label):
    cell = text_cell(ws, label)
    cell.font = Font(name=FONT_NAME, size=11, bold=True)
    cell.fill = PatternFill("solid", fgColor="DDE4EE")
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    return cell


def _width(label: str) -> int:
    # CJK characters take about two columns of width.
    return max(10, min(60, sum(2 if ord(ch) > 0x2E80 else 1 for ch in label) + 4))


def write_sheet(wb: Workbook, sheet: Sheet) -> None:
    ws = wb.create_sheet(title=sheet.title[:31])
    widths = list(sheet.widths) or [_width(h) for h in sheet.headers]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    for note in sheet.notes:
        ws.append([text_cell(ws, note)])
    ws.freeze_panes = f"A{len(sheet.notes) + 2}"
    ws.print_title_rows = f"{len(sheet.notes) + 1}:{len(sheet.notes) + 1}"
    ws.page_setup.paperSize = "9"  # A4
    ws.append([_header_cell(ws, h) for h in sheet.headers])
    for row in sheet.rows:
        ws.append([text_cell(ws, v) for v in row])


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """Write the sheets (streaming, constant memory per row) and return the .xlsx file."""
    wb = Workbook(write_only=True)
    for sheet in sheets:
        write_sheet(wb, sheet)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
