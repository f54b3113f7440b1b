"""Shared by the weekly tests: a fixed week, the moments around it, and a report made through
the services. Week 2026-W47 is Monday 16 – Sunday 22 November 2026 (center time)."""
from datetime import date, datetime, timedelta

from center.services import weekly
from center.services.venue_rules import CENTER_TZ

KEY = "2026-W47"
MONDAY = date(2026, 11, 16)
SUNDAY = date(2026, 11, 22)
# Friday of the week, 15:30 center time: just after the default schedule (Friday 15:00).
FRIDAY_AFTERNOON = datetime(2026, 11, 20, 15, 30, tzinfo=CENTER_TZ)


def center_time(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=CENTER_TZ).replace(hour=hour,
                                                                                 minute=minute)


def in_week(key: str = KEY, weekday: int = 1, hour: int = 10) -> datetime:
    """A moment of the week (weekday 0 = Monday), center time."""
    monday, _sunday = weekly.parse_week_key(key)
    return center_time(monday + timedelta(days=weekday), hour)


def make_report(session, key: str = KEY, *, summary: str = "", plan: str | None = None,
                actor=None, now: datetime | None = None):
    """A draft made through the services (as the job would), with the narrative given."""
    now = now or in_week(key, weekday=4, hour=16)
    report = weekly.create_draft(session, key, now=now)
    if summary or plan is not None:
        weekly.save_narrative(session, report, summary=summary,
                              plan=report.plan if plan is None else plan, actor=actor)
    session.flush()
    return report


def figure(report_or_figures, module: str, key: str) -> dict:
    figures = getattr(report_or_figures, "figures", report_or_figures)
    return next(f for f in figures["modules"][module]["figures"] if f["key"] == key)
