"""Three-tier platform liaison pages (市区街三级平台联动). One blueprint, `liaison`, in modules:

- this module: posts (needs and offers) of a platform, the form, the city-wide board and its
  picture, the Excel template;
- liaison_matches: ranked offers for a need and the match pages;
- liaison_meetings: quarterly joint meetings and their decisions;
- liaison_referrals: referrals of organizations between platforms.

Who may see and change what is the services' object-level rule (center.services.liaison and
its siblings): 404 for what the caller may not know exists, 403 for what it may see but not change.
"""
from flask import Blueprint

bp = Blueprint("liaison", __name__, url_prefix="/liaison")

PLATFORM_USERS = ("admin", "manager", "frontdesk", "platform")  # post, match, refer
READERS = PLATFORM_USERS + ("supervisor",)  # the board and the meetings


from center.views import liaison_matches, liaison_meetings, liaison_referrals  # noqa: E402,F401
