"""Who may use which route: one declaration per view, enforced for every request.

A view is either ``@public`` or ``@roles(...)``. A route with no declaration is refused
(fail closed), and a test enumerates every route to keep it that way.
"""
from urllib.parse import urlsplit

from flask import abort, current_app, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from center.extensions import db, login_manager
from center.models.accounts import ROLE_CODES
from center.services import accounts, audit

PUBLIC = "public"
ANY_ROLE = frozenset(ROLE_CODES)


def public(view):
    """Mark a view as open to anonymous users."""
    view.access = PUBLIC
    return view


def roles(*allowed):
    """Restrict a view to users holding one of the given roles (codes or Role members)."""
    codes = frozenset(getattr(r, "value", r) for r in allowed)
    unknown = codes - ANY_ROLE
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorate(view):
        view.access = codes
        return view
    return decorate


def any_user(view):
    return roles(*ANY_ROLE)(view)


def view_access(endpoint: str):
    view = current_app.view_functions.get(endpoint)
    if endpoint == "static":
        return PUBLIC
    return getattr(view, "access", None)


def is_api_request() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def api_error(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": str(message)}}
    if fields:
        body["error"]["fields"] = {k: str(v) for k, v in fields.items()}
    return jsonify(body), status


def _bearer_user():
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return accounts.user_for_token(db.session, token.strip())


def enforce_access():
    """before_request: authenticate (cookie for pages, bearer token for the API), then authorize."""
    if request.endpoint is None:
        return None  # 404 or 405 follows
    access = view_access(request.endpoint)
    user = _bearer_user() if is_api_request() else current_user
    g.user = user if user is not None and user.is_authenticated else None
    if db.session.dirty:
        # The session's or token's last use was touched: save it apart from the request's own
        # work, or a read-only request would roll it back and idle sessions would expire.
        db.session.commit()
    audit.acting(db.session, g.user)
    if access == PUBLIC:
        return None
    if g.user is None:
        if is_api_request():
            return api_error(401, "unauthorized", _("需要有效的 API 令牌（Authorization: Bearer …）。"))
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if access is None or g.user.role not in access:
        if is_api_request():
            return api_error(403, "forbidden", _("您的角色无权执行此操作。"))
        abort(403)
    return None


@login_manager.user_loader
def load_user(session_id):
    auth = accounts.load_session(db.session, session_id, config=current_app.config)
    if auth is None:
        return None
    auth.user.session_id = session_id  # the cookie's id; the row holds only its digest
    return auth.user


def is_safe_next(target: str | None) -> bool:
    """Only a local path may be a redirect target after login."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") \
        and not target.startswith("//")


def client_ip() -> str:
    return (request.remote_addr or "unknown")[:45]


def security_headers(response):
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if getattr(g, "user", None) is not None:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def clear_session_for_login():
    """A fresh session on login: nothing from the anonymous session carries over but the language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
