"""Annual-report pre-review pages (年检预审). One blueprint, `reviews`, in three modules:

- this module: intake at the desk and online by the organization, a submission's page with its
  timeline and files, and the reviewer's work (claim next, release, return, pass, forward);
- review_queue: the queue with filters, bulk assignment and load balancing, reviewers on duty,
  the peak dashboard, Excel exports and bulk intake, cycles and the return-reason checklist;
- review_lookup: the public status lookup and tagging a call as a status enquiry.
"""
from flask import Blueprint

bp = Blueprint("reviews", __name__)

REVIEWERS = ("admin", "manager", "reviewer")  # work the queue
INTAKE = ("admin", "manager", "frontdesk", "reviewer")  # register a report handed in
MANAGERS = ("admin", "manager")  # assign, balance, cycles, checklist
DASHBOARD_READERS = ("admin", "manager", "reviewer", "supervisor")
STAFF = ("admin", "manager", "frontdesk", "reviewer")  # read submissions, tag enquiries


# Registers the other modules' routes on bp (they need bp above).
from center.views import review_lookup, review_queue  # noqa: E402,F401
