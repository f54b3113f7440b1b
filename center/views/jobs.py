"""The admin's job log (定时任务): each scheduled job with its schedule, next and last run, and
every run with when, what, result and error. Jobs run in the scheduler process only; this page
reads what they logged and never runs one."""
from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger
from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from center.auth import roles
from center.extensions import db
from center.models.weekly import JOB_STATUS_LABELS, JobRun
from center.services import jobs
from center.services.field_checks import ascii_int
from center.services.weekly import center_now
from center.views._helpers import now_utc

bp = Blueprint("jobs", __name__, url_prefix="/admin")

MAX_PAGE = 100_000
STALE_RUN = timedelta(hours=1)  # a run still "running" after this was most likely cut off
QUIET = timedelta(hours=24)  # no run at all for this long: the scheduler is probably not running
DAYS = {"mon": _l("周一"), "tue": _l("周二"), "wed": _l("周三"), "thu": _l("周四"), "fri": _l("周五"),
        "sat": _l("周六"), "sun": _l("周日")}


@bp.route("/jobs")
@roles("admin")
def index():
    job_id, status = request.args.get("job") or None, request.args.get("status") or None
    problems = []
    if job_id is not None and job_id not in jobs.JOBS:
        problems.append(_("没有名为“%(job)s”的任务，已显示全部任务。", job=job_id))
        job_id = None
    if status is not None and status not in JOB_STATUS_LABELS:
        problems.append(_("没有“%(status)s”这种状态，已显示全部状态。", status=status))
        status = None
    page = min(MAX_PAGE, max(1, request.args.get("page", 1, type=int)))
    per_page = current_app.config["PER_PAGE"]
    runs, total = _runs(job_id, status, page, per_page)
    now = now_utc()
    return render_template("admin/jobs.html", overview=_overview(now), runs=runs, total=total,
                           page=page, per_page=per_page, job_id=job_id, status=status,
                           problems=problems, quiet=_quiet(now), stale=now - STALE_RUN,
                           titles={k: j.title for k, j in jobs.JOBS.items()},
                           status_labels=JOB_STATUS_LABELS)


def _runs(job_id, status, page: int, per_page: int):
    query = select(JobRun)
    if job_id:
        query = query.where(JobRun.job_id == job_id)
    if status:
        query = query.where(JobRun.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(JobRun.started_at.desc(), JobRun.id.desc())
                              .limit(per_page).offset((page - 1) * per_page))
    return list(rows), total


def _overview(now) -> list[dict]:
    last = jobs.last_runs(db.session)
    rows = []
    for job_id, job in jobs.JOBS.items():
        fields = current_app.config["SCHEDULE"].get(job_id) or {}
        next_run, error = _next_run(fields, now)
        rows.append({"id": job_id, "title": job.title, "schedule": describe_schedule(fields),
                     "fields": fields, "next_run": next_run, "schedule_error": error,
                     "at_start": job.at_start, "last": last[job_id],
                     "last_ok": _last_ok(job_id)})
    return rows


def _last_ok(job_id: str):
    return db.session.scalar(select(func.max(JobRun.finished_at))
                             .where(JobRun.job_id == job_id, JobRun.status == "ok"))


def _next_run(fields: dict, now):
    """When the scheduler will next run it, from the configured cron fields."""
    try:
        trigger = CronTrigger(timezone=current_app.config["CENTER_TIMEZONE"], **fields)
    except (TypeError, ValueError) as error:
        return None, str(error)
    return trigger.get_next_fire_time(None, center_now(now)), None


def describe_schedule(fields: dict) -> str:
    """The common cron shapes in words ("每周五 15:00", "每 5 分钟"); others as cron fields."""
    keys = set(fields)
    minute, hour = str(fields.get("minute", "")), str(fields.get("hour", ""))
    if keys == {"minute"} and minute == "*":
        return _("每分钟")
    if keys == {"minute"} and minute.startswith("*/") and ascii_int(minute[2:]) is not None:
        return _("每 %(n)s 分钟", n=minute[2:])
    if keys <= {"day_of_week", "hour", "minute"} and ascii_int(minute) is not None \
            and ascii_int(hour) is not None:
        at = f"{int(hour):02d}:{int(minute):02d}"
        days = _days(str(fields.get("day_of_week", "")))
        if days is not None:
            return f"{days} {at}"
    return "; ".join(f"{name}={value}" for name, value in fields.items()) or _("未配置")


def _days(value: str) -> str | None:
    if not value:
        return _("每天")
    if value in DAYS:
        return _("每%(day)s", day=DAYS[value])
    first, dash, last = value.partition("-")
    if dash and first in DAYS and last in DAYS:
        return _("%(first)s至%(last)s", first=DAYS[first], last=DAYS[last])
    return None


def _quiet(now) -> str | None:
    """A warning when no job has run lately: the scheduler process is probably not running."""
    latest = db.session.scalar(select(func.max(JobRun.started_at)))
    command = "flask --app center scheduler"
    if latest is None:
        return _("还没有任何任务运行过：调度进程（%(command)s）可能没有启动。", command=command)
    if latest < now - QUIET:
        return _("最近 24 小时没有任何任务运行：调度进程（%(command)s）可能没有启动。",
                 command=command)
    return None
