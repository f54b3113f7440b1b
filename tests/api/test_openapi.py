"""The OpenAPI document: valid 3.1, public, and covering every route of the api blueprint."""
import json

from openapi_spec_validator import validate

from center.api import openapi


def _document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_document_is_public_and_valid_openapi_3_1(client):
    document = _document(client)
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_api_route_and_method_is_documented(app, client):
    paths = _document(client)["paths"]
    routes = openapi.api_routes(app)
    assert len(routes) >= 6
    missing = [(path, method) for path, method, _e in routes if method not in paths.get(path, {})]
    assert missing == []


def test_nothing_is_documented_that_is_not_a_route(app, client):
    routes = {(path, method) for path, method, _e in openapi.api_routes(app)}
    documented = {(path, method) for path, methods in _document(client)["paths"].items()
                  for method in methods}
    assert documented - routes == set()


def test_route_paths_are_translated_to_openapi_templates(app):
    assert ("/organizations/{org_id}", "get", "api.get_organization") in openapi.api_routes(app)


def test_every_reference_resolves(client):
    document = _document(client)
    refs = {value for value in _walk(document) if isinstance(value, str) and value.startswith("#/")}
    for target in refs:
        node = document
        for part in target[2:].split("/"):
            assert part in node, target
            node = node[part]


def _walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value) if key != "$ref" else [value]
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_enumerations_list_codes_with_their_chinese_labels(client):
    schemas = _document(client)["components"]["schemas"]
    org_type = schemas["OrganizationType"]
    assert org_type["enum"] == ["social_group", "social_service", "foundation"]
    assert org_type["x-enum-labels"]["social_service"] == "社会服务机构（民办非企业单位）"
    assert schemas["RegionTier"]["enum"] == ["city", "district", "street"]
    assert {"unauthorized", "validation_error", "conflict", "bad_request"} <= set(
        schemas["Error"]["properties"]["error"]["properties"]["code"]["enum"])


def test_bearer_auth_is_the_default_and_the_document_itself_is_open(client):
    document = _document(client)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["security"] == [{"bearerAuth": []}]
    assert document["paths"]["/openapi.json"]["get"]["security"] == []


def test_operations_state_the_roles_of_their_route(client):
    paths = _document(client)["paths"]
    assert paths["/organizations"]["post"]["x-roles"] == ["admin", "frontdesk", "manager"]
    assert "supervisor" not in paths["/organizations"]["get"]["x-roles"]
    assert "supervisor" in paths["/regions"]["get"]["x-roles"]
    assert paths["/openapi.json"]["get"]["x-roles"] == "public"


def test_create_documents_its_body_and_error_answers(client):
    operation = _document(client)["paths"]["/organizations"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/OrganizationInput"}
    assert {"201", "400", "401", "403", "409", "422"} <= set(operation["responses"])


def test_documenting_a_path_twice_is_refused():
    import pytest
    with pytest.raises(ValueError):
        openapi.add_path("/organizations", "get", {"responses": {}})


def test_serving_does_not_change_the_shared_document(client):
    before = json.dumps(openapi.DOCUMENT, sort_keys=True, default=str)
    _document(client)
    assert json.dumps(openapi.DOCUMENT, sort_keys=True, default=str) == before


def _conforms(document, schema_name, instance):
    from openapi_schema_validator import OAS31Validator
    schema = {"components": document["components"],
              "$ref": f"#/components/schemas/{schema_name}"}
    OAS31Validator(schema, format_checker=OAS31Validator.FORMAT_CHECKER).validate(instance)


def test_real_answers_match_their_documented_schemas(api, client, session):
    from tests.factories import make_platform, make_region
    document = _document(client)
    api.login("admin")
    city = make_region(session, tier="city", code="110000", name="北京市")
    district = make_region(session, code="110105", name="朝阳区", parent=city)
    make_platform(session, region=district)
    session.commit()
    created = api.post("/api/v1/organizations", json={
        "name": "北京测试基金会", "credit_code": "53100000500019795A", "type": "foundation",
        "district_code": "110105", "contact_phone": "010-1"})
    assert created.status_code == 201
    _conforms(document, "Organization", created.get_json())
    _conforms(document, "Organization", api.get(created.headers["Location"]).get_json())
    for url, name in [("/api/v1/organizations", "OrganizationPage"),
                      ("/api/v1/regions", "RegionPage"), ("/api/v1/platforms", "PlatformPage")]:
        body = api.get(url).get_json()
        assert body["total"] >= 1
        _conforms(document, name, body)
    invalid = api.post("/api/v1/organizations", json={})
    _conforms(document, "Error", invalid.get_json())
