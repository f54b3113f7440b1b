"""Excel exchange of the liaison posts: the template a platform fills in, and its upload.

Rules (also written on the template's 说明 sheet and on the upload page):
- Cell A1 of the first sheet carries the template version; a file from another version is
  refused unread (its columns may mean something else). Row 2 is the header, data from row 3.
- At most MAX_ROWS rows and MAX_BYTES bytes per file, .xlsx only (the zip is checked before
  it is opened, see center.services.spreadsheets).
- Every row is checked with the same rules as the form (center.services.liaison.validated)
  before anything is written; one bad row means nothing is imported, and each problem is
  reported by row number, column and reason.
- All rows become posts of one platform: the uploader's own, or for the center's staff the
  platform chosen on the upload page. 立即发布 = 是 publishes the row at once.
The column labels and the version are a file format shared by every user, so they are fixed
Chinese text rather than translated messages.
"""
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from sqlalchemy import select

from center.models.directory import Region
from center.models.liaison import CATEGORY_LABELS, Post
from center.reports.xlsx import Sheet, workbook_bytes
from center.services import liaison
from center.services.directory_exchange import NO, YES, _key, _Rows, _text
from center.services.errors import PermissionDenied, ValidationError
from center.services.review_exchange import parse_day
from center.services.spreadsheets import Column, WorkbookError, check_zip, read_table

TEMPLATE_VERSION = "LIAISON-POSTS-1"
VERSION_RE = re.compile(r"模板版本[:：]\s*([A-Z0-9-]+)")
SHEET_TITLE = "需求与资源"
COLUMNS = [
    Column("kind", "类型", required=True), Column("category", "类别", required=True),
    Column("title", "标题", required=True), Column("description", "描述"),
    Column("quantity", "数量"), Column("starts_on", "开始日期"), Column("ends_on", "结束日期"),
    Column("region", "所在区域"), Column("contact_name", "联系人"),
    Column("contact_phone", "联系电话"), Column("expires_on", "有效期至"),
    Column("publish", "立即发布"),
]
MAX_ROWS = 1000
MAX_BYTES = 2 * 1024 * 1024
MAX_UNCOMPRESSED = 20 * 1024 * 1024
KIND_ALIASES = {"需求": "need", "need": "need", "资源": "offer", "offer": "offer",
                "供给": "offer", "提供": "offer"}
CATEGORY_ALIASES = {**{str(label): code for code, label in CATEGORY_LABELS.items()},
                    **{code: code for code in CATEGORY_LABELS}, "参观": "visit", "交流": "visit"}
# Fixed Chinese text: a file format (see the module docstring).
CATEGORY_NAMES = "、".join(["师资", "场地", "参观交流", "资金", "志愿者", "课程", "其他"])
DATE_KEYS = ("starts_on", "ends_on", "expires_on")
SERVICE_KEYS = {"region_id": "region"}  # the service's field → this file's column


@dataclass
class ImportResult:
    created: int = 0
    published: int = 0
    ids: list[int] = field(default_factory=list)


# --- the template ------------------------------------------------------------------------------

