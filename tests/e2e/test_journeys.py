"""Browser journeys: each demo role logs in, sees its home page and navigation, and logs out;
a wrong password shows the message."""
import pytest

from center.models.accounts import ROLE_CODES
from tests.e2e.conftest import log_in


@pytest.mark.parametrize("role", ROLE_CODES)
def test_demo_user_logs_in_sees_role_home_and_nav_then_logs_out(live_server, page, role):
    base_url, logins = live_server
    matching = [(name, pw) for name, user_role, pw in logins if user_role == role]
    assert matching, f"the demo data has no {role} user"
    username, password = matching[0]

    log_in(page, base_url, username, password)
    assert page.url == f"{base_url}/"
    assert page.locator("h1").inner_text().startswith("您好")
    assert page.locator("#role-home").get_attribute("data-role") == role
    nav = page.locator("nav.mainnav a")
    assert "首页" in nav.all_inner_texts()
    for href in nav.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        response = page.request.get(base_url + href)  # every entry shown must open for this role
        assert response.status == 200, (href, response.status)

    page.click("form[action='/logout'] button")
    page.wait_for_load_state()
    assert page.url.startswith(f"{base_url}/login")
    assert "您已退出登录" in page.content()
    page.goto(f"{base_url}/")
    assert page.url.startswith(f"{base_url}/login")
    assert page.errors == []


def test_wrong_password_shows_the_message(live_server, page):
    base_url, logins = live_server
    log_in(page, base_url, logins[0][0], "not-the-password-at-all")
    assert page.url.startswith(f"{base_url}/login")
    assert page.locator(".error").filter(has_text="用户名或密码不正确").count() == 1
    assert page.input_value("input[name=username]") == logins[0][0]  # typed value kept
    assert page.errors == []
