"""Consultation pages (咨询辅导). One blueprint, `consultations`, in three modules:

- this module: the quick-entry form, a consultation's page and its changes (follow-up, evaluation)
  and the follow-ups due;
- consultation_lists: the filtered list and its search, the Excel export, the statistics;
- consultation_referrals: experts, resource-union partners, referrals and frequent questions.
"""
from flask import Blueprint

bp = Blueprint("consultations", __name__)

STAFF = ("admin", "manager", "frontdesk")  # log, edit, refer, export
STATS_READERS = ("admin", "manager", "frontdesk", "supervisor")


# Registers the other modules' routes on bp (they need bp above).
from center.views import consultation_lists, consultation_referrals  # noqa: E402,F401
