"""Users, passwords, login sessions, throttling and API tokens."""
import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from center.models.accounts import ROLE_CODES, ApiToken, AuthSession, LoginAttempt, Role, User
from center.models.base import utcnow
from center.services import audit
from center.services.errors import ConflictError, ValidationError

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


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


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
    user.password_hash = hash_password(password)
    revoke_sessions(session, user, now=now)


def set_active(session, user, active: bool, *, actor=None, now=None) -> None:
    """Deactivate or reactivate; deactivation ends sessions and revokes API tokens."""
    audit.acting(session, actor)
    user.is_active = active
    if not active:
        revoke_sessions(session, user, now=now)
        revoke_tokens(session, user, now=now)
    session.flush()


# --- login and throttling -------------------------------------------------------------------

def throttle_wait(session, *, username, ip_address, config, now=None) -> timedelta | None:
    """How long this account/address must wait, or None. Counts recent failures in the DB.

    Failures for one account from one address lock that pair; failures for an account from
    anywhere lock it only at a higher count, and every lock ends with the window, so an
    attacker cannot keep a real user out for long.
    """
    now = now or utcnow()
    window = config["LOGIN_THROTTLE_WINDOW"]
    since = now - window
    failed = (LoginAttempt.succeeded.is_(False)) & (LoginAttempt.attempted_at > since)
    username = (username or "").lower()
    checks = [
        ((LoginAttempt.username == username) & (LoginAttempt.ip_address == ip_address),
         config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"]),
        (LoginAttempt.ip_address == ip_address, config["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
        (LoginAttempt.username == username, config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
    ]
    for condition, limit in checks:
        count, oldest = session.execute(
            select(func.count(), func.min(LoginAttempt.attempted_at)).where(failed & condition)
        ).one()
        if count >= limit:
            oldest = _aware(oldest)
            return max(oldest + window - now, timedelta(seconds=1))
    return None


def _aware(value: datetime) -> datetime:
    from datetime import timezone
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def authenticate(session, *, username, password, ip_address, config, now=None) -> User | None:
    """Check credentials under throttling and record the attempt. Raises ThrottledError."""
    now = now or utcnow()
    wait = throttle_wait(session, username=username, ip_address=ip_address, config=config, now=now)
    if wait:
        raise ThrottledError(wait)
    user = session.scalar(select(User).where(func.lower(User.username) == (username or "").lower()))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    ok = bool(user and valid and user.is_active)
    session.add(LoginAttempt(username=(username or "").lower()[:64], ip_address=ip_address,
                             succeeded=ok, attempted_at=now))
    session.flush()
    return user if ok else None


def start_session(session, user, *, remember=False, ip_address=None, config, now=None) -> AuthSession:
    now = now or utcnow()
    lifetime = config["REMEMBER_COOKIE_DURATION"] if remember else config["SESSION_ABSOLUTE_TIMEOUT"]
    auth = AuthSession(id=secrets.token_urlsafe(32), user=user, created_at=now, last_seen_at=now,
                       expires_at=now + lifetime, remember=remember, ip_address=ip_address)
    session.add(auth)
    session.flush()
    return auth


def load_session(session, session_id, *, config, now=None) -> AuthSession | None:
    """The live session with this id, or None if revoked, expired, idle too long or user inactive."""
    now = now or utcnow()
    auth = session.get(AuthSession, session_id) if session_id else None
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
    session.execute(update(AuthSession).where(AuthSession.id == session_id)
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
