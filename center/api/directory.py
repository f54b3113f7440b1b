"""Directory resources: organizations, regions and platforms (documented in directory_doc.py)."""
from flask import g, jsonify, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager, joinedload

from center.api import api
from center.api.common import (has_control_chars, iso, json_object, paginated, query_choice,
                               query_text)
from center.auth import roles
from center.extensions import db
from center.models.directory import (TYPE_LABELS, Organization, OrganizationType,
                                     Platform, Region, RegionTier, RegistrationLevel)
from center.services import directory
from center.services.errors import ConflictError, DomainError, ValidationError

ORGANIZATION_READERS = ("admin", "manager", "frontdesk", "reviewer")  # contacts: staff only
NETWORK_READERS = ("admin", "manager", "frontdesk", "reviewer", "platform", "supervisor")
ORGANIZATION_WRITERS = ("admin", "manager", "frontdesk")
TYPE_CODES = tuple(t.value for t in OrganizationType)
LEVEL_CODES = tuple(lv.value for lv in RegistrationLevel)
TIER_CODES = tuple(t.value for t in RegionTier)

REQUIRED_INPUT = ("name", "credit_code", "type", "district_code")
OPTIONAL_INPUT = ("level", "field", "contact_name", "contact_phone", "address")
# Longest accepted values, from the columns; the credit code is checked by its own rule.
MAX_LENGTHS = {"district_code": Region.__table__.c.code.type.length,
               **{key: Organization.__table__.c[key].type.length
                  for key in ("name", "field", "contact_name", "contact_phone", "address")}}


# --- representations -------------------------------------------------------------------------

def organization_item(org: Organization, *, detail: bool = False) -> dict:
    item = {
        "id": org.id, "name": org.name, "credit_code": org.credit_code,
        "type": org.type, "type_label": str(TYPE_LABELS.get(org.type, org.type)),
        "level": org.level, "field": org.field,
        "district_code": org.district.code if org.district else None,
        "district_name": org.district.name if org.district else None,
        "created_at": iso(org.created_at), "archived_at": iso(org.archived_at),
    }
    if detail:
        item.update(contact_name=org.contact_name, contact_phone=org.contact_phone,
                    address=org.address)
    return item


def region_item(region: Region) -> dict:
    return {"code": region.code, "name": region.name, "tier": region.tier,
            "parent_code": region.parent.code if region.parent else None}


def platform_item(platform: Platform) -> dict:
    return {"id": platform.id, "name": platform.name, "tier": platform.tier,
            "region_code": platform.region.code, "region_name": platform.region.name,
            "is_joint_member": platform.is_joint_member}


# --- organizations ---------------------------------------------------------------------------

@api.route("/organizations")
@roles(*ORGANIZATION_READERS)
def list_organizations():
    stmt = directory.organization_search(query_text("q"))
    org_type = query_choice("type", TYPE_CODES)
    if org_type:
        stmt = stmt.where(Organization.type == org_type)
    district_code = query_text("district_code", max_length=MAX_LENGTHS["district_code"])
    if district_code:
        stmt = stmt.where(Organization.district_id.in_(
            select(Region.id).where(Region.code == district_code)))
    return jsonify(paginated(db.session, stmt, organization_item))


@api.route("/organizations/<int:org_id>")
@roles(*ORGANIZATION_READERS)
def get_organization(org_id):
    return jsonify(organization_item(directory.get_organization(db.session, org_id), detail=True))


@api.route("/organizations", methods=["POST"])
@roles(*ORGANIZATION_WRITERS)
def create_organization():
    data, problems = organization_input(db.session, json_object())
    try:
        org = _create_organization(db.session, data, problems)
        db.session.commit()
    except IntegrityError:  # a concurrent request registered the same code first
        db.session.rollback()
        raise ConflictError(_("统一社会信用代码已登记。"),
                            {"credit_code": _("该代码已存在。")}) from None
    response = jsonify(organization_item(org, detail=True))
    response.headers["Location"] = url_for("api.get_organization", org_id=org.id)
    return response, 201


