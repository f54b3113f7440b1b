"""Browser fixtures: the real app on a loopback port with the demo data, driven by Debian's
chromium (never a downloaded browser). Any console error (a CSP violation shows there too) is
collected in page.errors, which each journey asserts empty."""
import importlib.util
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from center import create_app
from center.extensions import db
from center.models.accounts import ROLE_CODES

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct-horse-battery-staple-42"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(
                    reason="Debian chromium not installed at /usr/bin/chromium"))


def _load_users(session) -> list[tuple[str, str, str]]:
    """(username, role, password) per role: the demo data set when it exists, else factories."""
    from center.services import directory

    directory.seed_beijing_regions(session)
    if importlib.util.find_spec("center.services.demo"):
        from center.services import demo
        logins = demo.build(session, scale=1)
    else:
        from tests.factories import make_user
        logins = [(make_user(session, role=role, password=PASSWORD).username, role, PASSWORD)
                  for role in ROLE_CODES]
    session.commit()
    return logins


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The app served for real by werkzeug on a free loopback port, on a migrated SQLite file."""
    from flask_migrate import upgrade

    path = tmp_path_factory.mktemp("e2e") / "center.db"
    app = create_app({"SECRET_KEY": "e2e-secret", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        logins = _load_users(db.session)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", logins
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


def _is_error(message) -> bool:
    return message.type == "error"


@pytest.fixture
def page(browser):
    """A fresh browser context; console errors and page errors are collected in page.errors."""
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.errors = []
    page.on("console", lambda msg: page.errors.append(msg.text) if _is_error(msg) else None)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def log_in(page, base_url, username, password):
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()




def login_of(logins, role) -> tuple[str, str]:
    """(username, password) of the demo data's first user with this role."""
    matching = [(name, pw) for name, user_role, pw in logins if user_role == role]
    assert matching, f"the demo data has no {role} user"
    return matching[0]
