"""The application factory and its configuration: secrets, database choice, cookies, limits."""
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from center import create_app
from center.config import from_environment, normalize_database_url
from center.extensions import db
from tests.conftest import TEST_PASSWORD, base_config, csrf_from
from tests.factories import make_user

ROOT = Path(__file__).resolve().parent.parent


def test_missing_secret_key_fails_with_a_clear_message():
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.mark.parametrize(("given", "expected"), [
    ("postgres://u:pw@db.example:5432/center", "postgresql+psycopg://u:pw@db.example:5432/center"),
    ("postgresql://u@db.example/center", "postgresql+psycopg://u@db.example/center"),
    ("postgresql+psycopg://u@db.example/center", "postgresql+psycopg://u@db.example/center"),
    ("sqlite:////srv/center/center.db", "sqlite:////srv/center/center.db"),
])
def test_database_url_is_normalized_for_psycopg(given, expected):
    assert normalize_database_url(given) == expected


def test_environment_selects_database_and_secret(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:pw@db.example:5432/center")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:pw@db.example:5432/center"
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_environment_without_database_url_changes_nothing(monkeypatch):
    for name in ("DATABASE_URL", "SECRET_KEY", "SESSION_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    assert from_environment() == {}


def test_default_database_is_sqlite_in_the_instance_folder():
    app = create_app({"SECRET_KEY": "k"})
    assert Path(app.instance_path) == ROOT / "instance"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{ROOT / 'instance' / 'center.db'}"


def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'c.db'}"))
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()


def _login(client, username, remember=False):
    page = client.get("/login")
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), "username": username,
            "password": TEST_PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302
    return response.headers.getlist("Set-Cookie")


def _cookie(cookies, name):
    found = [c for c in cookies if c.startswith(name + "=")]
    assert found, f"no {name} cookie in {cookies}"
    return found[0]


def test_session_cookie_is_httponly_and_samesite_lax(client, session):
    user = make_user(session, role="manager")
    session.commit()
    cookie = _cookie(_login(client, user.username), "session")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain-HTTP development server: secure only when configured


def test_remember_cookie_lasts_days_not_a_year(client, session):
    user = make_user(session, role="manager")
    session.commit()
    cookie = _cookie(_login(client, user.username, remember=True), "remember_token")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert expires - datetime.now(timezone.utc) <= timedelta(days=31)


def test_cookies_are_secure_when_configured(app, client, session):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    user = make_user(session, role="manager")
    session.commit()
    cookies = _login(client, user.username, remember=True)
    assert "Secure" in _cookie(cookies, "session")
    assert "Secure" in _cookie(cookies, "remember_token")


def test_upload_limit_is_set(app):
    assert 0 < app.config["MAX_CONTENT_LENGTH"] <= 50 * 1024 * 1024


def test_too_large_post_gets_413_with_a_clear_message(app, auth, client):
    auth.login("admin")
    body = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = auth.post("/account/password", data={"password": body.decode()})
    assert response.status_code == 413
    assert "上传的文件太大" in response.get_data(as_text=True)


def test_too_large_anonymous_post_gets_413_not_500(app, client):
    response = client.post("/login", data={"username": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert response.status_code == 413
    assert "上传的文件太大" in response.get_data(as_text=True)


def test_remember_cookie_is_secure_whenever_the_session_cookie_is(database_template):
    from center import create_app
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SESSION_COOKIE_SECURE": True})
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_https_responses_carry_hsts(client):
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/login").headers
