"""Users, passwords, login sessions, throttling and API tokens."""
import hashlib
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from center.models.accounts import ROLE_CODES, ApiToken, AuthSession, LoginAttempt, Role, User
from center.models.audit import AuditEntry
from center.models.base import utcnow
from center.models.directory import Organization, Platform
from center.services import audit, directory
from center.services.errors import (ConflictError, NotFoundError, PermissionDenied,
                                    ValidationError)

COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])
# A valid hash to compare against when the user is unknown, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-real-password-" + secrets.token_hex(8))


class ThrottledError(Exception):
    def __init__(self, retry_after: timedelta):
        super().__init__("too many failed logins")
        self.retry_after = retry_after


def check_password_strength(password: str, *, min_length: int, username: str = "") -> None:
    """A password has a minimum length and is not a common password or the user name."""
    if len(password) < min_length:
        raise ValidationError(_l("密码至少需要 %(n)d 个字符。", n=min_length), {"password": _l("密码太短。")})
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or (username and username.lower() in lowered):
        raise ValidationError(_l("这个密码太常见或包含用户名，请换一个。"),
                              {"password": _l("这个密码太常见或包含用户名，请换一个。")})


# Set once by create_app from PASSWORD_HASH_METHOD; the test suite lowers the cost (only there).
PASSWORD_HASH_METHOD = "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def create_user(session, *, username, display_name, role, password, platform=None,
                organization=None, email=None, locale="zh", actor=None, min_length=10) -> User:
    """Create a user; the role must be known and carry the right scope."""
    audit.acting(session, actor)
    username = (username or "").strip()
    if not username:
        raise ValidationError(_l("请填写用户名。"), {"username": _l("请填写用户名。")})
    if role not in ROLE_CODES:
        raise ValidationError(_l("未知角色：%(role)s", role=role), {"role": _l("未知角色。")})
    _check_scope(role, platform, organization)
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise ConflictError(_l("用户名已被使用。"), {"username": _l("用户名已被使用。")})
    check_password_strength(password, min_length=min_length, username=username)
    user = User(username=username, display_name=display_name or username, role=role,
                password_hash=hash_password(password), platform=platform,
                organization=organization, email=email or None, locale=locale, is_active=True)
    session.add(user)
    session.flush()
    return user


def _check_scope(role, platform, organization) -> None:
    if role == Role.platform.value and platform is None:
        raise ValidationError(_l("平台用户必须指定所属平台。"), {"platform_id": _l("请选择平台。")})
    if role == Role.org.value and organization is None:
        raise ValidationError(_l("社会组织用户必须指定所属组织。"), {"organization_id": _l("请选择组织。")})


def update_user(session, user, *, display_name, role, platform=None, organization=None,
                email=None, locale=None, actor=None) -> User:
    audit.acting(session, actor)
    if role not in ROLE_CODES:
        raise ValidationError(_l("未知角色：%(role)s", role=role), {"role": _l("未知角色。")})
    _check_scope(role, platform, organization)
    user.display_name = display_name
    user.role = role
    user.platform = platform if role == Role.platform.value else None
    user.organization = organization if role == Role.org.value else None
    user.email = email or None
    if locale:
        user.locale = locale
    session.flush()
    return user


def set_password(session, user, password, *, actor=None, min_length=10, now=None) -> None:
    """Change a password; every existing session of the user ends."""
    audit.acting(session, actor)
    check_password_strength(password, min_length=min_length, username=user.username)
    now = now or utcnow()
    user.password_hash = hash_password(password)
    revoke_sessions(session, user, now=now)
    # The hash is never audited, but the fact of the change is.
    session.add(AuditEntry(at=now, actor_id=getattr(actor, "id", actor), table_name="users",
                           record_id=str(user.id), action="password", changes={}))
    session.flush()


def change_own_password(session, user, *, current, new, min_length=10, now=None) -> None:
    """A user changes their own password only by proving the current one (a stolen session
    alone must not be enough to take the account over)."""
    if not check_password_hash(user.password_hash, current or ""):
        raise ValidationError(_l("当前密码不正确。"), {"current_password": _l("当前密码不正确。")})
    set_password(session, user, new, actor=user, min_length=min_length, now=now)


def set_active(session, user, active: bool, *, actor=None, now=None) -> None:
    """Deactivate or reactivate; deactivation ends sessions and revokes API tokens.
    Nobody deactivates their own account (an admin would lock themselves out)."""
    audit.acting(session, actor)
    if not active and actor is not None and getattr(actor, "id", actor) == user.id:
        raise PermissionDenied(_l("不能停用自己的账号。"))
    user.is_active = active
    if not active:
        revoke_sessions(session, user, now=now)
        revoke_tokens(session, user, now=now)
    session.flush()


