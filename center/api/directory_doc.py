"""OpenAPI description of the directory routes in center/api/directory.py.

Who may call each operation is added from the route declarations (`x-roles`).
"""
from center.api.directory import MAX_LENGTHS
from center.api.openapi import (add_path, add_schema, enum_schema, errors, json_response, page_of,
                                page_parameters, query_parameter, ref)
from center.models.directory import (LEVEL_LABELS, TIER_LABELS, TYPE_LABELS, OrganizationType,
                                     RegionTier, RegistrationLevel)

NULLABLE_STRING = {"type": ["string", "null"]}
TIMESTAMP = {"type": "string", "format": "date-time", "description": "ISO 8601 with offset (UTC)."}


def _text(max_length: int | None = None, **extra) -> dict:
    schema = {"type": "string", **extra}
    if max_length:
        schema["maxLength"] = max_length
    return schema


add_schema("OrganizationType", enum_schema(OrganizationType, TYPE_LABELS))
add_schema("RegistrationLevel", enum_schema(RegistrationLevel, LEVEL_LABELS))
add_schema("RegionTier", enum_schema(RegionTier, TIER_LABELS))
add_schema("CreditCode", _text(pattern="^[0-9A-HJ-NPQRTUWXY]{18}$",
                               description="Unified social credit code (GB 32100-2015), "
                                           "with a valid check character."))
add_schema("Organization", {
    "type": "object",
    "required": ["id", "name", "credit_code", "type", "type_label", "level", "district_code",
                 "district_name", "field", "created_at", "archived_at"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "credit_code": ref("CreditCode"),
        "type": ref("OrganizationType"),
        "type_label": {"type": "string", "description": "The type's label, translated."},
        "level": ref("RegistrationLevel"),
        "district_code": NULLABLE_STRING,
        "district_name": NULLABLE_STRING,
        "field": NULLABLE_STRING,
        "created_at": TIMESTAMP,
        "archived_at": {**TIMESTAMP, "type": ["string", "null"]},
        "contact_name": {**NULLABLE_STRING, "description": "Only on a single organization."},
        "contact_phone": {**NULLABLE_STRING, "description": "Only on a single organization."},
        "address": {**NULLABLE_STRING, "description": "Only on a single organization."},
    },
})
add_schema("OrganizationInput", {
    "type": "object",
    "required": ["name", "credit_code", "type", "district_code"],
    "properties": {
        "name": _text(MAX_LENGTHS["name"]),
        "credit_code": ref("CreditCode"),
        "type": ref("OrganizationType"),
        "district_code": _text(MAX_LENGTHS["district_code"],
                               description="Code of a district (tier `district`), see /regions."),
        "level": {**ref("RegistrationLevel"), "default": "city"},
        **{key: _text(MAX_LENGTHS[key]) for key in ("field", "contact_name", "contact_phone",
                                                     "address")},
    },
})
add_schema("Region", {
    "type": "object",
    "required": ["code", "name", "tier", "parent_code"],
    "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                   "tier": ref("RegionTier"), "parent_code": NULLABLE_STRING},
})
add_schema("Platform", {
    "type": "object",
    "required": ["id", "name", "tier", "region_code", "region_name", "is_joint_member"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                   "tier": ref("RegionTier"), "region_code": {"type": "string"},
                   "region_name": {"type": "string"}, "is_joint_member": {"type": "boolean"}},
})
for name in ("Organization", "Region", "Platform"):
    add_schema(f"{name}Page", page_of(name))

ORG_ID = {"name": "org_id", "in": "path", "required": True, "schema": {"type": "integer"}}
DISTRICT_FILTER = query_parameter("district_code", {"type": "string"},
                                  "Only those in this district (a code from /regions).")

add_path("/organizations", "get", {
    "operationId": "list_organizations", "tags": ["directory"],
    "summary": "Search organizations; archived ones are left out.",
    "parameters": [
        query_parameter("q", {"type": "string", "maxLength": 100},
                        "Part of the name, pinyin initials (bjxzz) or the start of the code."),
        query_parameter("type", ref("OrganizationType"), "Only this type."),
        DISTRICT_FILTER, *page_parameters()],
    "responses": {"200": json_response("One page, ordered by name.", ref("OrganizationPage")),
                  **errors(400, 403)},
})
add_path("/organizations", "post", {
    "operationId": "create_organization", "tags": ["directory"],
    "summary": "Register an organization.",
    "requestBody": {"required": True,
                    "content": {"application/json": {"schema": ref("OrganizationInput")}}},
    "responses": {
        "201": {**json_response("Created.", ref("Organization")),
                "headers": {"Location": {"description": "URL of the new organization.",
                                         "schema": {"type": "string"}}}},
        **errors(400, 403, 409, 413, 422)},
})
add_path("/organizations/{org_id}", "get", {
    "operationId": "get_organization", "tags": ["directory"],
    "summary": "One organization, with its contact details.",
    "parameters": [ORG_ID],
    "responses": {"200": json_response("The organization.", ref("Organization")),
                  **errors(403, 404)},
})
add_path("/regions", "get", {
    "operationId": "list_regions", "tags": ["directory"],
    "summary": "The region tree: Beijing, its districts, their streets and towns.",
    "parameters": [query_parameter("tier", ref("RegionTier"), "Only this tier."),
                   query_parameter("parent_code", {"type": "string"},
                                   "Only the children of this region."),
                   *page_parameters()],
    "responses": {"200": json_response("One page, ordered by code.", ref("RegionPage")),
                  **errors(400)},
})
add_path("/platforms", "get", {
    "operationId": "list_platforms", "tags": ["directory"],
    "summary": "Support platforms of the three-tier network; archived ones are left out.",
    "parameters": [query_parameter("tier", ref("RegionTier"), "Only this tier."),
                   {**DISTRICT_FILTER, "description": "Only the district's platform and those "
                                                      "of its streets."},
                   *page_parameters()],
    "responses": {"200": json_response("One page, ordered by region code, then name.",
                                     ref("PlatformPage")),
                  **errors(400)},
})
