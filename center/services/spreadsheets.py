"""Reading uploaded workbooks safely: size and type checks before parsing, hardened XML.

A workbook is a zip of XML files. Before anything is expanded, the declared uncompressed sizes
are summed and checked (a zip bomb is refused unopened; Python's zipfile never inflates an entry
past its declared size). openpyxl parses with defusedxml when it is installed, which it must be.
"""
import io
import zipfile
from dataclasses import dataclass

import openpyxl.xml
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from center.services.errors import ValidationError

if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - a broken install, refuse to run
    raise RuntimeError("defusedxml must be installed so uploaded workbooks are parsed safely")

MAX_ZIP_ENTRIES = 1000
MAX_COLUMNS = 100  # the header is read this wide at most; templates have a dozen columns


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False


@dataclass
class RowProblem:
    row: int
    column: str
    message: str


class WorkbookError(ValidationError):
    """The file as a whole is unusable (not a workbook, too big, wrong headers)."""

    code = "invalid_workbook"


class RowErrors(ValidationError):
    """Some rows are invalid; nothing was imported. `problems` lists row, column and reason."""

    code = "invalid_rows"

    def __init__(self, problems: list[RowProblem]):
        super().__init__(_l("有 %(n)d 处错误，未导入任何数据。请修改后重新上传。", n=len(problems)))
        self.problems = problems


def check_zip(data: bytes, *, max_uncompressed: int) -> None:
    if not data:
        raise WorkbookError(_l("文件是空的。"), {"file": _l("文件是空的。")})
    if not data.startswith(b"PK\x03\x04") or not zipfile.is_zipfile(io.BytesIO(data)):
        raise WorkbookError(_l("这不是 Excel 工作簿（.xlsx）文件。"), {"file": _l("请上传 .xlsx 文件。")})
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile:
        raise WorkbookError(_l("文件已损坏，无法读取。"), {"file": _l("文件已损坏。")}) from None
    declared = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_ZIP_ENTRIES or declared > max_uncompressed:
        raise WorkbookError(_l("文件解压后过大，已拒绝。"), {"file": _l("文件解压后过大。")})


def read_table(data: bytes, columns: list[Column], *, max_rows: int, max_uncompressed: int,
               header_row: int = 1) -> list[tuple[int, dict]]:
    """Rows of the first sheet as (Excel row number, {key: value}); blank rows are skipped.

    More than `max_rows` data rows, or more than `max_rows` blank ones (gaps count), is refused.

    The header row must carry every column label (order free, extra columns refused), so a
    wrong or outdated template is caught before any row is read.
    """
    check_zip(data, max_uncompressed=max_uncompressed)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for malformed parts
        raise WorkbookError(_l("无法读取该工作簿，请使用下载的模板。"), {"file": _l("无法读取。")}) from None
    try:
        return _rows(wb.worksheets[0], columns, max_rows=max_rows, header_row=header_row)
    except WorkbookError:
        raise
    except Exception:  # read-only mode parses a sheet's rows only now; bad XML shows up here
        raise WorkbookError(_l("无法读取该工作簿，请使用下载的模板。"), {"file": _l("无法读取。")}) from None
    finally:
        wb.close()


def _rows(ws, columns, *, max_rows, header_row):
    # Read-only mode trusts the sheet's declared <dimension>: a tiny file declaring A1:XFD1048576
    # would pad every row to 16,384 cells and yield a million empty rows. Forget it, bound the
    # width by the header, and count blank rows (gaps included) against the limit too.
    ws.reset_dimensions()
    header = _header(ws, header_row)
    index = _header_index(header, columns)
    result, blank = [], 0
    rows = ws.iter_rows(min_row=header_row + 1, max_col=len(header), values_only=True)
    for number, values in enumerate(rows, start=header_row + 1):
        is_blank = all(v is None or str(v).strip() == "" for v in values)
        blank += is_blank
        if blank > max_rows or (not is_blank and len(result) >= max_rows):
            raise WorkbookError(_l("行数超过上限 %(n)d 行，请分批导入。", n=max_rows),
                                {"file": _l("行数过多。")})
        if not is_blank:
            result.append((number, {c.key: _clean(values[i]) for c, i in index.items()}))
    return result


def _header(ws, header_row: int) -> list[str]:
    """The header labels, trailing blank cells dropped, at most MAX_COLUMNS wide."""
    cells = ws.iter_rows(min_row=header_row, max_row=header_row, max_col=MAX_COLUMNS,
                         values_only=True)
    header = [str(v).strip() if v is not None else "" for v in next(cells, ())]
    while header and not header[-1]:
        header.pop()
    return header


def _header_index(header: list[str], columns: list[Column]) -> dict:
    present = {label: i for i, label in enumerate(header) if label}
    missing = [c.label for c in columns if c.label not in present]
    expected = {c.label for c in columns}
    extra = [label for label in present if label not in expected]
    if missing or extra:
        detail = "；".join(filter(None, [
            str(_l("缺少：%(cols)s", cols="、".join(missing))) if missing else "",
            str(_l("多余：%(cols)s", cols="、".join(extra))) if extra else ""]))
        raise WorkbookError(_l("表头与模板不符（%(detail)s）。请下载最新模板。", detail=detail),
                            {"file": _l("表头与模板不符。")})
    return {c: present[c.label] for c in columns}


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