# --- login and throttling -------------------------------------------------------------------

def throttle_wait(session, *, username, ip_address, config, now=None) -> timedelta | None:
    """How long this account/address must wait, or None. Counts recent failures in the DB.

    Failures for one account from one address lock that pair; many failures from one address
    lock the address. Failures for an account from anywhere lock it too, but not for an address
    the account has logged in from before: an attacker spraying from many addresses cannot keep
    the real user out of their usual computer. Every lock ends with the window.
    """
    now = now or utcnow()
    window = config["LOGIN_THROTTLE_WINDOW"]
    failed = LoginAttempt.succeeded.is_(False) & (LoginAttempt.attempted_at > now - window)
    username = (username or "").lower()
    same_account = LoginAttempt.username == username
    checks = [
        (same_account & (LoginAttempt.ip_address == ip_address),
         config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"]),
        (LoginAttempt.ip_address == ip_address, config["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
    ]
    if not _known_address(session, username, ip_address):
        checks.append((same_account, config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]))
    for condition, limit in checks:
        count, oldest = session.execute(
            select(func.count(), func.min(LoginAttempt.attempted_at)).where(failed & condition)
        ).one()
        if count >= limit:
            return max(oldest + window - now, timedelta(seconds=1))
    return None


def _known_address(session, username: str, ip_address: str) -> bool:
    return session.scalar(select(LoginAttempt.id).where(
        LoginAttempt.username == username, LoginAttempt.ip_address == ip_address,
        LoginAttempt.succeeded.is_(True)).limit(1)) is not None


def authenticate(session, *, username, password, ip_address, config, now=None) -> User | None:
    """Check credentials under throttling and record the attempt. Raises ThrottledError."""
    now = now or utcnow()
    wait = throttle_wait(session, username=username, ip_address=ip_address, config=config, now=now)
    if wait:
        raise ThrottledError(wait)
    user = session.scalar(select(User).where(func.lower(User.username) == (username or "").lower()))
    reference = user.password_hash if user else _DUMMY_HASH
    valid = check_password_hash(reference, password or "")
    ok = bool(user and valid and user.is_active)
    session.add(LoginAttempt(username=(username or "").lower()[:64], ip_address=ip_address,
                             succeeded=ok, attempted_at=now))
    session.flush()
    return user if ok else None


def start_session(session, user, *, remember=False, ip_address=None, config, now=None) -> str:
    """Open a server-side session; returns its id for the cookie (the table keeps only a digest,
    so a copy of the database does not hand out live sessions)."""
    now = now or utcnow()
    lifetime = config["REMEMBER_COOKIE_DURATION"] if remember else config["SESSION_ABSOLUTE_TIMEOUT"]
    session_id = secrets.token_urlsafe(32)
    session.add(AuthSession(id=_digest(session_id), user=user, created_at=now, last_seen_at=now,
                            expires_at=now + lifetime, remember=remember, ip_address=ip_address))
    session.flush()
    return session_id


def load_session(session, session_id, *, config, now=None) -> AuthSession | None:
    """The live session with this id, or None if revoked, expired, idle too long or user inactive."""
    now = now or utcnow()
    auth = session.get(AuthSession, _digest(session_id)) if session_id else None
    if auth is None or auth.revoked_at or not auth.user.is_active or now >= auth.expires_at:
        return None
    idle = config["REMEMBER_COOKIE_DURATION"] if auth.remember else config["SESSION_IDLE_TIMEOUT"]
    if now - auth.last_seen_at > idle:
        return None
    # Touch at most once a minute: a write per request would serialize SQLite for nothing.
    if now - auth.last_seen_at > timedelta(minutes=1):
        auth.last_seen_at = now
    return auth


def end_session(session, session_id, *, now=None) -> None:
    session.execute(update(AuthSession).where(AuthSession.id == _digest(session_id))
                    .values(revoked_at=now or utcnow()))


def revoke_sessions(session, user, *, now=None) -> None:
    session.execute(update(AuthSession)
                    .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
                    .values(revoked_at=now or utcnow()))


# --- API tokens ------------------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session, user, *, actor=None, expires_at=None) -> str:
    """Create an API token and return it in clear text: this is the only time it is seen."""
    audit.acting(session, actor)
    token = "ctr_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=_digest(token), prefix=token[:12],
                         expires_at=expires_at))
    session.flush()
    return token


def user_for_token(session, token: str, *, now=None) -> User | None:
    now = now or utcnow()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token or "")))
    if row is None or row.revoked_at or not row.user.is_active:
        return None
    if row.expires_at and now >= row.expires_at:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        row.last_used_at = now
    return row.user


