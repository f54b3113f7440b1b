"""Excel exchange of the directory: import templates, all-or-nothing imports, re-importable exports.

Rules (also written on each template's 说明 sheet and on the upload page):
- The first sheet holds the data, its first row the header; an export has the same columns as
  the template, so an exported list can be edited and imported again.
- Every row is checked before anything is written; one bad row means nothing is imported, and
  each problem is reported by row number, column and reason.
- A row whose credit code (organizations) or name (platforms) already exists updates that record
  (archived records stay archived); with ``update_existing=False`` it is reported as a duplicate.
The column and type labels are a file format shared by every user, so they are fixed Chinese
text rather than translated messages.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from center.models.directory import Organization, Platform, Region, RegionTier
from center.reports.xlsx import Sheet, workbook_bytes
from center.services import audit
from center.services.directory import (TYPE_BY_CODE_CATEGORY, credit_code_problem, name_initials,
                                       normalize_credit_code)
from center.services.errors import ConflictError
from center.services.field_checks import ascii_int
from center.services.spreadsheets import Column, RowErrors, RowProblem, WorkbookError, read_table

ORGANIZATION_COLUMNS = [
    Column("name", "组织名称", required=True), Column("credit_code", "统一社会信用代码", required=True),
    Column("type", "组织类型"), Column("level", "登记级别"), Column("district", "所在区"),
    Column("field", "业务领域"), Column("contact_name", "联系人"), Column("contact_phone", "联系电话"),
    Column("address", "地址"), Column("note", "备注"),
]
PLATFORM_COLUMNS = [
    Column("name", "平台名称", required=True), Column("district", "所在区", required=True),
    Column("street", "街道/乡镇"), Column("is_joint_member", "联席会议成员"),
    Column("rotation_order", "轮值顺序"), Column("contact_name", "联系人"),
    Column("contact_phone", "联系电话"), Column("address", "地址"),
]
TYPE_LABELS = {"social_group": "社会团体", "social_service": "社会服务机构（民办非企业单位）",
               "foundation": "基金会"}
LEVEL_LABELS = {"city": "市级", "district": "区级"}
TYPE_ALIASES = {**{label: code for code, label in TYPE_LABELS.items()},
                **{code: code for code in TYPE_LABELS},
                "社会服务机构": "social_service", "民办非企业单位": "social_service", "民非": "social_service"}
LEVEL_ALIASES = {"市级": "city", "市": "city", "city": "city", "区级": "district", "区": "district",
                 "district": "district"}
YES = {"是", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "n", "no", "false", "0"}
NOTE_MAX = 2000
CHUNK = 500


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _key(value) -> str:
    return "".join(str(value).split()).replace("(", "（").replace(")", "）").lower()


def _text(value) -> str | None:
    if value is None:
        return None
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value)).strip()
    return text or None


def _max_length(model, key) -> int:
    return getattr(model.__table__.c[key].type, "length", None) or NOTE_MAX


class RegionLookup:
    """Regions by code, name or short name (东城 for 东城区), loaded in one query."""

    def __init__(self, session):
        self.tops: dict[str, Region] = {}
        self.streets: dict[tuple[int, str], Region] = {}
        for region in session.scalars(select(Region)):
            if region.tier == RegionTier.street.value:
                for key in (region.code, region.name):
                    self.streets[(region.parent_id, _key(key))] = region
                continue
            short = region.name[:-1] if len(region.name) > 2 and region.name[-1] in "区县市" else None
            for key in filter(None, (region.code, region.name, short)):
                self.tops[_key(key)] = region

    def district(self, value, *, allow_city=False) -> Region | None:
        region = self.tops.get(_key(value))
        if region is None or (region.tier == RegionTier.city.value and not allow_city):
            return None
        return region

    def street(self, district: Region, value) -> Region | None:
        return self.streets.get((district.id, _key(value)))


class _Rows:
    """Collects the problems of one file, by row number and column label."""

    def __init__(self, columns):
        self.labels = {c.key: c.label for c in columns}
        self.problems: list[RowProblem] = []
        self.row = 0

    def report(self, key: str, message) -> None:
        self.problems.append(RowProblem(self.row, self.labels[key], message))

    def text(self, values: dict, key: str, model) -> str | None:
        text = _text(values.get(key))
        limit = _max_length(model, key)
        if text and len(text) > limit:
            self.report(key, _l("不能超过 %(max)d 个字。", max=limit))
        return text

    def raise_if_any(self) -> None:
        if self.problems:
            raise RowErrors(sorted(self.problems, key=lambda p: p.row))


def _read(data: bytes, columns, *, max_rows: int, max_uncompressed: int):
    rows = read_table(data, columns, max_rows=max_rows, max_uncompressed=max_uncompressed)
    if not rows:
        raise WorkbookError(_l("表格中没有数据行。请从第2行起填写。"), {"file": _l("没有数据行。")})
    return rows


def _flush(session) -> None:
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(_l("导入期间有人同时修改了名录，未导入任何数据。请重新上传。")) from None


def _apply(session, record, values: dict, model, result: ImportResult) -> None:
    if record is None:
        session.add(model(**values))
        result.created += 1
    elif any(getattr(record, key) != value for key, value in values.items()):
        for key, value in values.items():
            setattr(record, key, value)
        result.updated += 1
    else:
        result.unchanged += 1


# --- organizations ---------------------------------------------------------------------------

def _organization_values(check: _Rows, row: dict, lookup: RegionLookup) -> dict:
    values = {key: check.text(row, key, Organization)
              for key in ("name", "field", "contact_name", "contact_phone", "address", "note")}
    if not values["name"]:
        check.report("name", _l("请填写组织名称。"))
    code = normalize_credit_code(_text(row.get("credit_code")))
    problem = credit_code_problem(code) if code else _l("请填写统一社会信用代码。")
    if problem:
        check.report("credit_code", problem)
    values.update(credit_code=code, type=_organization_type(check, row.get("type"), code, problem),
                  level=LEVEL_ALIASES.get(_key(row.get("level") or "市级")))
    if values["level"] is None:
        check.report("level", _l("登记级别应为“市级”或“区级”。"))
    district = lookup.district(row["district"]) if row.get("district") is not None else None
    if row.get("district") is not None and district is None:
        check.report("district", _l("无法识别的区“%(value)s”，请填写区的名称（如东城区）或区划代码（如110101）。",
                                    value=_text(row["district"])))
    values["district_id"] = district.id if district else None
    return values


def _organization_type(check: _Rows, value, code: str, code_problem) -> str | None:
    if value is not None:
        org_type = TYPE_ALIASES.get(_key(value))
        if org_type is None:
            check.report("type", _l("无法识别的组织类型“%(value)s”，应为：%(labels)s。",
                                    value=_text(value), labels="、".join(TYPE_LABELS.values())))
        return org_type
    org_type = TYPE_BY_CODE_CATEGORY.get(code[1:2]) if code[:1] == "5" else None
    if org_type is None and not code_problem:
        check.report("type", _l("请填写组织类型（无法从信用代码判断）。"))
    return org_type


def import_organizations(session, data: bytes, *, actor, update_existing: bool = True,
                         max_rows: int, max_uncompressed: int) -> ImportResult:
    """Import organizations from a workbook, all or nothing (see the module docstring)."""
    check, lookup, cleaned, seen = _Rows(ORGANIZATION_COLUMNS), RegionLookup(session), [], {}
    for number, row in _read(data, ORGANIZATION_COLUMNS, max_rows=max_rows,
                             max_uncompressed=max_uncompressed):
        check.row = number
        values = _organization_values(check, row, lookup)
        code = values["credit_code"]
        if code and code in seen:
            check.report("credit_code", _l("与第 %(row)d 行的信用代码重复。", row=seen[code]))
        elif code:
            seen[code] = number
        cleaned.append((number, values))
    existing = _existing(session, Organization, Organization.credit_code, list(seen),
                         lambda org: org.credit_code)
    if not update_existing:
        for number, values in cleaned:
            if values["credit_code"] in existing:
                check.row = number
                check.report("credit_code", _l("该代码已登记为“%(name)s”。",
                                               name=existing[values["credit_code"]].name))
    check.raise_if_any()
    audit.acting(session, actor)
    result = ImportResult()
    for _number, values in cleaned:
        values["name_initials"] = name_initials(values["name"])
        _apply(session, existing.get(values["credit_code"]), values, Organization, result)
    _flush(session)
    return result


def _existing(session, model, column, keys: list, key_of) -> dict:
    """Records whose column is among keys, by key_of(record); IN lists stay short."""
    found = {}
    for start in range(0, len(keys), CHUNK):
        for record in session.scalars(select(model).where(column.in_(keys[start:start + CHUNK]))):
            found[key_of(record)] = record
    return found


def organization_rows(orgs):
    for org in orgs:
        yield [org.name, org.credit_code, TYPE_LABELS.get(org.type, org.type),
               LEVEL_LABELS.get(org.level, org.level), org.district.name if org.district else None,
               org.field, org.contact_name, org.contact_phone, org.address, org.note]


def export_organizations(orgs, *, max_rows: int) -> bytes:
    """The organizations in the import template's columns (text never becomes a formula)."""
    return _workbook("组织", ORGANIZATION_COLUMNS, organization_rows(orgs),
                     _organization_notes(max_rows))


