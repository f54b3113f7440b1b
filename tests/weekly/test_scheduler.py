"""Exactly one scheduler: never started by create_app or a web request, its own process with
every job under a stable id, a lock refusing a second one, and `flask jobs run` logged like a
scheduled run."""
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import select

from center import create_app
from center import scheduler as center_scheduler
from center.models.weekly import JobRun
from center.services import jobs
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parents[2]


def _runs(session, job_id=None) -> list[JobRun]:
    session.expire_all()
    query = select(JobRun).order_by(JobRun.id)
    if job_id:
        query = query.where(JobRun.job_id == job_id)
    return list(session.scalars(query))


def test_create_app_and_requests_never_start_a_scheduler(app, monkeypatch):
    started = []
    monkeypatch.setattr(BaseScheduler, "start", lambda self, *a, **k: started.append(self))
    other = create_app(base_config(app.config["SQLALCHEMY_DATABASE_URI"]))
    assert other.test_client().get("/login").status_code == 200
    assert started == []
    assert not [t for t in threading.enumerate() if "APScheduler" in t.name]


def test_build_has_every_job_once_under_its_stable_id_at_its_configured_time(app):
    scheduler = center_scheduler.build(app)
    again = center_scheduler.build(app)
    scheduled = {job.id: job for job in scheduler.get_jobs()}
    assert list(scheduled) == list(jobs.JOBS) == [job.id for job in again.get_jobs()]
    assert {"weekly_drafts", "review_digest", "venue_jobs", "send_mail", "prune"} <= set(scheduled)
    for job_id, job in scheduled.items():
        fields = app.config["SCHEDULE"][job_id]
        for name, value in fields.items():
            assert str(job.trigger.fields[job.trigger.FIELD_NAMES.index(name)]) == str(value)
        assert job.args == (app, job_id)
        assert job.func is center_scheduler.run_logged
    assert str(scheduled["weekly_drafts"].trigger.timezone) == "Asia/Shanghai"
    # Jobs that catch up run at start too; coalescing merges a backlog into one run.
    assert getattr(scheduled["weekly_drafts"], "next_run_time", None) is not None
    assert getattr(scheduled["send_mail"], "next_run_time", None) is None
    assert scheduler._job_defaults["coalesce"] is True
    assert scheduler._job_defaults["max_instances"] == 1


def test_what_the_scheduler_calls_runs_the_job_in_its_own_context_and_logs_it(app, session):
    worker = threading.Thread(target=center_scheduler.run_logged, args=(app, "prune"))
    worker.start()
    worker.join(30)
    [run] = _runs(session)
    assert run.job_id == "prune" and run.status == "ok" and run.result.startswith("removed")
    assert run.finished_at >= run.started_at


def test_the_single_instance_lock_refuses_a_second_scheduler(app):
    with center_scheduler.single_instance(app):
        with pytest.raises(center_scheduler.AlreadyRunning):
            with center_scheduler.single_instance(app):
                pass
    with center_scheduler.single_instance(app):  # released when the first one ends
        pass


def test_the_scheduler_command_refuses_to_start_beside_a_running_one(app, runner, monkeypatch):
    monkeypatch.setattr(BaseScheduler, "start", lambda self, *a, **k: pytest.fail("started"))
    with center_scheduler.single_instance(app):
        result = runner.invoke(args=["scheduler"])
    assert result.exit_code == 1
    assert "not started: another scheduler holds" in result.output


def test_jobs_run_logs_a_run_like_the_scheduler(runner, session):
    result = runner.invoke(args=["jobs", "run", "prune"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("prune: ok removed login attempts 0")
    [run] = _runs(session, "prune")
    assert run.status == "ok" and run.error is None


def test_a_failing_job_run_from_the_command_line_is_logged_and_exits_non_zero(runner, session,
                                                                           monkeypatch):
    def broken(session, config, now):
        raise RuntimeError("SMTP password expired")
    monkeypatch.setitem(jobs.JOBS, "prune", jobs.Job("prune", "清理过期记录", broken))
    result = runner.invoke(args=["jobs", "run", "prune"])
    assert result.exit_code == 1 and "RuntimeError: SMTP password expired" in result.output
    [run] = _runs(session, "prune")
    assert run.status == "failed" and "SMTP password expired" in run.error


def test_jobs_list_shows_each_job_with_its_schedule_and_last_run(runner, session):
    runner.invoke(args=["jobs", "run", "prune"])
    output = runner.invoke(args=["jobs", "list"]).output
    lines = {line.split()[0]: line for line in output.splitlines()}
    assert set(lines) == set(jobs.JOBS)
    assert "'day_of_week': 'fri'" in lines["weekly_drafts"]
    assert "never run" in lines["weekly_drafts"]
    assert " ok" in lines["prune"]


def _scheduler_process(app):
    env = {**os.environ, "SECRET_KEY": "scheduler-test",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "PYTHONUNBUFFERED": "1"}
    env.pop("MAIL_SERVER", None)
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "center", "scheduler"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def test_the_scheduler_process_catches_up_at_start_and_a_second_one_refuses(app, session):
    first = _scheduler_process(app)
    try:
        deadline = time.monotonic() + 60
        at_start = {job_id for job_id, job in jobs.JOBS.items() if job.at_start}
        assert {"weekly_drafts", "review_digest", "venue_jobs"} <= at_start
        while time.monotonic() < deadline and not at_start <= {
                r.job_id for r in _runs(session) if r.status != "running"}:
            time.sleep(0.5)
        done = {r.job_id: r for r in _runs(session) if r.status != "running"}
        assert at_start <= set(done), first.stdout.read() if first.poll() is not None else done
        assert done["weekly_drafts"].status == "ok", done["weekly_drafts"].error
        assert done["weekly_drafts"].result.startswith("drafts created: ")
        second = _scheduler_process(app)
        output, _ = second.communicate(timeout=60)
        assert second.returncode == 1 and "not started" in output
    finally:
        first.terminate()
        first.communicate(timeout=30)


FAKE_FLASK = """#!{python}
import signal, sys, time
mode = sys.argv[1]
def stop(signum, frame):
    open("{dir}/" + mode + ".stopped", "w").write(signal.Signals(signum).name)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
    signal.signal(signal.SIGINT, stop)
open("{dir}/" + mode + ".started", "w").write(" ".join(sys.argv[1:]))
while True:
    time.sleep(0.05)
"""


@pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")
def test_make_run_starts_the_scheduler_beside_the_web_server_and_ctrl_c_stops_both(tmp_path):
    fake = tmp_path / "flask"
    fake.write_text(FAKE_FLASK.format(python=sys.executable, dir=tmp_path))
    fake.chmod(0o755)
    make = subprocess.Popen(  # -o setup: the recipe only, without installing and migrating
        ["make", "--no-print-directory", "-o", "setup", "run", f"FLASK={fake}"], cwd=ROOT,
        start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not all(
            (tmp_path / f"{mode}.started").exists() for mode in ("run", "scheduler")):
        time.sleep(0.05)
    assert (tmp_path / "scheduler.started").read_text() == "scheduler"
    assert (tmp_path / "run.started").read_text().startswith("run --host")
    os.killpg(make.pid, signal.SIGINT)  # Ctrl-C in the terminal
    make.communicate(timeout=20)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (tmp_path / "scheduler.stopped").exists():
        time.sleep(0.05)
    assert (tmp_path / "run.stopped").read_text() == "SIGINT"
    assert (tmp_path / "scheduler.stopped").read_text() == "SIGTERM"  # stopped by the recipe
