"""Workbooks meant to be printed and handed over as they are: cells in a Chinese font that are
never formulas, boxed tables, merged headings, widths for CJK text, bar charts, and the A4 print
setup (fit to width, repeated title rows, header and page-numbered footer).

The streaming writer of center.reports.xlsx suits data exports; this one uses openpyxl's normal
Workbook, which charts, merged cells and print settings need. Like it, every string is written
as text: one that starts like a formula (=, +, -, @, tab, CR, LF) is also quote-prefixed, so
editing the cell in Excel keeps it text.
"""
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

from center.reports.xlsx import FORMULA_TRIGGERS

BODY_FONT = "宋体"  # SimSun: on every Chinese Windows and Office; LibreOffice maps it to a CJK font
TITLE_FONT = "黑体"  # SimHei, the usual heading face of official documents
CHARSET_GB2312 = 134  # tells Excel the font is a Chinese one
INT_FORMAT, DECIMAL_FORMAT = "#,##0", "#,##0.0"
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
SECTION_FILL = PatternFill("solid", fgColor="F1F4F8")
THIN = Side(style="thin", color="9AA5B1")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTERED = Alignment(horizontal="center", vertical="center", wrap_text=True)
MIN_WIDTH, MAX_WIDTH = 8, 60
ROW_CM = 0.5  # the height of a default row, to place what follows a chart


def put(ws, row: int, column: int, value, *, bold=False, size=11, number_format=None,
        align=None, font=BODY_FONT, boxed=False):
    """Write one cell; a string is always text, never a formula, whatever it starts with."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters Excel refuses
        cell.value = value
        cell.data_type = "s"
        cell.quotePrefix = value.startswith(FORMULA_TRIGGERS)
    else:
        cell.value = value
    cell.font = Font(name=font, size=size, bold=bold, charset=CHARSET_GB2312)
    if number_format:
        cell.number_format = number_format
    if align:
        cell.alignment = align
    if boxed:
        cell.border = BOX
    return cell


def line(ws, row: int, text: str, columns: int, **style):
    """A text across `columns` merged cells."""
    cell = put(ws, row, 1, text, **style)
    if columns > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    return cell


def heading(ws, row: int, text: str, columns: int) -> int:
    """A shaded section heading across the columns; returns the next row."""
    line(ws, row, text, columns, bold=True, size=12, font=TITLE_FONT).fill = SECTION_FILL
    ws.row_dimensions[row].height = 22
    return row + 1


def header_row(ws, row: int, labels, first_column: int = 1) -> None:
    for offset, label in enumerate(labels):
        cell = put(ws, row, first_column + offset, label, bold=True, align=CENTERED, boxed=True)
        cell.fill = HEADER_FILL


def title_rows(ws, title: str, subtitle: str, columns: int) -> int:
    """The title and a subtitle, merged across the columns, repeated at the top of every printed
    page; returns the first row after them and a blank one."""
    line(ws, 1, title, columns, bold=True, size=16, font=TITLE_FONT, align=CENTERED)
    line(ws, 2, subtitle, columns, size=10, align=CENTERED)
    ws.row_dimensions[1].height = 42
    ws.row_dimensions[2].height = 20
    ws.print_title_rows = "1:2"
    return 4


def number(value):
    """The value if it is a number (not a bool), else None."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def number_format(*values) -> str:
    """Whole numbers with thousands separators; one decimal when any value has a fraction."""
    return DECIMAL_FORMAT if any(isinstance(v, float) and not float(v).is_integer()
                                 for v in values) else INT_FORMAT


def display_width(text: str) -> int:
    """Columns a text takes: CJK and full-width characters count two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def set_widths(ws, widths) -> None:
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(MIN_WIDTH,
                                                                   min(MAX_WIDTH, width))


def bar_chart(ws, title: str, header: int, last: int, *, anchor_row: int) -> int:
    """A bar chart of column B by column A over rows header+1..last (B's header names the
    series), anchored at `anchor_row`; returns the first row below it. Horizontal bars when
    there are many categories, read top-down in the table's order."""
    count = last - header
    chart = BarChart()
    chart.type = "bar" if count > 6 else "col"
    chart.style, chart.title, chart.legend = 10, title, None
    chart.y_axis.majorGridlines = None
    chart.y_axis.numFmt = INT_FORMAT
    chart.x_axis.delete = chart.y_axis.delete = False
    if chart.type == "bar":
        chart.x_axis.scaling.orientation = "maxMin"
    # The value only: LibreOffice otherwise also prints the series and category names.
    chart.dataLabels = DataLabelList(showVal=True, showSerName=False, showCatName=False,
                                     showLegendKey=False, showPercent=False)
    chart.add_data(Reference(ws, min_col=2, min_row=header, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=header + 1, max_row=last))
    chart.height = max(6.5, 0.6 * count + 2.5) if chart.type == "bar" else 7.0
    chart.width = 16.0
    ws.add_chart(chart, f"A{anchor_row}")
    return anchor_row + 1 + int(chart.height / ROW_CM)


def print_setup(ws, *, landscape: bool, header_left: str, header_right: str,
                footer_right: str) -> None:
    """A4, fitted to the page width (as many pages down as needed), centred, no grid lines;
    the header's texts and "第 N 页，共 M 页" in the footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.6, right=0.6, top=0.8, bottom=0.8, header=0.3,
                                  footer=0.3)
    ws.oddHeader.left.text, ws.oddHeader.right.text = header_left, header_right
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.right.text = footer_right
    for item in (ws.oddHeader.left, ws.oddHeader.right, ws.oddFooter.center,
                 ws.oddFooter.right):
        item.font, item.size = BODY_FONT, 9
    ws.sheet_view.showGridLines = False
