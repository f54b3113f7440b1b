"""Errors under /api/v1 are JSON in the error shape, never an HTML page or a bare 500."""
import pytest

from center.auth import public
from tests.api.conftest import error_of

URL = "/api/v1/organizations"


def test_unknown_api_path_is_json_404(api):
    api.login("manager")
    response = api.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_wrong_method_is_json_405(api):
    api.login("manager")
    response = api.client.delete(URL + "/1", headers={"Authorization": f"Bearer {api.token}"})
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert api.post("/api/v1/regions", json={}).status_code == 405


def test_oversized_body_is_json_413(api, app):
    api.login("frontdesk")
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = api.post(URL, json={"name": "x" * 2000})
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_unexpected_failure_is_json_500_without_details(app, client):
    def explode():
        raise RuntimeError("secret internals")
    app.add_url_rule("/api/v1/test-explode", "test_explode", public(explode))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/api/v1/test-explode")
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "internal_error"
    assert "secret" not in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [URL, "/api/v1/regions", "/api/v1/platforms"])
@pytest.mark.parametrize("params, field", [
    ({"page": "0"}, "page"), ({"page": "-1"}, "page"), ({"page": "abc"}, "page"),
    ({"page": "1.5"}, "page"), ({"page": "99999999999999999999999"}, "page"),
    ({"per_page": "0"}, "per_page"), ({"per_page": "101"}, "per_page"),
    ({"per_page": "ten"}, "per_page"), ({"per_page": "１０"}, "per_page"),
])
def test_bad_paging_values_are_400_naming_the_parameter(api, url, params, field):
    api.login("manager")
    response = api.get(url, query_string=params)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_request"
    assert field in error["message"]
    assert set(error["fields"]) == {field}


def test_largest_page_values_are_accepted(api):
    api.login("manager")
    body = api.get(URL, query_string={"page": "10000000", "per_page": "100"}).get_json()
    assert (body["items"], body["page"], body["per_page"]) == ([], 10_000_000, 100)


def test_empty_paging_values_mean_the_defaults(api):
    api.login("manager")
    body = api.get(URL, query_string={"page": "", "per_page": ""}).get_json()
    assert (body["page"], body["per_page"]) == (1, 50)


@pytest.mark.parametrize("q", ["a\x00b", "x" * 101])
def test_search_text_with_nul_or_too_long_is_400(api, q):
    api.login("frontdesk")
    response = api.get(URL, query_string={"q": q})
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"q"}


def test_search_with_like_wildcards_matches_them_literally(api, session):
    from tests.factories import make_organization
    api.login("frontdesk")
    make_organization(session, name="普通协会")
    session.commit()
    for q in ("%", "_", "\\"):
        assert api.get(URL, query_string={"q": q}).get_json()["total"] == 0, q
