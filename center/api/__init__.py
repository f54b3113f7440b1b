"""JSON API at /api/v1: bearer-token authentication, the error shape of DESIGN.md §3.

Authentication and roles are enforced by `center.auth.enforce_access` (a token, never the
cookie); routes declare roles with `@roles(...)` like the pages. A module adds its routes and
documents them in `center.api.openapi`, then is imported at the bottom of this file.
"""
from flask import Blueprint

from center.auth import api_error
from center.services.errors import DomainError

api = Blueprint("api", __name__, url_prefix="/api/v1")


@api.errorhandler(DomainError)
def domain_error(error: DomainError):
    """Service and input errors: 400, 404, 409, 422 with the message and per-field reasons."""
    return api_error(error.status, error.code, error.message, error.fields)


@api.after_request
def bearer_challenge(response):
    """RFC 6750: a 401 names the scheme the client should use."""
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="center"')
    return response


from center.api import openapi  # noqa: E402,F401  (first: the others register into it)
from center.api import directory  # noqa: E402,F401
from center.api import venues  # noqa: E402,F401
from center.api import consultations  # noqa: E402,F401
from center.api import reviews  # noqa: E402,F401  (imports reviews_doc at its bottom)
from center.api import weekly  # noqa: E402,F401  (imports weekly_doc at its bottom)
from center.api import liaison  # noqa: E402,F401
