"""What every page module shares: the clock and how a service's field errors reach a form."""
from datetime import datetime, timezone

from flask import flash

from center.extensions import db
from center.services.errors import DomainError


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


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
