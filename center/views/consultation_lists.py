"""(routes arrive here; see center.views.consultations)"""
from center.views.consultations import bp  # noqa: F401
