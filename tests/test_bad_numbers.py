"""Numbers and dates too big for the database: never a 500.

Ids in URLs are bounded by the `int` converter (404), query parameters at their source (ignored
or refused beside the field), and anything that still reaches the database is a 400 with a
clear message (JSON for the API).
"""
import pytest

from center.auth import public
from center.extensions import db
from center.models.directory import Organization
from center.services import accounts
from tests.conftest import field_errors
from tests.factories import make_platform

HUGE = "99999999999999999999"
JUST_TOO_BIG = str(2**31)
OUT_OF_RANGE = "请求中的数字或日期超出范围。"


@pytest.mark.parametrize("number", [HUGE, JUST_TOO_BIG])
@pytest.mark.parametrize("path", [
    "/organizations/{n}", "/organizations/{n}/edit", "/platforms/{n}", "/platforms/{n}/edit"])
def test_a_huge_id_in_a_directory_url_is_not_found(auth, client, path, number):
    auth.login("manager")
    assert client.get(path.format(n=number)).status_code == 404


@pytest.mark.parametrize("path", [
    "/organizations/{n}/archive", "/organizations/{n}/restore", "/platforms/{n}/archive",
    "/platforms/{n}/restore"])
def test_a_huge_id_in_a_posted_url_is_not_found(auth, path):
    auth.login("manager")
    assert auth.post(path.format(n=HUGE)).status_code == 404


@pytest.mark.parametrize("path", ["/admin/users/{n}", "/admin/users/{n}/password"])
def test_a_huge_user_id_is_not_found(auth, client, path):
    auth.login("admin")
    assert client.get(path.format(n=HUGE)).status_code == 404


@pytest.mark.parametrize("path", ["/admin/users/{n}", "/admin/users/{n}/deactivate",
                                  "/admin/users/{n}/reactivate", "/admin/users/{n}/tokens"])
def test_a_huge_user_id_in_a_posted_url_is_not_found(auth, path):
    auth.login("admin")
    assert auth.post(path.format(n=HUGE)).status_code == 404


def test_a_huge_token_id_is_not_found(auth):
    admin = auth.login("admin")
    assert auth.post(f"/admin/users/{admin.id}/tokens/{HUGE}/revoke").status_code == 404


def test_a_huge_id_in_the_api_is_a_json_404(client, session):
    user = accounts.create_user(session, username="reader", display_name="读者", role="manager",
                                password="correct-horse-battery-staple-42")
    token = accounts.issue_token(session, user)
    session.commit()
    response = client.get(f"/api/v1/organizations/{HUGE}",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["/organizations", "/platforms"])
@pytest.mark.parametrize("query", [f"district={HUGE}", f"district={JUST_TOO_BIG}",
                                   "district=-5", f"page={HUGE}"])
def test_a_huge_filter_on_a_list_is_ignored(auth, client, path, query):
    auth.login("manager")
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit"])
@pytest.mark.parametrize("page", [HUGE, JUST_TOO_BIG, "-3"])
def test_a_huge_page_of_an_admin_list_is_the_last_possible_page(auth, client, path, page):
    auth.login("admin")
    response = client.get(f"{path}?page={page}")
    assert response.status_code == 200


@pytest.mark.parametrize("query, field_name", [
    ("date_to=9999-12-31", "date_to"), ("date_from=9999-12-31", "date_from"),
    ("date_from=0001-01-01", "date_from"), ("date_to=1999-12-31", "date_to")])
def test_an_audit_date_outside_the_years_kept_is_refused_beside_its_field(
        auth, client, query, field_name):
    auth.login("admin")
    response = client.get(f"/admin/audit?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_errors(html, field_name) == ["年份应在 2000 年至 2100 年之间。"]


def test_an_audit_date_range_inside_the_years_kept_still_filters(auth, client):
    auth.login("admin")
    html = client.get("/admin/audit?date_from=2000-01-01&date_to=2100-12-31").get_data(
        as_text=True)
    assert "年份应在" not in html and "没有符合条件的记录。" not in html  # the login is logged


def test_creating_a_platform_user_with_a_huge_platform_id_is_refused_beside_the_field(
        auth, session):
    auth.login("admin")
    make_platform(session)
    session.commit()
    response = auth.post("/admin/users/new", data={
        "username": "huge", "display_name": "大数", "role": "platform", "platform_id": HUGE,
        "password": "correct-horse-battery-staple-42", "locale": "zh"})
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "platform_id") == ["请选择平台。"]


# --- whatever still reaches the database -------------------------------------------------------

@pytest.fixture
def overflowing(app):
    """Routes that hand an over-large id to the database, as a missed parameter would
    (SQLite raises OverflowError, PostgreSQL a DataError)."""
    @public
    def overflow():
        db.session.get(Organization, 10**20)
        return "unreachable"
    app.add_url_rule("/overflow-test", "overflow_test", overflow)
    app.add_url_rule("/api/v1/overflow-test", "api_overflow_test", overflow)
    return app


def test_a_number_the_database_cannot_hold_is_a_400_page(client, overflowing):
    response = client.get("/overflow-test")
    assert response.status_code == 400
    assert OUT_OF_RANGE in response.get_data(as_text=True)


def test_a_number_the_database_cannot_hold_is_a_json_400_in_the_api(client, overflowing):
    response = client.get("/api/v1/overflow-test")
    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "out_of_range", "message": OUT_OF_RANGE}


def test_numbers_typed_in_full_width_count_and_other_digits_are_refused():
    """A Chinese input method in full-width mode types "２５": the same number to the user.
    Superscripts and other scripts' digits are not numbers here (int() fails on "²")."""
    from center.services.field_checks import ascii_int

    assert ascii_int("２０２６") == 2026 and ascii_int("25") == 25
    assert ascii_int("²") is None and ascii_int("١٢") is None and ascii_int("2.5") is None
    assert ascii_int("1" * 11) is None and ascii_int(25) is None