def organization_template(*, max_rows: int) -> bytes:
    return export_organizations([], max_rows=max_rows)


def _organization_notes(max_rows: int) -> list[str]:
    return [
        _l("在第一个工作表“组织”中从第2行起每行填写一个组织；请勿修改第1行的表头。"),
        _l("必填：组织名称、统一社会信用代码（18位，不使用字母I、O、S、V、Z）。"),
        _l("组织类型：社会团体、社会服务机构（民办非企业单位）或基金会；留空时按信用代码第2位判断。"),
        _l("登记级别：市级或区级，留空为市级。所在区：区的名称（如东城区）或区划代码（如110101），可留空。"),
        _l("已登记的信用代码会按表格内容更新该组织（上传时可改为报告为重复）；导出的名录可修改后再导入。"),
        *_common_notes(max_rows),
    ]


def _common_notes(max_rows: int) -> list[str]:
    return [_l("上传后先检查所有行：任何一行有错误，都不会导入任何数据，并按行号、列名列出原因。"),
            _l("每个文件最多 %(n)d 行，只接受 .xlsx 格式。", n=max_rows)]


def _workbook(title: str, columns, rows, notes) -> bytes:
    return workbook_bytes([
        Sheet(title, [c.label for c in columns], ([_text(v) if isinstance(v, str) else v
                                                    for v in row] for row in rows)),
        Sheet("说明", ["说明"], [[str(line)] for line in notes], widths=[110]),
    ])


