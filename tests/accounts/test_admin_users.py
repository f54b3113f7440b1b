"""Admin pages for user accounts: access, forms with bad input, activation, passwords, tokens."""
import hashlib

import pytest
from sqlalchemy import func, select

from center.models.accounts import ApiToken, User
from center.models.audit import AuditEntry
from center.services import accounts
from tests.conftest import TEST_PASSWORD
from tests.factories import make_organization, make_platform, make_user

NON_ADMIN_ROLES = ["manager", "frontdesk", "reviewer", "platform", "supervisor", "org"]
GOOD_PASSWORD = "plum-harbor-lantern-93"


def admin_urls(user_id, token_id):
    return [
        ("get", "/admin/users"), ("get", "/admin/users/new"), ("post", "/admin/users/new"),
        ("get", f"/admin/users/{user_id}"), ("post", f"/admin/users/{user_id}"),
        ("post", f"/admin/users/{user_id}/deactivate"),
        ("post", f"/admin/users/{user_id}/reactivate"),
        ("get", f"/admin/users/{user_id}/password"), ("post", f"/admin/users/{user_id}/password"),
        ("post", f"/admin/users/{user_id}/tokens"),
        ("post", f"/admin/users/{user_id}/tokens/{token_id}/revoke"),
        ("get", "/admin/audit"),
    ]


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_admin_pages_refuse_every_other_role(auth, client, session, role):
    target = make_user(session, role="manager")
    token = accounts.issue_token(session, target)
    session.commit()
    auth.login(role)
    for method, url in admin_urls(target.id, session.scalar(select(ApiToken.id))):
        response = client.get(url) if method == "get" else auth.post(url, {"password": "x"})
        assert response.status_code == 403, (method, url)
    session.expire_all()
    assert target.is_active and accounts.user_for_token(session, token) is not None


def test_admin_pages_open_for_admin(auth, client):
    admin = auth.login("admin")
    for url in ["/admin/users", "/admin/users/new", f"/admin/users/{admin.id}",
                f"/admin/users/{admin.id}/password", "/admin/audit"]:
        assert client.get(url).status_code == 200, url


def test_unknown_user_is_404(auth, client):
    auth.login("admin")
    assert client.get("/admin/users/99999").status_code == 404
    assert auth.post("/admin/users/99999/deactivate").status_code == 404


# --- list ------------------------------------------------------------------------------------

def test_user_list_filters_by_role_state_and_name(auth, client, session):
    auth.login("admin")
    make_user(session, role="frontdesk", username="zhang", display_name="张前台")
    quiet = make_user(session, role="frontdesk", username="li", display_name="李前台")
    make_user(session, role="reviewer", username="wang", display_name="王预审")
    accounts.set_active(session, quiet, False)
    session.commit()
    page = client.get("/admin/users?role=frontdesk&active=1").get_data(as_text=True)
    assert "张前台" in page and "李前台" not in page and "王预审" not in page
    page = client.get("/admin/users?active=0").get_data(as_text=True)
    assert "李前台" in page and "张前台" not in page
    page = client.get("/admin/users?q=预审").get_data(as_text=True)
    assert "王预审" in page and "张前台" not in page


def test_user_list_is_paginated(auth, client, session, app):
    app.config["PER_PAGE"] = 3
    auth.login("admin", username="aaa-admin")
    for n in range(4):
        make_user(session, role="manager", username=f"m{n}", display_name=f"经理{n}")
    session.commit()
    first = client.get("/admin/users").get_data(as_text=True)
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert "第 1 / 2 页，共 5 条" in first and "经理3" not in first
    assert "经理3" in second and "经理0" not in second


def test_user_list_runs_a_bounded_number_of_queries(auth, client, session, count_queries):
    auth.login("admin")

    def queries():
        with count_queries() as counter:
            assert client.get("/admin/users").status_code == 200
        return counter.count

    few = queries()
    for _ in range(12):
        make_user(session, role="platform")
        make_user(session, role="org")
    session.commit()
    assert queries() == few


# --- create ----------------------------------------------------------------------------------

def form(**overrides):
    return {"username": "newbie", "display_name": "新同事", "role": "frontdesk",
            "platform_id": "", "organization_code": "", "email": "newbie@example.org",
            "locale": "zh", "password": GOOD_PASSWORD} | overrides


def user_count(session):
    session.expire_all()
    return session.scalar(select(func.count(User.id)))


def test_create_user_then_it_can_log_in(auth, client, session, app):
    auth.login("admin")
    response = auth.post("/admin/users/new", form())
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.username == "newbie"))
    assert (user.display_name, user.role, user.email) == ("新同事", "frontdesk", "newbie@example.org")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.table_name == "users",
                                                    AuditEntry.record_id == str(user.id)))
    assert entry.action == "create" and entry.actor.role == "admin"
    assert accounts.authenticate(session, username="newbie", password=GOOD_PASSWORD,
                                 ip_address="t", config=app.config) is not None


