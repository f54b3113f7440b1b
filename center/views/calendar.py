"""Placeholder blueprint: filled in by its module."""
from flask import Blueprint

bp = Blueprint("calendar", __name__)
from flask import render_template  # noqa: E402

from center.auth import roles  # noqa: E402


@bp.route("/calendar")
@roles("admin", "manager")
def index():
    return render_template("main/home.html", counts={})
