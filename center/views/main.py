"""Home page per role."""
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from center.auth import any_user
from center.extensions import db
from center.models.directory import Organization, Platform

bp = Blueprint("main", __name__)


@bp.route("/")
@any_user
def home():
    counts = {}
    if current_user.role in ("admin", "manager", "frontdesk", "reviewer", "supervisor"):
        counts["organizations"] = db.session.scalar(
            select(func.count()).select_from(Organization).where(Organization.archived_at.is_(None)))
        counts["platforms"] = db.session.scalar(
            select(func.count()).select_from(Platform).where(Platform.archived_at.is_(None)))
    return render_template("main/home.html", counts=counts)
