"""The weekly report as the workbook a manager hands to the supervising office unretouched.

    workbook_bytes(report) -> bytes      # the .xlsx of a WeeklyReport (draft or submitted)

A summary sheet (周报概要: the title, the period, every figure beside last week's and the
change, then the narrative "本周工作小结" and "下周工作计划"), then one sheet per service line
(its figures, its tables, a bar chart of its first table with numbers). Every sheet prints on
A4 fitted to the page width, with the title rows repeated on each printed page and page numbers
in the footer (center.reports.xlsx_print).

It reads only the report's stored figures (the state the manager reviewed), never the records,
so the export shows exactly what the page showed. A module stored as None is not built yet and
says "尚未上线" (never zeros); a week without records says so. The workbook is in Chinese, the
report's language, whoever exports it. Text is never a formula (xlsx_print.put).
"""
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment

from center.reports.xlsx import XLSX_MIMETYPE  # noqa: F401  (the views and API answer with it)
from center.reports.xlsx_print import (BOX, DECIMAL_FORMAT, bar_chart, display_width, header_row,
                                       heading, line, number, number_format, print_setup, put,
                                       set_widths, title_rows)
from center.services.venue_rules import CENTER_TZ

CENTER_NAME = "社会组织发展服务中心"
ABSENT = "尚未上线"
NOTHING = "本周无记录"
FIGURE_HEADERS = ("业务", "指标", "本周", "上周", "比上周", "单位")
SHEET_HEADERS = FIGURE_HEADERS[1:]
CHANGE_INT = '"▲ "#,##0;"▼ "#,##0;"持平"'
CHANGE_DECIMAL = '"▲ "#,##0.0;"▼ "#,##0.0;"持平"'
SUMMARY_WIDTHS = (14, 24, 12, 12, 12, 8)  # 业务, 指标, 本周, 上周, 比上周, 单位
SHEET_WIDTHS = (26, 14, 14, 14, 14)  # at least: as wide as the summary, so the title fits
RIGHT = Alignment(horizontal="right")
# Figures that describe the state at the week's end, not the week's activity: a backlog left
# over from earlier weeks does not make an empty week busy.
STANDING_FIGURES = frozenset({"follow_ups_open", "follow_ups_overdue", "backlog", "overdue"})


def report_title(report) -> str:
    first, last = report.starts_on, report.ends_on
    return (f"{CENTER_NAME}工作周报（{report.iso_year}年第{report.iso_week}周，"
            f"{first.month}月{first.day}日—{last.month}月{last.day}日）")


def workbook_bytes(report) -> bytes:
    buffer = io.BytesIO()
    build_workbook(report).save(buffer)
    return buffer.getvalue()


def build_workbook(report) -> Workbook:
    """The summary sheet, then one sheet per service line in the report's order."""
    wb = Workbook()
    wb.properties.title = report_title(report)
    wb.properties.creator = CENTER_NAME
    sections = service_lines(report.figures)
    write_summary(wb.active, report, sections)
    for section in sections:
        write_service_sheet(wb.create_sheet(sheet_name(section["label"])), report, section)
    return wb


def service_lines(figures: dict) -> list[dict]:
    """Each module in report order: {"key", "label", "absent", "figures", "tables"}."""
    modules = (figures or {}).get("modules") or {}
    labels = (figures or {}).get("labels") or {k: (m or {}).get("label", k)
                                               for k, m in modules.items()}
    return [{"key": key, "label": str(label), "absent": modules.get(key) is None,
             "figures": (modules.get(key) or {}).get("figures", []),
             "tables": (modules.get(key) or {}).get("tables", [])}
            for key, label in labels.items()]


def is_empty_week(sections: list[dict]) -> bool:
    """No service line has a record this week (or the figures were never generated)."""
    present = [s for s in sections if not s["absent"]]
    return not any(number(f.get("value")) for s in present for f in s["figures"]
                   if f.get("key") not in STANDING_FIGURES)


def sheet_name(label: str) -> str:
    return "".join(ch for ch in label if ch not in "[]:*?/\\")[:31] or "Sheet"


def _period(report) -> str:
    first, last = report.starts_on, report.ends_on
    return f"{first:%Y年%m月%d日}（周一）至 {last:%Y年%m月%d日}（周日）"


def _generated(report) -> str:
    moment = report.figures_generated_at
    return f"数据生成于 {moment.astimezone(CENTER_TZ):%Y-%m-%d %H:%M}" if moment else ""


def _start(ws, report, subtitle: str, columns: int, *, landscape: bool = False) -> int:
    """Title rows and print setup of a sheet; returns its first free row."""
    print_setup(ws, landscape=landscape, header_left=f"{CENTER_NAME}工作周报",
                header_right=report.week_key, footer_right=_generated(report))
    return title_rows(ws, report_title(report), subtitle, columns)


def _figure_cells(ws, row: int, column: int, figure: dict) -> None:
    """本周, 上周, 比上周 (a number shown as ▲/▼) and 单位 of one figure from `column` on."""
    value, previous = number(figure.get("value")), number(figure.get("previous"))
    fmt = number_format(value, previous)
    change = round(value - previous, 1) if value is not None and previous is not None else None
    cells = ((value, fmt), (previous, fmt),
             (change, CHANGE_DECIMAL if fmt == DECIMAL_FORMAT else CHANGE_INT))
    for offset, (shown, shown_format) in enumerate(cells):
        put(ws, row, column + offset, "—" if shown is None else shown,
            number_format=shown_format, align=RIGHT, boxed=True)
    put(ws, row, column + 3, str(figure.get("unit") or ""), boxed=True)


