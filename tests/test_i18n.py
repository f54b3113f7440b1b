"""The English catalog covers every message of the UI, and English is served on request."""
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from tests.conftest import csrf_from

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "center" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def test_every_message_has_an_english_translation(tmp_path):
    template = tmp_path / "messages.pot"
    CommandLineInterface().run(["pybabel", "extract", "-F", str(ROOT / "babel.cfg"),
                                "-k", "_l", "-k", "lazy_gettext", "-o", str(template), str(ROOT)])
    with template.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(str(i) for i in wanted - translated)
    assert not missing, f"{len(missing)} messages lack English: {missing[:10]}"


def test_login_page_speaks_chinese_by_default_and_english_on_request(client):
    page = client.get("/login", headers={"Accept-Language": "en-US"})
    assert "登录" in page.get_data(as_text=True)
    client.post("/language", data={"lang": "en", "next": "/login",
                                   "csrf_token": csrf_from(page.get_data(as_text=True))})
    english = client.get("/login").get_data(as_text=True)
    assert "Log in" in english and "登录" not in english.replace("中文", "")


def test_user_preference_switches_language(auth, client):
    auth.login("manager", locale="en")
    assert "Organizations" in client.get("/").get_data(as_text=True)


def test_api_errors_follow_accept_language(client):
    response = client.get("/api/v1/organizations", headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert "token" in response.get_json()["error"]["message"].lower()
    assert "令牌" in client.get("/api/v1/organizations").get_json()["error"]["message"]
