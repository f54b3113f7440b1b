"""Bearer-token authentication and role checks on /api/v1."""
from datetime import timedelta

import pytest

from center.models.base import utcnow
from center.services import accounts
from tests.api.conftest import error_of
from tests.factories import make_user

URL = "/api/v1/organizations"


def test_request_without_token_is_refused_with_json_401(client):
    response = client.get(URL)
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "unauthorized"
    assert "令牌" in error["message"]


@pytest.mark.parametrize("header", ["Bearer ctr_not-a-real-token", "Basic dXNlcjpwYXNz",
                                    "Bearer", "Bearer    ", "ctr_no-scheme"])
def test_wrong_or_malformed_token_is_refused(api, header):
    api.login("manager")
    response = api.client.get(URL, headers={"Authorization": header})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_valid_token_is_accepted(api):
    api.login("manager")
    response = api.get(URL)
    assert response.status_code == 200
    assert response.get_json() == {"items": [], "total": 0, "page": 1, "per_page": 50}


def test_revoked_token_is_refused(api, session):
    user = api.login("manager")
    assert api.get(URL).status_code == 200
    accounts.revoke_tokens(session, user)
    session.commit()
    assert api.get(URL).status_code == 401


def test_expired_token_is_refused(api, session):
    user = make_user(session, role="manager")
    api.token = accounts.issue_token(session, user, expires_at=utcnow() - timedelta(seconds=1))
    session.commit()
    assert api.get(URL).status_code == 401


def test_token_before_its_expiry_is_accepted(api, session):
    user = make_user(session, role="manager")
    api.token = accounts.issue_token(session, user, expires_at=utcnow() + timedelta(hours=1))
    session.commit()
    assert api.get(URL).status_code == 200


def test_token_of_deactivated_user_is_refused(api, session):
    user = api.login("manager")
    user.is_active = False  # the flag alone, without revoking the token, must suffice
    session.commit()
    response = api.get(URL)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_browser_session_cookie_does_not_authenticate_the_api(auth, client):
    auth.login("admin")
    assert client.get("/").status_code == 200  # the cookie works for pages
    assert client.get(URL).status_code == 401
    response = client.post(URL, json={"name": "x"})  # no CSRF error either: just no token
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_token_request_needs_no_csrf_token(api, session):
    from tests.factories import make_region
    api.login("frontdesk")
    district = make_region(session, tier="district", code="110105")
    session.commit()
    response = api.post(URL, json={"name": "北京测试协会", "credit_code": "51110000MJ0101505U",
                                   "type": "social_group", "district_code": district.code})
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("role", ["platform", "org"])
def test_role_without_directory_access_gets_json_403(api, role):
    api.login(role)
    for response in (api.get(URL), api.get(f"{URL}/1"), api.post(URL, json={})):
        assert response.status_code == 403
        assert error_of(response)["code"] == "forbidden"


@pytest.mark.parametrize("role", ["reviewer"])
def test_reading_roles_cannot_create_organizations(api, role):
    api.login(role)
    assert api.get(URL).status_code == 200
    response = api.post(URL, json={"name": "x"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


@pytest.mark.parametrize("role", ["admin", "manager", "frontdesk", "reviewer", "platform",
                                  "supervisor"])
def test_staff_platforms_and_supervisors_may_list_regions_and_platforms(api, role):
    api.login(role)
    assert api.get("/api/v1/regions").status_code == 200
    assert api.get("/api/v1/platforms").status_code == 200


@pytest.mark.parametrize("role", ["supervisor", "org", "platform"])
def test_organizations_and_their_contacts_are_for_center_staff_only(api, role):
    api.login(role)
    assert api.get(URL).status_code == 403
    assert api.get("/api/v1/regions").status_code == (403 if role == "org" else 200)


def test_anonymous_may_read_only_the_openapi_document(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
    for url in ("/api/v1/regions", "/api/v1/platforms", f"{URL}/1"):
        assert client.get(url).status_code == 401


def test_token_use_is_recorded_even_by_a_read_only_request(api, session):
    from center.models.accounts import ApiToken
    api.login("manager")
    assert api.get(URL).status_code == 200
    session.expire_all()
    assert session.query(ApiToken).one().last_used_at is not None


def test_401_names_the_bearer_scheme(client):
    assert client.get(URL).headers["WWW-Authenticate"].startswith("Bearer")
