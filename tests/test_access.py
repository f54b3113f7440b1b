"""Access rules for every route that exists, found by walking the URL map.

New routes are covered automatically: each must declare its access (`@public`, `@roles`,
`@any_user`), anonymous requests are refused unless the endpoint is on the PUBLIC allow-list,
each role gets 403 or an answer exactly as its declaration says, and no form accepts a POST
without its CSRF token.
"""
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from center import create_app
from center.auth import PUBLIC, view_access
from center.extensions import db
from center.models.accounts import ROLE_CODES
from center.services import accounts
from tests.factories import make_user

# Reviewed list of what anonymous users may open. A route made @public elsewhere fails
# test_public_endpoints_are_exactly_the_allow_list until it is added here on purpose.
PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.language", "api.openapi_document",
                    "venues.feed", "reviews.lookup", "api.review_status"}
SKIPPED_METHODS = {"HEAD", "OPTIONS"}
# Values tried, in order, for URL variables until the built URL routes back to its endpoint.
DUMMY_VALUES = (1, "x", "2025-01-06", "00000000-0000-0000-0000-000000000001",
                "51110000MJ0101505U")
SPECIAL_VALUES = {"static": {"filename": "css/center.css"}}


def _dummy_url(rule, adapter) -> str:
    if rule.endpoint in SPECIAL_VALUES:
        return rule.build(SPECIAL_VALUES[rule.endpoint])[1]
    for value in DUMMY_VALUES:
        try:
            path = rule.build({name: value for name in rule.arguments})[1]
            method = next(iter(rule.methods - SKIPPED_METHODS))
            if adapter.match(path, method=method)[0] == rule.endpoint:
                return path
        except Exception:  # this value does not fit the converter: try the next one
            continue
    raise AssertionError(f"no dummy value fits the URL variables of {rule.rule}")


