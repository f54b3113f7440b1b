"""The OpenAPI 3.1 document, served at /api/v1/openapi.json.

Each API module describes its routes beside them, at import time:
``add_schema("Organization", {...})`` and ``add_path("/organizations", "get", {...})``, using
the helpers below for the shared pieces (pagination parameters, list envelopes, errors,
enumerations). The served copy adds, from the route declarations themselves, which roles may
call each operation (``x-roles``); a test proves every route of the blueprint is documented.
"""
import copy
import enum
import re

from flask import current_app, jsonify

from center.api import api
from center.auth import PUBLIC, public

_RULE_ARGUMENT = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")  # <int:org_id> → {org_id}

ERROR_CODES = {
    400: ("bad_request", "Malformed request: not JSON, or a bad query parameter."),
    401: ("unauthorized", "Missing, wrong, revoked or expired token, or a deactivated user."),
    403: ("forbidden", "The token's user does not hold a role allowed here."),
    404: ("not_found", "No such record or path."),
    405: ("method_not_allowed", "The path exists but not with this method."),
    409: ("conflict", "The record conflicts with an existing one (e.g. a duplicate code)."),
    413: ("payload_too_large", "The request body is larger than the server accepts."),
    422: ("validation_error", "Well-formed but invalid: `fields` says what, per field."),
    500: ("internal_error", "Unexpected failure; nothing was saved."),
}

DOCUMENT: dict = {
    "openapi": "3.1.0",
    "info": {
        "title": "Center API",
        "version": "1",
        "description": "JSON API of the social-organization support center. Send a token from "
                       "`flask --app center users token NAME` as `Authorization: Bearer …`. "
                       "Messages are in the user's language (Simplified Chinese by default); "
                       "enumerated values are stable English codes.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}],
    "paths": {},
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                           "description": "An API token (ctr_…)."}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string",
                                 "enum": sorted({code for code, _d in ERROR_CODES.values()})},
                        "message": {"type": "string", "description": "For people, translated."},
                        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                                   "description": "Field name → what is wrong with it."},
                    },
                }},
            },
        },
        "parameters": {
            "page": {"name": "page", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "default": 1}},
            "per_page": {"name": "per_page", "in": "query", "required": False,
                         "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                    "default": 50}},
        },
        "responses": {
            str(status): {"description": description,
                          "content": {"application/json": {"schema": {
                              "$ref": "#/components/schemas/Error"}}}}
            for status, (_code, description) in ERROR_CODES.items()
        },
    },
}


def add_schema(name: str, schema: dict) -> None:
    DOCUMENT["components"]["schemas"][name] = schema


def add_path(path: str, method: str, operation: dict) -> None:
    """Document one operation; `path` is relative to /api/v1 and uses {name} parameters."""
    methods = DOCUMENT["paths"].setdefault(path, {})
    if method in methods:
        raise ValueError(f"{method.upper()} {path} is documented twice")
    methods[method] = operation


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def page_parameters() -> list[dict]:
    return [{"$ref": "#/components/parameters/page"}, {"$ref": "#/components/parameters/per_page"}]


def query_parameter(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def errors(*statuses: int) -> dict:
    """Response entries for the given error statuses; 401 and 500 are always possible."""
    return {str(s): {"$ref": f"#/components/responses/{s}"} for s in sorted({401, 500, *statuses})}


def json_response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def page_of(name: str) -> dict:
    """The list envelope: {"items": [...], "total": N, "page": P, "per_page": S}."""
    return {"type": "object", "required": ["items", "total", "page", "per_page"],
            "properties": {"items": {"type": "array", "items": ref(name)},
                           "total": {"type": "integer", "minimum": 0,
                                     "description": "Rows matching the filters, all pages."},
                           "page": {"type": "integer", "minimum": 1},
                           "per_page": {"type": "integer", "minimum": 1, "maximum": 100}}}


def enum_schema(enum_cls: type[enum.Enum], labels: dict | None = None) -> dict:
    """A string enumeration; with labels, each code's Chinese label is listed beside it."""
    codes = [member.value for member in enum_cls]
    schema = {"type": "string", "enum": codes}
    if labels:
        schema["x-enum-labels"] = {getattr(k, "value", k): str(v) for k, v in labels.items()}
        schema["description"] = "; ".join(f"`{c}` {schema['x-enum-labels'][c]}" for c in codes)
    return schema


def api_routes(app) -> list[tuple[str, str, str]]:
    """(document path, method, endpoint) for every route of the api blueprint."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != api.name:
            continue
        path = _RULE_ARGUMENT.sub(r"{\1}", rule.rule).removeprefix(api.url_prefix)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((path, method.lower(), rule.endpoint))
    return routes


def build_document(app) -> dict:
    """A copy of the document with each operation's roles, read from its route declaration."""
    document = copy.deepcopy(DOCUMENT)
    for path, method, endpoint in api_routes(app):
        operation = document["paths"].get(path, {}).get(method)
        access = getattr(app.view_functions[endpoint], "access", None)
        if operation is not None and access is not None:
            operation["x-roles"] = "public" if access == PUBLIC else sorted(access)
    return document


@api.route("/openapi.json")
@public
def openapi_document():
    return jsonify(build_document(current_app))


add_path("/openapi.json", "get", {
    "operationId": "openapi_document",
    "summary": "This document.",
    "tags": ["meta"],
    "security": [],
    "responses": {"200": json_response("The OpenAPI 3.1 document.", {"type": "object"}),
                  "500": {"$ref": "#/components/responses/500"}},
})
