"""Organizations, regions and platforms: validation, search and every write path."""
import csv
from importlib import resources

from flask_babel import lazy_gettext as _l
from pypinyin import Style, lazy_pinyin
from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError

from center.models.directory import (Organization, OrganizationType, Platform, Region,
                                     RegionTier, RegistrationLevel)
from center.services import audit, textsearch
from center.services.errors import ConflictError, NotFoundError, ValidationError

# GB 32100-2015: the code's alphabet leaves out I, O, S, V and Z.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = [pow(3, i, 31) for i in range(17)]
TYPE_BY_CODE_CATEGORY = {"1": OrganizationType.social_group.value,
                         "2": OrganizationType.social_service.value,
                         "3": OrganizationType.foundation.value}

ORGANIZATION_FIELDS = ("name", "credit_code", "type", "level", "district_id", "field",
                       "contact_name", "contact_phone", "address", "note")


def normalize_credit_code(code: str | None) -> str:
    return (code or "").strip().upper().replace(" ", "")


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why a unified social credit code is invalid (a translatable message), or None."""
    if len(code) != 18:
        return _l("统一社会信用代码应为18位，当前为%(n)d位。", n=len(code))
    bad = [c for c in code if c not in CREDIT_CODE_ALPHABET]
    if bad:
        return _l("统一社会信用代码含有不允许的字符：%(chars)s（不使用I、O、S、V、Z）。",
                  chars="".join(dict.fromkeys(bad)))
    if credit_code_check_char(code[:17]) != code[17]:
        return _l("统一社会信用代码校验位不正确，请核对是否输错。")
    return None


def is_valid_credit_code(code: str) -> bool:
    return credit_code_problem(normalize_credit_code(code)) is None


def name_initials(name: str) -> str:
    """Pinyin initials for search: 北京协作者 → bjxzz; Latin letters and digits are kept."""
    letters = lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors="default")
    return "".join(ch for ch in "".join(letters).lower() if ch.isalnum())


# --- organizations ---------------------------------------------------------------------------

def _validated_organization(session, data: dict, *, existing: Organization | None) -> dict:
    errors = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = _l("请填写组织名称。")
    code = normalize_credit_code(data.get("credit_code"))
    problem = credit_code_problem(code) if code else _l("请填写统一社会信用代码。")
    if problem:
        errors["credit_code"] = problem
    org_type = data.get("type") or TYPE_BY_CODE_CATEGORY.get(code[1:2] if code[:1] == "5" else "")
    if org_type not in {t.value for t in OrganizationType}:
        errors["type"] = _l("请选择组织类型（社会团体、社会服务机构或基金会）。")
    level = data.get("level") or RegistrationLevel.city.value
    if level not in {lv.value for lv in RegistrationLevel}:
        errors["level"] = _l("登记级别只能是市级或区级。")
    district_id = data.get("district_id") or None
    if district_id is not None:
        district = session.get(Region, int(district_id))
        if district is None or district.tier != RegionTier.district.value:
            errors["district_id"] = _l("请选择一个区。")
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    duplicate = _organization_with_code(session, code)
    if duplicate is not None and duplicate is not existing:
        raise ConflictError(_l("统一社会信用代码已登记为“%(name)s”。", name=duplicate.name),
                            {"credit_code": _l("该代码已存在。")})
    cleaned = {key: (data.get(key) or None) for key in ORGANIZATION_FIELDS}
    cleaned.update(name=name, credit_code=code, type=org_type, level=level,
                   district_id=int(district_id) if district_id else None)
    return cleaned


def _organization_with_code(session, code: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.credit_code == code))


def _flush_unique(session, field: str, message) -> None:
    """Flush; a unique constraint lost to a concurrent save (after our own check passed) is a
    ConflictError on `field`. The caller rolls back, as after any domain error."""
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(message, {field: message}) from None


def create_organization(session, data: dict, *, actor=None) -> Organization:
    """Create an organization with a valid, unique credit code."""
    audit.acting(session, actor)
    cleaned = _validated_organization(session, data, existing=None)
    org = Organization(**cleaned, name_initials=name_initials(cleaned["name"]))
    session.add(org)
    _flush_unique(session, "credit_code", _l("统一社会信用代码已登记。"))
    return org


def update_organization(session, org: Organization, data: dict, *, actor=None) -> Organization:
    audit.acting(session, actor)
    cleaned = _validated_organization(session, data, existing=org)
    for key, value in cleaned.items():
        setattr(org, key, value)
    org.name_initials = name_initials(org.name)
    _flush_unique(session, "credit_code", _l("统一社会信用代码已登记。"))
    return org






def organization_search(query: str | None, *, include_archived=False):
    """A select of organizations matching a name fragment, pinyin initials or a code prefix.

    With a query, the closest matches come first (code, then initials, then name prefix),
    which is also what keeps the query a single scan: ordering by the name index would walk
    the whole index to find a rare match.
    """
    stmt = select(Organization)
    if not include_archived:
        stmt = stmt.where(Organization.archived_at.is_(None))
    q = (query or "").strip()
    if not q:
        return stmt.order_by(Organization.name, Organization.id)
    by_code = Organization.credit_code.startswith(q.upper(), autoescape=True)
    by_initials = Organization.name_initials.startswith(q.lower(), autoescape=True)
    by_name_start = Organization.name.startswith(q, autoescape=True)
    rank = case((by_code, 0), (by_initials, 1), (by_name_start, 2), else_=3)
    by_name = textsearch.contains("organizations", q)
    if by_name is None:  # punctuation only: nothing the index knows, match the text as typed
        by_name = Organization.name.contains(q, autoescape=True)
    return (stmt.where(or_(by_name, by_initials, by_code))
            .order_by(rank, Organization.name, Organization.id))


def _prefix_range(column, prefix: str):
    """`column` starts with `prefix`, as a range an ordinary index answers on every backend."""
    return column.between(prefix, prefix + "\U0010ffff")


def organization_suggestions(session, query: str | None, *, limit: int = 10) -> list:
    """Organizations for an autocomplete: credit-code prefix, then pinyin-initials prefix, then
    name fragment; each from an index, so a keystroke costs a few milliseconds at any size."""
    q = (query or "").strip()[:50]
    if not q:
        return []
    active = Organization.archived_at.is_(None)
    found: dict[int, Organization] = {}
    if q.isascii() and q.isalnum():
        for column, prefix in ((Organization.credit_code, q.upper()),
                               (Organization.name_initials, q.lower())):
            stmt = (select(Organization).where(_prefix_range(column, prefix), active)
                    .order_by(column).limit(limit))
            found.update((org.id, org) for org in session.scalars(stmt) if org.id not in found)
    by_name = textsearch.contains("organizations", q)
    if by_name is not None and len(found) < limit:
        # A common fragment (one character) matches thousands: rank the first few hundred.
        ids = select(Organization.id).where(by_name, active).limit(300).scalar_subquery()
        rows = session.scalars(select(Organization).where(Organization.id.in_(ids))).all()
        rows.sort(key=lambda org: (not org.name.startswith(q), len(org.name), org.name))
        found.update((org.id, org) for org in rows if org.id not in found)
    return list(found.values())[:limit]


def get_organization(session, org_id) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFoundError(_l("找不到该组织。"))
    return org


# --- regions and platforms -------------------------------------------------------------------

def seed_beijing_regions(session) -> int:
    """Load Beijing, its 16 districts and their streets/towns (NBS 2023); returns rows added.

    Idempotent: regions already present (by code) are left as staff edited them.
    """
    audit.acting(session, None)  # reference data, loaded by the system
    existing = set(session.scalars(select(Region.code)))
    added = 0
    city = session.scalar(select(Region).where(Region.code == "110000"))
    if city is None:
        city = Region(code="110000", name="北京市", tier=RegionTier.city.value)
        session.add(city)
        added += 1
    districts = {r.code: r for r in session.scalars(select(Region).where(Region.tier == "district"))}
    with resources.files("center.seed").joinpath(
            "beijing_townships_nbs2023.csv").open(encoding="utf-8") as seed_file:
        rows = list(csv.DictReader(seed_file))
    for row in rows:
        code = row["district_code"]
        if code not in districts:
            districts[code] = Region(code=code, name=row["district_name"], tier="district",
                                     parent=city)
            if code not in existing:
                session.add(districts[code])
                added += 1
        if row["township_code"] not in existing:
            session.add(Region(code=row["township_code"], name=row["name"], tier="street",
                               parent=districts[code], division_class=row["nbs_class"]))
            added += 1
    session.flush()
    return added


def districts(session) -> list[Region]:
    return list(session.scalars(select(Region).where(Region.tier == RegionTier.district.value)
                                .order_by(Region.code)))


def region_by_code(session, code: str) -> Region | None:
    return session.scalar(select(Region).where(Region.code == (code or "").strip()))


PLATFORM_FIELDS = ("name", "region_id", "is_joint_member", "rotation_order", "contact_name",
                   "contact_phone", "address")


def _validated_platform(session, data: dict, *, existing: Platform | None) -> dict:
    errors = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = _l("请填写平台名称。")
    region = session.get(Region, int(data["region_id"])) if data.get("region_id") else None
    if region is None:
        errors["region_id"] = _l("请选择所在区域。")
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    duplicate = _platform_named(session, name)
    if duplicate is not None and duplicate is not existing:
        raise ConflictError(_l("已有同名平台。"), {"name": _l("已有同名平台。")})
    cleaned = {key: data.get(key) for key in PLATFORM_FIELDS}
    cleaned.update(name=name, region_id=region.id, tier=region.tier,
                   is_joint_member=bool(data.get("is_joint_member")),
                   rotation_order=data.get("rotation_order") or None)
    return cleaned


def _platform_named(session, name: str) -> Platform | None:
    return session.scalar(select(Platform).where(func.lower(Platform.name) == name.lower()))


def create_platform(session, data: dict, *, actor=None) -> Platform:
    """A platform takes its tier from its region (a street platform sits in a street)."""
    audit.acting(session, actor)
    platform = Platform(**_validated_platform(session, data, existing=None))
    session.add(platform)
    _flush_unique(session, "name", _l("已有同名平台。"))
    return platform


def update_platform(session, platform: Platform, data: dict, *, actor=None) -> Platform:
    audit.acting(session, actor)
    for key, value in _validated_platform(session, data, existing=platform).items():
        setattr(platform, key, value)
    _flush_unique(session, "name", _l("已有同名平台。"))
    return platform



