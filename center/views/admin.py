"""Placeholder blueprint: filled in by its module."""
from flask import Blueprint

bp = Blueprint("admin", __name__)
from flask import render_template  # noqa: E402

from center.auth import roles  # noqa: E402


@bp.route("/admin/users")
@roles("admin")
def users():
    return render_template("main/home.html", counts={})


@bp.route("/admin/audit")
@roles("admin")
def audit_log():
    return render_template("main/home.html", counts={})