def revoke_tokens(session, user, *, now=None) -> None:
    for row in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                      ApiToken.revoked_at.is_(None))):
        row.revoked_at = now or utcnow()


def revoke_token(session, token: ApiToken, *, actor=None, now=None) -> None:
    """Revoke one API token; a token already revoked keeps its first revocation time."""
    audit.acting(session, actor)
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
    session.flush()


def issue_user_token(session, user, *, actor=None, valid_days=None, now=None) -> str:
    """An admin issues a token for an active user, optionally expiring after valid_days."""
    if not user.is_active:
        raise ValidationError(_l("账号已停用，不能签发令牌。"))
    expires_at = (now or utcnow()) + timedelta(days=valid_days) if valid_days else None
    return issue_token(session, user, actor=actor, expires_at=expires_at)


def user_tokens(session, user) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def get_user_token(session, user, token_id) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFoundError(_l("找不到该令牌。"))
    return token


# --- administration --------------------------------------------------------------------------

def resolve_scope(session, *, role, platform_id=None, organization_code=None):
    """The scope a role needs, as (platform, organization): a live platform for `platform`,
    a registered organization found by its credit code for `org`, nothing for other roles."""
    if role == Role.platform.value:
        platform = session.get(Platform, platform_id) if platform_id else None
        if platform is None or platform.archived_at is not None:
            raise ValidationError(_l("平台用户必须指定所属平台。"), {"platform_id": _l("请选择平台。")})
        return platform, None
    if role == Role.org.value:
        return None, _organization_by_code(session, organization_code)
    return None, None


def _organization_by_code(session, code) -> Organization:
    code = directory.normalize_credit_code(code)
    if not code:
        message = _l("社会组织用户必须指定所属组织。")
        raise ValidationError(message, {"organization_code": _l("请填写组织的统一社会信用代码。")})
    problem = directory.credit_code_problem(code)
    if problem:
        raise ValidationError(problem, {"organization_code": problem})
    organization = session.scalar(select(Organization).where(
        Organization.credit_code == code, Organization.archived_at.is_(None)))
    if organization is None:
        message = _l("目录中没有这个统一社会信用代码的组织。")
        raise ValidationError(message, {"organization_code": message})
    return organization


def register_user(session, data: dict, *, actor=None, min_length=10) -> User:
    """Create a user from an admin's input: the scope is resolved, then create_user's rules
    (known role, unique user name, strong password) apply."""
    platform, organization = resolve_scope(session, role=data.get("role"),
                                           platform_id=data.get("platform_id"),
                                           organization_code=data.get("organization_code"))
    return create_user(session, username=data.get("username"), role=data.get("role"),
                       display_name=(data.get("display_name") or "").strip(),
                       password=data.get("password") or "", platform=platform,
                       organization=organization, email=data.get("email"),
                       locale=data.get("locale") or "zh", actor=actor, min_length=min_length)


def edit_user(session, user, data: dict, *, actor=None) -> User:
    """Change name, role, scope, e-mail and language; an admin cannot drop their own admin role."""
    role = data.get("role")
    if getattr(actor, "id", actor) == user.id and user.role == Role.admin.value \
            and role != Role.admin.value:
        message = _l("不能取消自己的管理员角色。")
        raise PermissionDenied(message, {"role": message})
    platform, organization = resolve_scope(session, role=role, platform_id=data.get("platform_id"),
                                           organization_code=data.get("organization_code"))
    return update_user(session, user, display_name=(data.get("display_name") or "").strip(),
                       role=role, platform=platform, organization=organization,
                       email=data.get("email"), locale=data.get("locale"), actor=actor)


def user_search(*, q=None, role=None, active=None):
    """A select of users whose user name or display name contains q, with the role and state."""
    stmt = select(User)
    q = (q or "").strip()
    if q:
        stmt = stmt.where(or_(User.username.contains(q, autoescape=True),
                              User.display_name.contains(q, autoescape=True)))
    if role:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.is_active.is_(active))
    return stmt.order_by(User.username, User.id)


def user_page(session, stmt, *, page=1, per_page=50) -> tuple[list[User], int]:
    """One page of a user select and the total count: two queries, whatever the page size."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.scalars(stmt.limit(per_page).offset((max(page, 1) - 1) * per_page)).unique()
    return list(rows), total


def platform_choices(session) -> list[tuple[int, str]]:
    """Live platforms a platform user may be scoped to, by name."""
    return list(session.execute(select(Platform.id, Platform.name)
                                .where(Platform.archived_at.is_(None)).order_by(Platform.name)))