def notes(max_rows: int = MAX_ROWS) -> list:
    return [
        _l("在第一个工作表从第3行起每行填写一条需求或资源；请勿修改第1行的模板版本和第2行的表头。"),
        _l("必填：类型（需求或资源）、类别（%(names)s）、标题。", names=CATEGORY_NAMES),
        _l("数量：正整数，可留空。日期写作 2026-03-15；结束日期不能早于开始日期。"),
        _l("所在区域：区或街道的名称或区划代码，留空为本平台所在区域；街道重名时请填代码。"),
        _l("有效期至：过了这一天不再在全市展示，可留空。立即发布：是或否，留空为否（存为草稿）。"),
        _l("上传后先检查所有行：任何一行有错误，都不会导入任何数据，并按行号、列名列出原因。"),
        _l("每个文件最多 %(n)d 行，只接受 .xlsx 格式，不超过 %(mb)d MB。", n=max_rows,
           mb=MAX_BYTES // (1024 * 1024)),
    ]


def template(*, max_rows: int = MAX_ROWS) -> bytes:
    """The empty template: the version in A1, the header in row 2, the rules on 说明."""
    return workbook_bytes([
        Sheet(SHEET_TITLE, [c.label for c in COLUMNS],
              notes=[f"模板版本：{TEMPLATE_VERSION}（请勿修改本行和第2行的表头）"]),
        Sheet("说明", ["说明"], [[str(line)] for line in notes(max_rows)], widths=[110]),
    ])


# --- the upload --------------------------------------------------------------------------------

def _unusable() -> WorkbookError:
    return WorkbookError(_l("无法读取该工作簿，请使用下载的模板。"), {"file": _l("无法读取。")})


def template_version(data: bytes) -> str | None:
    """The version written in A1 of the first sheet, or None when there is none."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for malformed parts
        raise _unusable() from None
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # a declared dimension of a million cells is not trusted
        first = next(ws.iter_rows(min_row=1, max_row=1, max_col=1, values_only=True), (None,))
    except Exception:
        raise _unusable() from None
    finally:
        wb.close()
    match = VERSION_RE.search(str(first[0] or ""))
    return match.group(1) if match else None


def _read(data: bytes, *, max_rows: int, max_bytes: int, max_uncompressed: int):
    if len(data) > max_bytes:
        raise WorkbookError(_l("文件超过 %(mb)d MB，请分批导入。", mb=max(1, max_bytes // (1024 * 1024))),
                            {"file": _l("文件过大。")})
    check_zip(data, max_uncompressed=max_uncompressed)
    version = template_version(data)
    if version != TEMPLATE_VERSION:
        found = _l("“%(v)s”", v=version) if version else _l("（没有版本标记）")
        raise WorkbookError(_l("模板版本不符：本系统使用 %(want)s，上传的文件是 %(found)s。请下载最新模板重新填写。",
                               want=TEMPLATE_VERSION, found=found),
                            {"file": _l("模板版本不符。")})
    rows = read_table(data, COLUMNS, max_rows=max_rows, max_uncompressed=max_uncompressed,
                      header_row=2)
    if not rows:
        raise WorkbookError(_l("表格中没有数据行。请从第3行起填写。"), {"file": _l("没有数据行。")})
    return rows


class _Regions:
    """Regions by code or by name (a name shared by two streets must be given as a code)."""

    def __init__(self, session):
        self.by_code, self.by_name = {}, {}
        for region_id, code, name in session.execute(select(Region.id, Region.code, Region.name)):
            self.by_code[code] = region_id
            self.by_name.setdefault(_key(name), []).append(region_id)

    def find(self, value) -> tuple[int | None, object]:
        text = _text(value) or ""
        if text in self.by_code:
            return self.by_code[text], None
        ids = self.by_name.get(_key(text), [])
        if len(ids) == 1:
            return ids[0], None
        if ids:
            return None, _l("有多个区域叫“%(name)s”，请填写区划代码。", name=text)
        return None, _l("无法识别的区域“%(name)s”，请填写区或街道的名称或区划代码。", name=text)


def _choice(check: _Rows, row: dict, key: str, aliases: dict, message):
    value = row.get(key)
    if value is None:
        return None  # the service reports a missing kind or category
    code = aliases.get(_key(value))
    if code is None:
        check.report(key, message(_text(value)))
    return code


def _row_data(check: _Rows, row: dict, regions: _Regions) -> tuple[dict, bool, set]:
    """The row as the service's input, whether to publish it, and the columns already reported."""
    before = len(check.problems)
    # A phone number typed into Excel arrives as a number: every text column is read as text.
    data = {key: _text(row.get(key))
            for key in ("title", "description", "contact_name", "contact_phone")}
    data["quantity"] = row.get("quantity")
    data["kind"] = _choice(check, row, "kind", KIND_ALIASES,
                           lambda v: _l("类型“%(v)s”无法识别，应为“需求”或“资源”。", v=v))
    data["category"] = _choice(check, row, "category", CATEGORY_ALIASES,
                               lambda v: _l("未知的类别“%(v)s”，可选：%(names)s。", v=v,
                                            names=CATEGORY_NAMES))
    for key in DATE_KEYS:
        value = row.get(key)
        data[key] = parse_day(value) if value is not None else None
        if value is not None and data[key] is None:
            check.report(key, _l("日期格式应为 2026-03-15。"))
    if row.get("region") is not None:
        data["region_id"], problem = regions.find(row["region"])
        if problem:
            check.report("region", problem)
    publish = _key(row.get("publish")) if row.get("publish") is not None else "否"
    if publish not in YES | NO:
        check.report("publish", _l("请填写“是”或“否”。"))
    reported = {check.problems[i].column for i in range(before, len(check.problems))}
    return data, publish in YES, reported


def _check_row(session, check: _Rows, data: dict, reported: set, *, platform,
               today) -> None:
    """The form's rules for one row; a column already reported is not reported twice."""
    try:
        liaison.validated(session, data, platform=platform, today=today)
    except ValidationError as error:
        for key, message in error.fields.items():
            column = SERVICE_KEYS.get(key, key)
            if column in check.labels and check.labels[column] not in reported:
                check.report(column, message)


def import_posts(session, data: bytes, *, actor, platform_id=None, now: datetime | None = None,
                 max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES,
                 max_uncompressed: int = MAX_UNCOMPRESSED) -> ImportResult:
    """Posts from a filled template, all or nothing (see the module docstring)."""
    if not (actor.role == "platform" or liaison.is_center(actor)):
        raise PermissionDenied(_l("只有平台和中心工作人员可以导入需求和资源。"))
    platform = liaison._platform_of(session, actor, platform_id)
    rows = _read(data, max_rows=max_rows, max_bytes=max_bytes, max_uncompressed=max_uncompressed)
    check, regions, today = _Rows(COLUMNS), _Regions(session), liaison.today_in_center(now)
    cleaned, seen = [], {}
    for number, row in rows:
        check.row = number
        values, publish, reported = _row_data(check, row, regions)
        _check_row(session, check, values, reported, platform=platform, today=today)
        same = (values["kind"], values["category"], (values["title"] or "").lower())
        if values["title"] and same in seen:
            check.report("title", _l("与第 %(row)d 行重复（类型、类别和标题都相同）。", row=seen[same]))
        seen.setdefault(same, number)
        cleaned.append((values, publish))
    check.raise_if_any()
    result = ImportResult()
    for values, publish in cleaned:
        post: Post = liaison.create_post(session, values, actor=actor, platform_id=platform.id,
                                         publish=publish, now=now)
        result.created += 1
        result.published += publish
        result.ids.append(post.id)
    return result
