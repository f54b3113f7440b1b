"""The weekly report's life: a draft per ISO week (made by the scheduler or on demand), figures
regenerated from records without touching the manager's text, versions, and submission.

Week keys are ISO weeks, `2026-W47`: the ISO year, not the calendar year, so 2024-12-30 is in
`2025-W01`. A week is Monday to Sunday in the center's time zone.
"""
import re
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from center.models.base import utcnow
from center.models.weekly import WeeklyReport, WeeklyReportVersion, WeeklyState
from center.services import audit
from center.services.errors import ConflictError, NotFoundError, ValidationError
from center.services.venue_rules import CENTER_TZ, write_lock

_KEY = re.compile(r"([0-9]{4})-W([0-9]{2})")
MAX_NARRATIVE = 20000
WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def center_now(now: datetime | None = None) -> datetime:
    return (now or utcnow()).astimezone(CENTER_TZ)


def week_key(day: date) -> str:
    iso_year, iso_week, _weekday = day.isocalendar()
    return f"{iso_year}-W{iso_week:02d}"


def parse_week_key(key: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week; ValidationError for a week that does not exist."""
    match = _KEY.fullmatch(key or "")
    if match:
        year, week = int(match.group(1)), int(match.group(2))
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:  # week 0, week 54, week 53 of a 52-week year, year 0
            pass
        else:
            return monday, monday + timedelta(days=6)
    raise ValidationError(_l("“%(key)s”不是存在的周（格式如 2026-W47）。", key=key),
                          {"week": _l("不存在的周。")})


def check_not_future(key: str, *, now: datetime | None = None) -> tuple[date, date]:
    """A report is about a week that has begun; next week's does not exist yet."""
    monday, sunday = parse_week_key(key)
    if monday > center_now(now).date():
        raise ValidationError(_l("%(key)s 还没有开始，不能生成周报。", key=key),
                              {"week": _l("这一周还没有开始。")})
    return monday, sunday


def get_report(session, key: str) -> WeeklyReport | None:
    return session.scalar(select(WeeklyReport).where(WeeklyReport.week_key == key))


def _version(session, report, reason: str, actor) -> None:
    number = (session.scalar(select(func.max(WeeklyReportVersion.number))
                             .where(WeeklyReportVersion.report_id == report.id)) or 0) + 1
    session.add(WeeklyReportVersion(report=report, number=number, reason=reason,
                                    figures=report.figures, summary=report.summary,
                                    plan=report.plan, created_by_id=getattr(actor, "id", None)))


def create_draft(session, key: str, *, actor=None, now: datetime | None = None) -> WeeklyReport:
    """The week's report, created as a draft with fresh figures if it does not exist yet
    (idempotent: two runs for one week leave one report)."""
    from center.services import weekly_figures

    monday, sunday = check_not_future(key, now=now)
    report = get_report(session, key)
    if report is not None:
        return report
    audit.acting(session, actor)
    figures = weekly_figures.collect(session, monday, sunday, now=now)
    plan = weekly_figures.plan_for_next_week(session, sunday + timedelta(days=1))
    iso_year, iso_week, _ = monday.isocalendar()
    report = WeeklyReport(week_key=key, iso_year=iso_year, iso_week=iso_week, starts_on=monday,
                          ends_on=sunday, state=WeeklyState.draft.value, figures=figures,
                          figures_generated_at=now or utcnow(), summary="", plan=plan,
                          plan_prefilled=plan, recipients=[])
    # SQLite: begin the write transaction before the savepoint, or the savepoint would open it
    # and its release commit it (a failing job would then leave the weeks before half-written).
    write_lock(session)
    existing = get_report(session, key)  # made by another process while the figures were read
    if existing is not None:
        return existing
    try:
        with session.begin_nested():  # another process may have made it just now
            session.add(report)
            session.flush()
    except IntegrityError:
        return get_report(session, key)
    _version(session, report, "generated", actor)
    session.flush()
    return report


def _locked(report: WeeklyReport) -> None:
    if report.is_locked:
        raise ConflictError(_l("%(key)s 的周报已报送，不能再修改。", key=report.week_key))


def regenerate(session, report: WeeklyReport, *, actor, now: datetime | None = None):
    """Recompute the figures from the records; the narrative stays as the manager wrote it.
    The plan is refreshed only while nobody has edited the prefilled text."""
    from center.services import weekly_figures

    _locked(report)
    audit.acting(session, actor)
    report.figures = weekly_figures.collect(session, report.starts_on, report.ends_on, now=now)
    report.figures_generated_at = now or utcnow()
    fresh_plan = weekly_figures.plan_for_next_week(session, report.ends_on + timedelta(days=1))
    if report.plan == report.plan_prefilled:
        report.plan = fresh_plan
    report.plan_prefilled = fresh_plan
    _version(session, report, "regenerated", actor)
    session.flush()
    return report


def _narrative(value, field: str, errors: dict) -> str:
    if not isinstance(value, str):
        errors[field] = _l("应为文字。")
        return ""
    if len(value) > MAX_NARRATIVE:
        errors[field] = _l("最多 %(n)d 个字，现有 %(m)d 个。", n=MAX_NARRATIVE, m=len(value))
    return value.strip()


def save_narrative(session, report: WeeklyReport, *, summary, plan, actor) -> WeeklyReport:
    """The manager's text: this week's summary and next week's plan (a version is kept)."""
    _locked(report)
    errors: dict = {}
    summary, plan = _narrative(summary, "summary", errors), _narrative(plan, "plan", errors)
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    if (summary, plan) == (report.summary, report.plan):
        return report
    audit.acting(session, actor)
    report.summary, report.plan = summary, plan
    _version(session, report, "edited", actor)
    session.flush()
    return report


def submit(session, report: WeeklyReport, *, recipients: list[dict], actor,
           now: datetime | None = None) -> WeeklyReport:
    """Lock the report and record to whom, when and by whom it went."""
    _locked(report)
    if not report.summary.strip():
        raise ValidationError(_l("请先填写本周工作小结。"),
                              {"summary": _l("报送前请填写本周工作小结。")})
    if not recipients:
        raise ValidationError(_l("没有配置报送对象（WEEKLY_RECIPIENTS）。"))
    audit.acting(session, actor)
    report.state = WeeklyState.submitted.value
    report.submitted_at, report.submitted_by_id = now or utcnow(), actor.id
    report.recipients = [dict(r) for r in recipients]
    report.delivery = "marked_sent"  # weekly_delivery.submit_report records "email" when it mails
    _version(session, report, "submitted", actor)
    session.flush()
    return report


def require(session, key: str, *, submitted_only=False) -> WeeklyReport:
    report = get_report(session, key)
    if report is None or (submitted_only and not report.is_locked):
        raise NotFoundError(_l("没有 %(key)s 的周报。", key=key))
    return report


def scheduled_moment(monday: date, schedule: dict) -> datetime:
    """When the job makes the draft of the week starting `monday` (default: Friday 15:00)."""
    weekday = WEEKDAYS.get(str(schedule.get("day_of_week", "fri"))[:3], 4)
    at = time(int(schedule.get("hour", 15)), int(schedule.get("minute", 0)))
    return datetime.combine(monday + timedelta(days=weekday), at, tzinfo=CENTER_TZ)


def create_due_drafts(session, *, now: datetime | None = None, catch_up_weeks: int = 8,
                      schedule: dict | None = None) -> list[str]:
    """Drafts for every week of the last `catch_up_weeks` whose scheduled moment has passed and
    that has no report yet, oldest first; returns the keys made. A run after downtime thus makes
    up every missed week, and a second run makes nothing."""
    now = center_now(now)
    this_monday = now.date() - timedelta(days=now.weekday())
    made = []
    for back in range(catch_up_weeks, -1, -1):
        monday = this_monday - timedelta(weeks=back)
        key = week_key(monday)
        if scheduled_moment(monday, schedule or {}) <= now and get_report(session, key) is None:
            create_draft(session, key, now=now)
            made.append(key)
    return made