def _routes():
    """(endpoint, method, url, has_variables) for every route and method, from a throwaway app."""
    app = create_app({"SECRET_KEY": "route-listing", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SERVER_NAME": "localhost"})
    adapter = app.url_map.bind("localhost")
    routes = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        url = _dummy_url(rule, adapter)
        for method in sorted(rule.methods - SKIPPED_METHODS):
            routes.append((rule.endpoint, method, url, bool(rule.arguments)))
    return routes


ROUTES = _routes()
ROUTE_IDS = [f"{method} {url}" for _endpoint, method, url, _args in ROUTES]


def _is_api(url: str) -> bool:
    return url.startswith("/api/")


def _redirects_to_login(response) -> bool:
    return response.status_code in (302, 303) \
        and urlsplit(response.headers.get("Location", "")).path == "/login"


def _send(client, method, url, **kwargs):
    return client.open(url, method=method, **kwargs)


# --- declarations -----------------------------------------------------------------------------

def test_every_route_declares_who_may_use_it(app):
    undeclared = sorted(e for e in app.view_functions if view_access(e) is None)
    assert not undeclared, f"routes without @public/@roles/@any_user: {undeclared}"
    for endpoint in app.view_functions:
        access = view_access(endpoint)
        assert access == PUBLIC or (access and set(access) <= set(ROLE_CODES)), endpoint


def test_public_endpoints_are_exactly_the_allow_list(app):
    declared_public = {e for e in app.view_functions if view_access(e) == PUBLIC}
    assert declared_public == PUBLIC_ENDPOINTS


def test_route_listing_sees_the_app_routes(app):
    assert {e for e, *_ in ROUTES} == set(app.view_functions)
    assert {"main.home", "auth.login", "auth.logout"} <= {e for e, *_ in ROUTES}


# --- anonymous ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("endpoint", "method", "url", "has_args"), ROUTES, ids=ROUTE_IDS)
def test_anonymous_request_is_refused_unless_public(app, client, endpoint, method, url, has_args):
    app.config["WTF_CSRF_ENABLED"] = False  # so the access check, not CSRF, is what answers
    with _send(client, method, url) as response:  # closed: static files hold a file open
        status = response.status_code
    if endpoint in PUBLIC_ENDPOINTS:
        assert status != 401 and not _redirects_to_login(response) and status < 500
    elif _is_api(url):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
    else:
        assert _redirects_to_login(response), (response.status_code, response.headers)


API_ROUTES = [r for r in ROUTES if _is_api(r[2]) and r[0] not in PUBLIC_ENDPOINTS]


@pytest.mark.parametrize(("endpoint", "method", "url", "has_args"), API_ROUTES,
                         ids=[f"{method} {url}" for _e, method, url, _a in API_ROUTES])
def test_api_refuses_a_wrong_token_and_a_session_cookie(auth, client, endpoint, method, url,
                                                        has_args):
    response = _send(client, method, url, headers={"Authorization": "Bearer ctr_not-a-token"})
    assert response.status_code == 401
    auth.login("admin")  # a browser session is no API credential (the API is CSRF-exempt)
    response = _send(client, method, url)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


# --- roles --------------------------------------------------------------------------------------

# With dummy ids an allowed role may rightly get 404, so routes with URL variables are checked
# only for refusal; routes without them must also answer the roles they admit.
GET_ROUTES = [(e, url, has_args) for e, method, url, has_args in ROUTES
              if method == "GET" and e not in PUBLIC_ENDPOINTS]


def _check_answer(response, allowed: bool) -> str | None:
    if allowed and (response.status_code >= 400 or _redirects_to_login(response)):
        return f"allowed but got {response.status_code}"
    if not allowed and response.status_code != 403:
        return f"not allowed but got {response.status_code}"
    return None


@pytest.mark.parametrize("role", ROLE_CODES)
def test_each_role_gets_exactly_its_declared_routes(app, auth, client, session, role):
    user = auth.login(role)
    token = accounts.issue_token(session, user)
    session.commit()
    problems = []
    for endpoint, url, has_args in GET_ROUTES:
        allowed = role in (view_access(endpoint) or ())
        if allowed and has_args:
            continue
        headers = {"Authorization": f"Bearer {token}"} if _is_api(url) else {}
        problem = _check_answer(client.get(url, headers=headers), allowed)
        if problem:
            problems.append(f"{url} ({endpoint}): {problem}")
    assert GET_ROUTES, "no GET routes found"
    assert not problems, f"role {role}:\n" + "\n".join(problems)


def test_role_without_access_gets_the_403_page(auth, client):
    auth.login("org")
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "您没有权限访问此页面" in response.get_data(as_text=True)


# --- CSRF ---------------------------------------------------------------------------------------

FORM_POSTS = [(e, url) for e, method, url, _args in ROUTES if method == "POST" and not _is_api(url)]


def _snapshot():
    """Every row of every table, read on a connection of its own."""
    with db.engine.connect() as conn:
        return {table.name: sorted(map(repr, conn.execute(select(table)).all()))
                for table in db.metadata.sorted_tables}


def test_form_post_without_csrf_token_is_refused_and_changes_nothing(auth, client):
    auth.login("admin")
    before = _snapshot()
    problems = []
    for endpoint, url in FORM_POSTS:
        for data in ({}, {"csrf_token": "forged-token"}):
            response = client.post(url, data={"name": "改动", **data})
            if response.status_code != 400 or "安全令牌" not in response.get_data(as_text=True):
                problems.append(f"{url} ({endpoint}) {sorted(data)}: {response.status_code}")
    assert FORM_POSTS, "no form routes found"
    assert not problems, "POST accepted without a valid CSRF token:\n" + "\n".join(problems)
    assert _snapshot() == before
    assert client.get("/").status_code == 200  # still logged in: logout was refused too


def test_csrf_token_from_another_session_is_refused(app, auth, client, session):
    other = app.test_client()
    make_user(session, role="manager", username="other-manager")
    session.commit()
    auth.login("admin")
    foreign = auth.token
    response = other.post("/login", data={"csrf_token": foreign, "username": "other-manager",
                                          "password": "correct-horse-battery-staple-42"})
    assert response.status_code == 400
    assert other.get("/").status_code == 302
