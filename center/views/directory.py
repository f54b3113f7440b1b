"""Placeholder blueprint: filled in by its module."""
from flask import Blueprint

bp = Blueprint("directory", __name__)
from flask import render_template  # noqa: E402

from center.auth import roles  # noqa: E402


@bp.route("/organizations")
@roles("admin", "manager", "frontdesk", "reviewer")
def organizations():
    return render_template("main/home.html", counts={})


@bp.route("/platforms")
@roles("admin", "manager", "frontdesk", "reviewer", "platform", "supervisor")
def platforms():
    return render_template("main/home.html", counts={})


@bp.route("/regions")
@roles("admin", "manager", "frontdesk", "reviewer", "platform", "supervisor")
def regions():
    return render_template("main/home.html", counts={})
