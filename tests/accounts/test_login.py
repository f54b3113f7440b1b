from datetime import timedelta

import pytest

from center.models.accounts import AuthSession
from tests.conftest import TEST_PASSWORD, csrf_from
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


def test_own_password_change_requires_the_current_password(auth, client, session):
    user = auth.login("frontdesk")
    response = auth.post("/account/password", {"current_password": "not-my-password-1",
                                               "password": "a-new-long-passphrase-9",
                                               "confirm": "a-new-long-passphrase-9"})
    assert response.status_code == 200
    assert "当前密码不正确" in response.get_data(as_text=True)
    session.expire_all()
    from werkzeug.security import check_password_hash
    assert check_password_hash(session.get(type(user), user.id).password_hash, TEST_PASSWORD)
    assert client.get("/").status_code == 200  # still logged in, nothing changed


def test_logout_deletes_the_remember_me_cookie(client, session):
    user = make_user(session, role="manager")
    session.commit()
    page = client.get("/login")
    client.post("/login", data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                "username": user.username, "password": TEST_PASSWORD, "remember": "y"})
    assert client.get_cookie("remember_token") is not None
    token = csrf_from(client.get("/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    assert client.get_cookie("remember_token") is None


def test_spraying_from_many_addresses_does_not_lock_the_user_out_of_a_known_address(
        app, session):
    from center.services import accounts
    user = make_user(session, role="manager")
    session.commit()
    config = app.config
    assert accounts.authenticate(session, username=user.username, password=TEST_PASSWORD,
                                 ip_address="10.0.0.1", config=config)
    for n in range(config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        accounts.authenticate(session, username=user.username, password="wrong-guess-123",
                              ip_address=f"192.0.2.{n + 1}", config=config)
    assert accounts.authenticate(session, username=user.username.upper(), password=TEST_PASSWORD,
                                 ip_address="10.0.0.1", config=config)
    with pytest.raises(accounts.ThrottledError):
        accounts.authenticate(session, username=user.username, password=TEST_PASSWORD,
                              ip_address="198.51.100.7", config=config)


def test_session_table_keeps_only_a_digest_of_the_cookie_id(auth, client, session):
    import hashlib
    auth.login("manager")
    with client.session_transaction() as cookie_session:
        cookie_id = cookie_session["_user_id"]
    stored = session.query(AuthSession).one().id
    assert stored != cookie_id
    assert stored == hashlib.sha256(cookie_id.encode()).hexdigest()
