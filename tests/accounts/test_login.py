from datetime import timedelta

from center.models.accounts import AuthSession
from tests.conftest import csrf_from
from tests.factories import make_user


def _login_post(client, username, password, next_url=None):
    page = client.get("/login")
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                  "username": username, "password": password})


def test_login_then_home_shows_user(auth, client):
    user = auth.login("manager")
    page = client.get("/")
    assert page.status_code == 200
    assert user.display_name in page.get_data(as_text=True)


def test_wrong_password_is_refused_with_message(client, session):
    user = make_user(session, role="frontdesk")
    session.commit()
    response = _login_post(client, user.username, "wrong-password-123")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_next_redirect_only_to_local_paths(app, session):
    user = make_user(session, role="manager")
    session.commit()
    for next_url, expected in [("https://evil.example/x", "/"), ("//evil.example", "/"),
                               ("/organizations", "/organizations")]:
        response = _login_post(app.test_client(), user.username,
                               "correct-horse-battery-staple-42", next_url=next_url)
        assert response.headers["Location"] == expected


def test_logout_invalidates_replayed_cookie(auth, client):
    auth.login("manager")
    cookie = client.get_cookie("session").value
    auth.logout()
    client.set_cookie("session", cookie)
    assert client.get("/").status_code == 302


def test_deactivation_ends_existing_sessions(auth, client, session):
    from center.services import accounts
    user = auth.login("frontdesk")
    assert client.get("/").status_code == 200
    accounts.set_active(session, user, False)
    session.commit()
    assert client.get("/").status_code == 302


def test_idle_session_expires(auth, client, session, app):
    auth.login("manager")
    row = session.query(AuthSession).one()
    row.last_seen_at = row.last_seen_at - app.config["SESSION_IDLE_TIMEOUT"] - timedelta(minutes=1)
    session.commit()
    assert client.get("/").status_code == 302


def test_activity_keeps_session_alive(auth, client, session, app):
    auth.login("frontdesk")
    row = session.query(AuthSession).one()
    row.last_seen_at = row.last_seen_at - app.config["SESSION_IDLE_TIMEOUT"] + timedelta(minutes=5)
    session.commit()
    assert client.get("/").status_code == 200
    session.expire_all()
    touched = session.query(AuthSession).one().last_seen_at
    assert touched > row.created_at - timedelta(seconds=5)
    assert client.get("/").status_code == 200


def test_absolute_session_timeout(auth, client, session):
    auth.login("manager")
    row = session.query(AuthSession).one()
    row.expires_at = row.created_at
    session.commit()
    assert client.get("/").status_code == 302


def test_repeated_failures_are_throttled(client, session, app):
    user = make_user(session, role="reviewer")
    session.commit()
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"]):
        _login_post(client, user.username, "wrong-password-123")
    response = _login_post(client, user.username, "correct-horse-battery-staple-42")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_rejected(client, session):
    user = make_user(session, role="manager")
    session.commit()
    response = client.post("/login", data={"username": user.username,
                                           "password": "correct-horse-battery-staple-42"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_security_headers_present(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_password_hash_is_scrypt_by_default(session):
    from center.config import Config
    from center.services import accounts

    assert Config.PASSWORD_HASH_METHOD == "scrypt"
    accounts.PASSWORD_HASH_METHOD = Config.PASSWORD_HASH_METHOD
    try:
        user = make_user(session, role="manager")
    finally:
        accounts.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    assert user.password_hash.startswith("scrypt:")
    assert "correct-horse" not in user.password_hash
