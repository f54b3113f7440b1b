"""(routes arrive here; see center.views.reviews)"""
from center.views.reviews import bp  # noqa: F401
