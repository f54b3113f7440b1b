"""What the venue pages (center.views.venues) and the booking pages (center.views.venue_bookings)
share: who may do what, the clock, and how a service's field errors reach a form."""
from flask_login import current_user

from center.views._helpers import now_utc, show_errors  # noqa: F401  (shared by both modules)

VIEWERS = ("admin", "manager", "frontdesk", "reviewer", "supervisor", "org")
MANAGERS = ("admin", "manager")
BOOKERS = ("admin", "manager", "frontdesk", "org")
DESK = ("admin", "manager", "frontdesk")
USAGE_READERS = ("admin", "manager", "supervisor")


def private_to() -> int | None:
    """An organization's contact sees other organizations' bookings only as taken."""
    return current_user.organization_id if current_user.role == "org" else None
