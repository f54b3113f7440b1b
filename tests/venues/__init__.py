"""Shared data of the venue tests: a fixed `now` and local times, so dates are deterministic."""
from datetime import datetime

from center.services.venues import CENTER_TZ

# A Tuesday; the default venue rules (24 h lead, 60 days ahead) allow 2026-09-02 .. 2026-10-31.
NOW = datetime(2026, 9, 1, 9, 0, tzinfo=CENTER_TZ)


def at(day: str, hour: int, minute: int = 0) -> datetime:
    """A moment in the center's local time: at("2026-09-14", 9) is Monday 09:00 in Beijing."""
    year, month, dom = (int(part) for part in day.split("-"))
    return datetime(year, month, dom, hour, minute, tzinfo=CENTER_TZ)
