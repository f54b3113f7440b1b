"""What the venue pages (center.views.venues) and the booking pages (center.views.venue_bookings)
share: who may do what, the clock, and how a service's field errors reach a form."""
from datetime import datetime, timezone

from flask import flash
from flask_login import current_user

from center.extensions import db
from center.services.errors import DomainError

VIEWERS = ("admin", "manager", "frontdesk", "reviewer", "supervisor", "org")
MANAGERS = ("admin", "manager")
BOOKERS = ("admin", "manager", "frontdesk", "org")
DESK = ("admin", "manager", "frontdesk")
USAGE_READERS = ("admin", "manager", "supervisor")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def private_to() -> int | None:
    """An organization's contact sees other organizations' bookings only as taken."""
    return current_user.organization_id if current_user.role == "org" else None


def show_errors(form, error: DomainError, aliases=None) -> None:
    """Put a service's field messages beside the fields; what has no field goes in a flash."""
    db.session.rollback()
    placed = False
    for name, message in error.fields.items():
        target = getattr(form, (aliases or {}).get(name, name), None)
        if target is not None:
            target.errors = [*target.errors, message]
            placed = True
    if not placed:
        flash(str(error.message), "error")
