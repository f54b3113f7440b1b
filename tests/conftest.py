"""Fixtures: an app on SQLite (a copy of a migrated template per test) or on PostgreSQL
(TEST_DATABASE_URL; migrated once, tables emptied after each test)."""
import contextvars
import os
import re
import shutil

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from center import create_app
from center.extensions import db
from tests.factories import make_user

PG_URL = os.environ.get("TEST_DATABASE_URL")
TEST_PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the message catalogs when a .po is newer than its .mo (make does the same)."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parent.parent / "center" / "translations").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))


def base_config(uri: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": uri,
        "SERVER_NAME": "localhost",
        # Hashing cost is not what these tests are about; test_password_hash_is_scrypt covers it.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


def _migrate(uri: str, tmp_path_factory) -> None:
    from flask_migrate import upgrade

    app = create_app(base_config(uri) | {"SQLALCHEMY_ENGINE_OPTIONS": {}})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """The migrated schema: a SQLite file to copy, or the PostgreSQL URL."""
    if PG_URL:
        from center.config import normalize_database_url
        uri = normalize_database_url(PG_URL)
        app = create_app(base_config(uri))
        with app.app_context():
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.engine.dispose()
        _migrate(uri, tmp_path_factory)
        return uri
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(f"sqlite:///{path}", tmp_path_factory)
    return path


def _truncate_all(app):
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


class IsolatedClient(FlaskClient):
    """Each request runs in an empty context, so it gets its own app context, g and database
    session, as in production, even though the test itself holds an app context."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(database_template, tmp_path):
    if PG_URL:
        app = create_app(base_config(database_template))
    else:
        path = tmp_path / "test.db"
        shutil.copy(database_template, path)
        app = create_app(base_config(f"sqlite:///{path}"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        if PG_URL:
            _truncate_all(app)
        db.engine.dispose()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'type="hidden" name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


class Auth:
    """Logs a test client in and out through the real login form."""

    def __init__(self, client, session):
        self.client = client
        self.session = session
        self.token = None

    def login(self, user_or_role="admin", password=TEST_PASSWORD, **user_fields):
        user = user_or_role
        if isinstance(user_or_role, str):
            user = make_user(self.session, role=user_or_role, password=password, **user_fields)
            self.session.commit()
        page = self.client.get("/login")
        response = self.client.post("/login", data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "username": user.username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self.token = csrf_from(self.client.get("/").get_data(as_text=True))
        return user

    def post(self, url, data=None, **kwargs):
        """POST with the session's CSRF token, as a browser form would."""
        return self.client.post(url, data={"csrf_token": self.token, **(data or {})}, **kwargs)

    def logout(self):
        return self.post("/logout")


@pytest.fixture
def auth(client, session):
    return Auth(client, session)


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


@pytest.fixture
def count_queries(app):
    """Count SQL statements the app runs: `with count_queries() as counter: ...; counter.count`."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        counter = QueryCounter()
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
    return counting


def field_errors(html: str, field_id: str) -> list[str]:
    """The error messages shown beside the form field with this id (templates/_form.html)."""
    block = re.search(r'<div class="field[^"]*">((?:(?!<div class="field).)*?id="%s".*?)</div>'
                      % re.escape(field_id), html, re.S)
    assert block, f"no field {field_id} on the page"
    return re.findall(r'<small class="error" role="alert">(.*?)</small>', block.group(1), re.S)
