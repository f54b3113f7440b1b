"""The one scheduler process: `flask --app center scheduler`. Never started by create_app or by
web workers (each worker would run every job again).

APScheduler only says *when*; what is due is decided by the jobs themselves, which are
idempotent and look at the records: the weekly job makes every missing draft of the last weeks,
so a scheduler started after two missed Fridays produces both weeks (APScheduler's coalescing
would merge the missed runs into one, and its memory of them is gone after a restart anyway).
Jobs marked `at_start` run once when the scheduler starts, which is the catch-up.

A second scheduler against the same database refuses to start: it takes a lock first
(PostgreSQL: an advisory lock held by one connection; SQLite: a lock file beside the database).
"""
import fcntl
import logging
import os
from contextlib import contextmanager
from datetime import datetime, timedelta

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import text

from center.extensions import db
from center.services import jobs

log = logging.getLogger(__name__)
ADVISORY_LOCK_KEY = 72_160_331  # any constant; the same in every scheduler of this database


class AlreadyRunning(RuntimeError):
    pass


def run_logged(app, job_id: str) -> None:
    """What APScheduler calls: one job run inside an app context, its outcome in job_runs."""
    with app.app_context():
        try:
            run = jobs.run_job(db.session, job_id, config=app.config)
            log.info("job %s: %s %s", job_id, run.status, run.result or "")
        finally:
            db.session.remove()


def build(app) -> BlockingScheduler:
    """A scheduler with every job at its configured time (center time zone)."""
    scheduler = BlockingScheduler(timezone=app.config["CENTER_TIMEZONE"], job_defaults={
        "coalesce": True,  # a backlog of missed runs is one run: the job itself catches up
        "max_instances": 1,
        "misfire_grace_time": 3600,
    })
    start = datetime.now(scheduler.timezone) + timedelta(seconds=2)
    for job_id, job in jobs.JOBS.items():
        fields = app.config["SCHEDULE"][job_id]
        options = {"next_run_time": start} if job.at_start else {}
        scheduler.add_job(run_logged, CronTrigger(timezone=scheduler.timezone, **fields),
                          args=[app, job_id], id=job_id, name=str(job.title),
                          replace_existing=True, **options)
    return scheduler


@contextmanager
def single_instance(app):
    """Hold the scheduler lock for the life of the process, or raise AlreadyRunning."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            if not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                     {"key": ADVISORY_LOCK_KEY}):
                raise AlreadyRunning("another scheduler holds the lock on this database")
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": ADVISORY_LOCK_KEY})
        return
    path = _lock_path(app, engine)
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(f"another scheduler holds {path}") from None
        handle.write(str(os.getpid()))
        handle.flush()
        yield


def _lock_path(app, engine) -> str:
    database = engine.url.database
    if database and database != ":memory:":
        return database + ".scheduler.lock"
    return os.path.join(app.instance_path, "scheduler.lock")
