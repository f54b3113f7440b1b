"""JSON API at /api/v1: bearer-token authentication, the error shape of DESIGN.md §3."""
from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

from center.api import openapi  # noqa: E402,F401