def organization_input(session, body: dict) -> tuple[dict, dict]:
    """The service's input from the JSON body, and the API-level problems per field."""
    problems = {}
    for key in REQUIRED_INPUT + OPTIONAL_INPUT:
        problem = _text_problem(key, body.get(key))
        if problem:
            problems[key] = problem
    text = {key: body[key].strip() if isinstance(body.get(key), str) and key not in problems
            else None for key in REQUIRED_INPUT + OPTIONAL_INPUT}
    if text["type"] and text["type"] not in TYPE_CODES:
        problems["type"] = _("应为以下代码之一：%(codes)s。", codes=", ".join(TYPE_CODES))
    if text["level"] and text["level"] not in LEVEL_CODES:
        problems["level"] = _("应为以下代码之一：%(codes)s。", codes=", ".join(LEVEL_CODES))
    district = _district(session, text["district_code"])
    if text["district_code"] and district is None:
        problems["district_code"] = _("未知的区代码：%(code)s。", code=text["district_code"])
    data = {key: text[key] for key in ("name", "credit_code", "type", "level") + OPTIONAL_INPUT}
    data["district_id"] = district.id if district is not None else None
    return data, problems


def _district(session, code: str | None) -> Region | None:
    region = directory.region_by_code(session, code) if code else None
    return region if region is not None and region.tier == RegionTier.district.value else None


def _text_problem(key: str, value) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return _("必填。") if key in REQUIRED_INPUT else None
    if not isinstance(value, str):
        return _("应为字符串。")
    if has_control_chars(value):
        return _("不能含控制字符。")
    if key in MAX_LENGTHS and len(value.strip()) > MAX_LENGTHS[key]:
        return _("最多 %(n)d 个字符。", n=MAX_LENGTHS[key])
    return None


def _create_organization(session, data: dict, problems: dict) -> Organization:
    """Create through the service; report its problems and the API's together, all or none."""
    try:
        org = directory.create_organization(session, data, actor=g.user)
    except DomainError as error:
        fields = {("district_code" if k == "district_id" else k): v
                  for k, v in error.fields.items()}
        if not problems:
            raise type(error)(error.message, fields) from None
        problems = {**fields, **problems}
    else:
        if not problems:
            return org
        session.rollback()
    raise ValidationError(_("请更正标出的内容。"), problems)


# --- regions and platforms -------------------------------------------------------------------

@api.route("/regions")
@roles(*NETWORK_READERS)
def list_regions():
    stmt = select(Region).options(joinedload(Region.parent)).order_by(Region.code)
    tier = query_choice("tier", TIER_CODES)
    if tier:
        stmt = stmt.where(Region.tier == tier)
    parent_code = query_text("parent_code", max_length=MAX_LENGTHS["district_code"])
    if parent_code:
        parent = aliased(Region)
        stmt = stmt.where(Region.parent_id.in_(select(parent.id).where(parent.code == parent_code)))
    return jsonify(paginated(db.session, stmt, region_item))


@api.route("/platforms")
@roles(*NETWORK_READERS)
def list_platforms():
    """Ordered by region code, so a district's platform comes just before its streets'."""
    stmt = (select(Platform).join(Platform.region).options(contains_eager(Platform.region))
            .where(Platform.archived_at.is_(None))
            .order_by(Region.code, Platform.name, Platform.id))
    tier = query_choice("tier", TIER_CODES)
    if tier:
        stmt = stmt.where(Platform.tier == tier)
    district_code = query_text("district_code", max_length=MAX_LENGTHS["district_code"])
    if district_code:  # the district's own platform and those of its streets
        district = aliased(Region)
        stmt = stmt.where(or_(Region.code == district_code, Region.parent_id.in_(
            select(district.id).where(district.code == district_code))))
    return jsonify(paginated(db.session, stmt, platform_item))


from center.api import directory_doc  # noqa: E402,F401  (documents the routes above)