# --- the summary sheet --------------------------------------------------------------------------

def write_summary(ws, report, sections: list[dict]) -> None:
    ws.title = "周报概要"
    columns = len(FIGURE_HEADERS)
    set_widths(ws, SUMMARY_WIDTHS)
    row = _start(ws, report, f"统计周期：{_period(report)}", columns)
    row = heading(ws, row, "一、本周主要数据", columns)
    if is_empty_week(sections):
        line(ws, row, "本周各项业务均无记录。" if sections else "本周数据尚未生成。", columns,
             bold=True)
        row += 1
    header_row(ws, row, FIGURE_HEADERS)
    row += 1
    for section in sections:
        row = _summary_rows(ws, row, section, columns)
    row = heading(ws, row + 1, "二、本周工作小结", columns)
    row = _narrative(ws, row, report.summary, columns)
    row = heading(ws, row + 1, "三、下周工作计划", columns)
    row = _narrative(ws, row, report.plan, columns)
    _note(ws, row + 1, report, columns)


def _summary_rows(ws, row: int, section: dict, columns: int) -> int:
    put(ws, row, 1, section["label"], bold=True, boxed=True,
        align=Alignment(vertical="center", wrap_text=True))
    if section["absent"]:
        put(ws, row, 2, ABSENT, align=Alignment(horizontal="center"), boxed=True)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=columns)
        return row + 1
    first = row
    for figure in section["figures"]:
        put(ws, row, 2, str(figure.get("label", "")), boxed=True)
        _figure_cells(ws, row, 3, figure)
        row += 1
    if row - first > 1:
        ws.merge_cells(start_row=first, start_column=1, end_row=row - 1, end_column=1)
    return max(row, first + 1)


def _narrative(ws, row: int, text: str, columns: int) -> int:
    """The manager's text, one printed row per line (so a page break never cuts a line)."""
    lines = [each.rstrip() for each in (text or "").strip().splitlines()] or ["（未填写）"]
    width = sum(SUMMARY_WIDTHS)
    for each in lines:
        line(ws, row, each, columns, align=Alignment(vertical="top", wrap_text=True))
        ws.row_dimensions[row].height = 15 * max(1, -(-display_width(each) // width))
        row += 1
    return row


def _note(ws, row: int, report, columns: int) -> None:
    parts = [CENTER_NAME, _generated(report)]
    if report.submitted_at is not None:
        parts.append(f"报送于 {report.submitted_at.astimezone(CENTER_TZ):%Y-%m-%d %H:%M}")
    line(ws, row, "　".join(p for p in parts if p), columns, size=9, align=RIGHT)


# --- one sheet per service line ------------------------------------------------------------------

def write_service_sheet(ws, report, section: dict) -> None:
    columns = max([len(SHEET_HEADERS)] + [len(t.get("columns", [])) for t in section["tables"]])
    row = _start(ws, report, f"{section['label']}　统计周期：{_period(report)}", columns,
                 landscape=columns > len(SHEET_HEADERS))
    widths = list(SHEET_WIDTHS)
    if section["absent"]:
        line(ws, row, f"{section['label']}：{ABSENT}，本周无数据。", columns, bold=True)
        set_widths(ws, widths)
        return
    row = heading(ws, row, "本周数据", columns)
    header_row(ws, row, SHEET_HEADERS)
    for row, figure in enumerate(section["figures"], start=row + 1):
        put(ws, row, 1, str(figure.get("label", "")), boxed=True)
        widths[0] = max(widths[0], display_width(str(figure.get("label", ""))) + 4)
        _figure_cells(ws, row, 2, figure)
    charted = False
    for table in section["tables"]:
        row, needed, drawn = _table(ws, row + 2, table, columns, chart=not charted)
        charted = charted or drawn
        widths = [max(a, b) for a, b in _pad(widths, needed)]
    set_widths(ws, widths)


def _pad(a: list, b: list) -> list[tuple]:
    size = max(len(a), len(b))
    return list(zip(a + [0] * (size - len(a)), b + [0] * (size - len(b))))


def _table(ws, row: int, table: dict, columns: int, *, chart: bool):
    """A titled table and, when `chart` and it has numbers, a bar chart below it; returns its
    last used row, the column widths it needs and whether it drew a chart."""
    row = heading(ws, row, str(table.get("title", "")), columns)
    headers = [str(h) for h in table.get("columns", [])]
    header_row(ws, row, headers)
    widths = [display_width(h) + 4 for h in headers]
    first, rows = row, table.get("rows", [])
    if not rows:
        line(ws, row + 1, NOTHING, max(1, len(headers)))
        return row + 1, widths, False
    for row, values in enumerate(rows, start=first + 1):
        for column, value in enumerate(values, start=1):
            shown = number(value)
            put(ws, row, column, shown if shown is not None else str(value or ""), boxed=True,
                number_format=number_format(shown) if shown is not None else None)
            if column <= len(widths):
                widths[column - 1] = max(widths[column - 1], display_width(str(value)) + 3)
    drawn = chart and len(rows[0]) >= 2 and any(number(r[1]) for r in rows)
    if drawn:
        row = bar_chart(ws, str(table.get("title", "")), first, row, anchor_row=row + 2) - 1
    return row, widths, drawn