# --- platforms -------------------------------------------------------------------------------

def _platform_values(check: _Rows, row: dict, lookup: RegionLookup) -> dict:
    values = {key: check.text(row, key, Platform)
              for key in ("name", "contact_name", "contact_phone", "address")}
    if not values["name"]:
        check.report("name", _l("请填写平台名称。"))
    region = _platform_region(check, row, lookup)
    values.update(region_id=region.id if region else None, tier=region.tier if region else None,
                  is_joint_member=_yes_no(check, row.get("is_joint_member")),
                  rotation_order=_order(check, row.get("rotation_order")))
    return values


def _platform_region(check: _Rows, row: dict, lookup: RegionLookup) -> Region | None:
    if row.get("district") is None:
        check.report("district", _l("请填写所在区（市级平台填“北京市”）。"))
        return None
    district = lookup.district(row["district"], allow_city=True)
    if district is None:
        check.report("district", _l("无法识别的区“%(value)s”，请填写区的名称（如东城区）或区划代码（如110101）。",
                                    value=_text(row["district"])))
        return None
    if row.get("street") is None:
        return district
    street = lookup.street(district, row["street"])
    if street is None:
        check.report("street", _l("在%(district)s下找不到街道/乡镇“%(value)s”。",
                                  district=district.name, value=_text(row["street"])))
    return street


def _yes_no(check: _Rows, value) -> bool:
    key = _key(value) if value is not None else "否"
    if key not in YES | NO:
        check.report("is_joint_member", _l("请填写“是”或“否”。"))
    return key in YES


def _order(check: _Rows, value) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and 1 <= value <= 999:
        return value
    number = ascii_int(_text(value) or "")
    if number is not None and 1 <= number <= 999:
        return number
    check.report("rotation_order", _l("请填写 1 到 999 之间的整数。"))
    return None


def import_platforms(session, data: bytes, *, actor, update_existing: bool = True,
                     max_rows: int, max_uncompressed: int) -> ImportResult:
    """Import platforms from a workbook, all or nothing; a platform is known by its name and
    takes its tier from its region (see the module docstring)."""
    check, lookup, cleaned, seen = _Rows(PLATFORM_COLUMNS), RegionLookup(session), [], {}
    for number, row in _read(data, PLATFORM_COLUMNS, max_rows=max_rows,
                             max_uncompressed=max_uncompressed):
        check.row = number
        values = _platform_values(check, row, lookup)
        key = (values["name"] or "").lower()
        if key and key in seen:
            check.report("name", _l("与第 %(row)d 行的平台名称重复。", row=seen[key]))
        elif key:
            seen[key] = number
        cleaned.append((number, key, values))
    existing = _existing(session, Platform, func.lower(Platform.name), list(seen),
                         lambda platform: platform.name.lower())
    for number, key, _values in cleaned:
        if key in existing and not update_existing:
            check.row = number
            check.report("name", _l("已有同名平台。"))
    check.raise_if_any()
    audit.acting(session, actor)
    result = ImportResult()
    for _number, key, values in cleaned:
        _apply(session, existing.get(key), values, Platform, result)
    _flush(session)
    return result


def platform_rows(platforms):
    for platform in platforms:
        region = platform.region
        street = region if region.tier == RegionTier.street.value else None
        district = region.parent if street else region
        yield [platform.name, district.name, street.name if street else None,
               "是" if platform.is_joint_member else "否", platform.rotation_order,
               platform.contact_name, platform.contact_phone, platform.address]


def export_platforms(platforms, *, max_rows: int) -> bytes:
    """The platforms in the import template's columns (text never becomes a formula)."""
    return _workbook("平台", PLATFORM_COLUMNS, platform_rows(platforms), _platform_notes(max_rows))


def platform_template(*, max_rows: int) -> bytes:
    return export_platforms([], max_rows=max_rows)


def _platform_notes(max_rows: int) -> list[str]:
    return [
        _l("在第一个工作表“平台”中从第2行起每行填写一个平台；请勿修改第1行的表头。"),
        _l("必填：平台名称、所在区。所在区填区的名称或区划代码；市级平台填“北京市”。"),
        _l("街道/乡镇：街道平台填所在街道或乡镇的名称（如东华门街道）或代码；区级平台留空。"),
        _l("联席会议成员：是或否，留空为否。轮值顺序：1 到 999 的整数，可留空。"),
        _l("已有同名平台会按表格内容更新（上传时可改为报告为重复）；导出的平台表可修改后再导入。"),
        *_common_notes(max_rows),
    ]
