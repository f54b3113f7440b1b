"""Scheduled jobs: what each one does, and running one with its outcome logged in job_runs.

Each job is idempotent (a unique key or a done-flag), so running it twice, late, or after a
crash is harmless; that is what lets the scheduler catch up after downtime by simply running
the jobs. A job's work is one transaction: on failure it is rolled back whole, the error is
logged, and the next run starts clean.
"""
import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select

from center.models.accounts import AuthSession, LoginAttempt
from center.models.base import utcnow
from center.models.reviews import LookupAttempt
from center.models.weekly import JobRun, JobRunStatus

log = logging.getLogger(__name__)
KEEP_LOGIN_ATTEMPTS = timedelta(days=30)
KEEP_ENDED_SESSIONS = timedelta(days=30)
KEEP_LOOKUP_ATTEMPTS = timedelta(days=2)
KEEP_JOB_RUNS = timedelta(days=180)


@dataclass(frozen=True)
class Job:
    id: str
    title: str
    run: Callable  # (session, config, now) -> a one-line summary of what it did
    at_start: bool = False  # also run when the scheduler starts (catches up missed runs)


def send_mail(session, config, now) -> str:
    from center.services import notifications

    if not config.get("MAIL_SERVER"):
        return "MAIL_SERVER not configured: e-mails stay queued"
    sent = notifications.send_queued(session, smtp_config=config, now=now)
    return f"sent {sent}, still queued {notifications.queued_count(session)}"


def venue_jobs(session, config, now) -> str:
    from center.services import venues

    expired = venues.expire_holds(session, now=now)
    no_shows = venues.release_no_shows(session, now=now)
    return f"holds expired {expired}, no-shows {no_shows}"


def weekly_drafts(session, config, now) -> str:
    from center.services import weekly

    made = weekly.create_due_drafts(session, now=now,
                                    catch_up_weeks=config["WEEKLY_CATCH_UP_WEEKS"],
                                    schedule=config["SCHEDULE"]["weekly_drafts"])
    return f"drafts created: {', '.join(made) or 'none due'}"


def review_digest(session, config, now) -> str:
    from center.services import review_digest as digest

    return digest.run(session, now=now)


def follow_up_reminders(session, config, now) -> str:
    """Staff hear once a day how many consultation follow-ups are due or overdue."""
    from center.services import consultations

    return f"staff reminded {consultations.remind_follow_ups(session, now=now)}"


def liaison_expiry(session, config, now) -> str:
    """Posts past their expiry day leave the board; referrals not accepted by their deadline
    expire."""
    from center.services import liaison, liaison_referrals

    posts = liaison.expire_posts(session, now=now)
    referrals = liaison_referrals.expire_referrals(session, now=now)
    return f"posts expired {posts}, referrals expired {referrals}"


def prune(session, config, now) -> str:
    """Forget what only matters for a while: throttling records, ended sessions, old job runs."""
    counts = [
        session.execute(delete(LoginAttempt)
                        .where(LoginAttempt.attempted_at < now - KEEP_LOGIN_ATTEMPTS)).rowcount,
        session.execute(delete(AuthSession).where(or_(
            AuthSession.expires_at < now - KEEP_ENDED_SESSIONS,
            AuthSession.revoked_at < now - KEEP_ENDED_SESSIONS))).rowcount,
        session.execute(delete(LookupAttempt)
                        .where(LookupAttempt.at < now - KEEP_LOOKUP_ATTEMPTS)).rowcount,
        session.execute(delete(JobRun).where(JobRun.started_at < now - KEEP_JOB_RUNS)).rowcount,
    ]
    return "removed login attempts {}, sessions {}, lookup attempts {}, job runs {}".format(
        *counts)


JOBS = {job.id: job for job in (
    Job("weekly_drafts", _l("生成工作周报草稿"), weekly_drafts, at_start=True),
    Job("review_digest", _l("年检预审逾期提醒"), review_digest, at_start=True),
    Job("follow_up_reminders", _l("咨询跟进提醒"), follow_up_reminders, at_start=True),
    Job("venue_jobs", _l("场地候补与未到场处理"), venue_jobs, at_start=True),
    Job("liaison_expiry", _l("平台需求与转介到期处理"), liaison_expiry, at_start=True),
    Job("send_mail", _l("发送邮件"), send_mail),
    Job("prune", _l("清理过期记录"), prune),
)}


def run_job(session, job_id: str, *, config, now: datetime | None = None) -> JobRun:
    """Run one job in its own transaction and log the run (committed either way)."""
    job = JOBS[job_id]
    run = JobRun(job_id=job_id, started_at=utcnow(), status=JobRunStatus.running.value)
    session.add(run)
    session.commit()
    try:
        result = job.run(session, config, now or utcnow())
        session.commit()
    except Exception as error:  # any failure: log it on the run, keep the scheduler alive
        session.rollback()
        log.exception("job %s failed", job_id)
        run.status, run.error = JobRunStatus.failed.value, _describe(error)
    else:
        run.status, run.result = JobRunStatus.ok.value, str(result)[:2000]
    run.finished_at = utcnow()
    session.commit()
    return run


def _describe(error: Exception) -> str:
    return "".join(traceback.format_exception(error))[-4000:]


def recent_runs(session, *, limit: int = 200):
    return list(session.scalars(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc())
                                .limit(limit)))


def last_runs(session) -> dict[str, JobRun]:
    """The latest run of each job (for the admin's overview)."""
    runs = {}
    for job_id in JOBS:
        runs[job_id] = session.scalar(select(JobRun).where(JobRun.job_id == job_id)
                                      .order_by(JobRun.started_at.desc(), JobRun.id.desc())
                                      .limit(1))
    return runs