def test_create_user_with_bad_input_keeps_values_and_shows_messages(auth, session):
    auth.login("admin")
    before = user_count(session)
    response = auth.post("/admin/users/new", form(username="bad name!", display_name="",
                                                  email="not-an-address"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "用户名只能包含字母、数字" in page
    assert "请填写姓名。" in page
    assert "电子邮箱格式不正确。" in page
    assert 'value="bad name!"' in page and 'value="not-an-address"' in page
    assert user_count(session) == before


@pytest.mark.parametrize("password, message", [
    ("short-1", "密码太短。"),
    ("1234567890", "这个密码太常见"),
    ("qwertyuiop", "这个密码太常见"),
    ("newbie-is-my-name", "这个密码太常见或包含用户名"),
])
def test_weak_or_common_password_is_refused(auth, session, password, message):
    if message.startswith("这个密码太常见") and "newbie" not in password:
        assert password in accounts.COMMON_PASSWORDS
    auth.login("admin")
    before = user_count(session)
    response = auth.post("/admin/users/new", form(password=password))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert 'value="新同事"' in page  # the other values are kept
    assert password not in page  # a password is never echoed back
    assert user_count(session) == before


def test_duplicate_username_is_refused_whatever_the_case(auth, session):
    auth.login("admin")
    make_user(session, role="manager", username="Taken")
    session.commit()
    before = user_count(session)
    page = auth.post("/admin/users/new", form(username="taken")).get_data(as_text=True)
    assert "用户名已被使用。" in page and 'value="taken"' in page
    assert user_count(session) == before


def test_platform_role_without_platform_is_refused(auth, session):
    auth.login("admin")
    before = user_count(session)
    page = auth.post("/admin/users/new", form(role="platform")).get_data(as_text=True)
    assert "请选择平台。" in page
    assert user_count(session) == before


def test_platform_user_is_scoped_to_the_chosen_platform(auth, session):
    auth.login("admin")
    platform = make_platform(session, name="朝阳区社会组织服务中心")
    session.commit()
    page = auth.client.get("/admin/users/new").get_data(as_text=True)
    assert "朝阳区社会组织服务中心" in page
    auth.post("/admin/users/new", form(role="platform", platform_id=str(platform.id)))
    user = session.scalar(select(User).where(User.username == "newbie"))
    assert user.platform_id == platform.id and user.organization_id is None


def test_org_user_is_found_by_credit_code_and_bad_codes_are_explained(auth, session):
    auth.login("admin")
    org = make_organization(session)
    session.commit()
    page = auth.post("/admin/users/new", form(role="org", organization_code="52110000MJ0163191X"))
    assert "校验位不正确" in page.get_data(as_text=True)
    page = auth.post("/admin/users/new", form(role="org", organization_code="52110000MJ0163191U"))
    assert "目录中没有这个统一社会信用代码的组织" in page.get_data(as_text=True)
    auth.post("/admin/users/new", form(role="org", organization_code=org.credit_code.lower()))
    user = session.scalar(select(User).where(User.username == "newbie"))
    assert user.organization_id == org.id


def test_unknown_role_is_refused_without_error_page(auth, session):
    auth.login("admin")
    before = user_count(session)
    response = auth.post("/admin/users/new", form(role="boss"))
    assert response.status_code == 200
    assert "不是有效的选择" in response.get_data(as_text=True)
    assert user_count(session) == before


# --- edit ------------------------------------------------------------------------------------

def test_edit_user_changes_role_scope_and_is_audited(auth, session):
    admin = auth.login("admin")
    user = make_user(session, role="frontdesk")
    platform = make_platform(session)
    session.commit()
    response = auth.post(f"/admin/users/{user.id}", {
        "display_name": "调到平台", "role": "platform", "platform_id": str(platform.id),
        "organization_code": "", "email": "", "locale": "en"})
    assert response.status_code == 302
    session.expire_all()
    assert (user.display_name, user.role, user.platform_id, user.locale) == \
        ("调到平台", "platform", platform.id, "en")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.record_id == str(user.id),
                                                     AuditEntry.table_name == "users")
                            .order_by(AuditEntry.id.desc())).first()
    assert entry.actor_id == admin.id and entry.changes["role"] == ["frontdesk", "platform"]


def test_edit_form_is_prefilled_and_keeps_typed_values_on_error(auth, session):
    auth.login("admin")
    org = make_organization(session)
    user = make_user(session, role="org", organization=org, display_name="联系人甲")
    session.commit()
    page = auth.client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'value="联系人甲"' in page and f'value="{org.credit_code}"' in page
    response = auth.post(f"/admin/users/{user.id}", {
        "display_name": "联系人乙", "role": "platform", "platform_id": "", "locale": "zh"})
    page = response.get_data(as_text=True)
    assert "请选择平台。" in page and 'value="联系人乙"' in page
    session.expire_all()
    assert (user.display_name, user.role) == ("联系人甲", "org")


def test_admin_cannot_drop_their_own_admin_role(auth, session):
    admin = auth.login("admin")
    page = auth.post(f"/admin/users/{admin.id}", {"display_name": "我", "role": "manager",
                                                  "locale": "zh"}).get_data(as_text=True)
    assert "不能取消自己的管理员角色。" in page
    session.expire_all()
    assert admin.role == "admin"


# --- activation ------------------------------------------------------------------------------

def test_deactivation_ends_sessions_and_tokens_and_reactivation_restores_login(auth, app, session):
    auth.login("admin")
    user = make_user(session, role="manager")
    session.commit()
    token = accounts.issue_token(session, user)
    session.commit()
    other = app.test_client()
    from tests.conftest import Auth
    Auth(other, session).login(user)
    assert auth.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert other.get("/").status_code == 302  # the user's live session ended
    session.expire_all()
    assert not user.is_active
    assert accounts.user_for_token(session, token) is None
    assert auth.post(f"/admin/users/{user.id}/reactivate").status_code == 302
    session.expire_all()
    assert user.is_active
    assert accounts.user_for_token(session, token) is None  # revoked tokens stay revoked
    Auth(app.test_client(), session).login(user)


def test_admin_cannot_deactivate_themselves(auth, client, session):
    admin = auth.login("admin")
    response = auth.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "不能停用自己的账号。" in response.get_data(as_text=True)
    session.expire_all()
    assert admin.is_active
    assert client.get("/admin/users").status_code == 200


# --- passwords -------------------------------------------------------------------------------

def test_reset_password_refuses_weak_and_ends_the_users_sessions(auth, app, session):
    from tests.conftest import Auth
    auth.login("admin")
    user = make_user(session, role="reviewer")
    session.commit()
    other = app.test_client()
    Auth(other, session).login(user)
    page = auth.post(f"/admin/users/{user.id}/password",
                     {"password": "password123", "confirm": "password123"}).get_data(as_text=True)
    assert "这个密码太常见" in page
    assert other.get("/").status_code == 200
    mismatch = auth.post(f"/admin/users/{user.id}/password",
                         {"password": GOOD_PASSWORD, "confirm": "something-else-77"})
    assert "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    response = auth.post(f"/admin/users/{user.id}/password",
                         {"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert response.status_code == 302
    assert other.get("/").status_code == 302
    Auth(app.test_client(), session).login(user, password=GOOD_PASSWORD)


def test_changing_own_password_ends_the_users_other_sessions(app, session):
    from tests.conftest import Auth
    user = make_user(session, role="frontdesk")
    session.commit()
    here, elsewhere = Auth(app.test_client(), session), Auth(app.test_client(), session)
    here.login(user)
    elsewhere.login(user)
    response = here.post("/account/password", {"current_password": TEST_PASSWORD,
                                               "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert response.status_code == 302
    assert elsewhere.client.get("/").status_code == 302
    assert here.client.get("/").status_code == 302
    Auth(app.test_client(), session).login(user, password=GOOD_PASSWORD)
    with pytest.raises(AssertionError):
        Auth(app.test_client(), session).login(user, password=TEST_PASSWORD)


# --- tokens ----------------------------------------------------------------------------------

def test_issued_token_is_shown_once_and_stored_hashed(auth, client, session):
    auth.login("admin")
    user = make_user(session, role="manager")
    session.commit()
    response = auth.post(f"/admin/users/{user.id}/tokens", {"valid_days": "30"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    token = page.split('id="new-token">')[1].split("<")[0]
    row = session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.expires_at is not None
    assert accounts.user_for_token(session, token).id == user.id
    again = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert token not in again and row.prefix in again


def test_token_with_bad_validity_is_refused(auth, session):
    auth.login("admin")
    user = make_user(session, role="manager")
    session.commit()
    response = auth.post(f"/admin/users/{user.id}/tokens", {"valid_days": "0"},
                         follow_redirects=True)
    assert "有效期应在 1 到 3650 天之间" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(ApiToken.id))) == 0


def test_revoked_token_no_longer_authenticates(auth, session):
    auth.login("admin")
    user = make_user(session, role="manager")
    keep = accounts.issue_token(session, user)
    drop = accounts.issue_token(session, user)
    session.commit()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == accounts._digest(drop)))
    assert auth.post(f"/admin/users/{user.id}/tokens/{row.id}/revoke").status_code == 302
    session.expire_all()
    assert accounts.user_for_token(session, drop) is None
    assert accounts.user_for_token(session, keep) is not None


def test_revoking_another_users_token_is_404(auth, session):
    auth.login("admin")
    owner, other = make_user(session, role="manager"), make_user(session, role="manager")
    token = accounts.issue_token(session, owner)
    session.commit()
    row = session.scalar(select(ApiToken))
    assert auth.post(f"/admin/users/{other.id}/tokens/{row.id}/revoke").status_code == 404
    assert accounts.user_for_token(session, token) is not None
