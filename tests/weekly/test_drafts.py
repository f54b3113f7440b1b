"""Weekly drafts made by the scheduler's job: at most one per week, every missed week made up
after downtime, nothing half-written when a run fails; regenerating keeps the narrative; each
saved state is a version."""
import os
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from center.extensions import db
from center.models.weekly import JobRun, WeeklyReport
from center.services import jobs, weekly, weekly_figures
from center.services.venue_rules import CENTER_TZ
from tests.consultations.factories import make_consultation
from tests.factories import make_user
from tests.weekly.helpers import FRIDAY_AFTERNOON, KEY, figure, in_week, make_report


def _keys(session) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(WeeklyReport.week_key).order_by(WeeklyReport.week_key)))


def _run(session, app, now) -> JobRun:
    return jobs.run_job(session, "weekly_drafts", config=app.config, now=now)


def test_two_scheduler_runs_in_the_same_week_make_one_report(app, session):
    app.config["WEEKLY_CATCH_UP_WEEKS"] = 0
    first = _run(session, app, FRIDAY_AFTERNOON)
    second = _run(session, app, FRIDAY_AFTERNOON + timedelta(days=1))
    assert (first.status, first.result) == ("ok", f"drafts created: {KEY}")
    assert (second.status, second.result) == ("ok", "drafts created: none due")
    assert _keys(session) == [KEY]
    report = weekly.get_report(session, KEY)
    assert [(v.reason, v.created_by_id) for v in report.versions] == [("generated", None)]


def test_no_draft_before_the_scheduled_moment(app, session):
    app.config["WEEKLY_CATCH_UP_WEEKS"] = 0
    run = _run(session, app, datetime(2026, 11, 20, 14, 59, tzinfo=CENTER_TZ))
    assert run.result == "drafts created: none due" and _keys(session) == []


def test_the_schedule_is_configurable(app, session):
    app.config["WEEKLY_CATCH_UP_WEEKS"] = 0
    app.config["SCHEDULE"] = {**app.config["SCHEDULE"],
                              "weekly_drafts": {"day_of_week": "thu", "hour": 9, "minute": 30}}
    _run(session, app, datetime(2026, 11, 19, 9, 31, tzinfo=CENTER_TZ))
    assert _keys(session) == [KEY]


def test_a_scheduler_started_after_two_missed_fridays_makes_both_weeks(app, session):
    app.config["WEEKLY_CATCH_UP_WEEKS"] = 3
    make_report(session, "2026-W45")  # the last Friday before the downtime
    session.commit()
    monday_after = datetime(2026, 11, 23, 9, tzinfo=CENTER_TZ)  # W48 has begun, its Friday not
    run = _run(session, app, monday_after)
    assert run.status == "ok" and run.result == "drafts created: 2026-W46, 2026-W47"
    assert _keys(session) == ["2026-W45", "2026-W46", "2026-W47"]
    assert _run(session, app, monday_after + timedelta(minutes=5)).result == \
        "drafts created: none due"


def test_a_run_failing_half_way_leaves_nothing_and_the_next_run_succeeds(app, session,
                                                                        monkeypatch):
    app.config["WEEKLY_CATCH_UP_WEEKS"] = 1  # W46 and W47 due at once
    real_collect, calls = weekly_figures.collect, []

    def collect_failing_on_the_second_week(session, first, last, **kwargs):
        calls.append(first)
        if len(calls) == 2:
            raise RuntimeError("database went away while counting")
        return real_collect(session, first, last, **kwargs)
    monkeypatch.setattr(weekly_figures, "collect", collect_failing_on_the_second_week)
    failed = _run(session, app, FRIDAY_AFTERNOON)
    assert failed.status == "failed" and failed.result is None
    assert "RuntimeError: database went away while counting" in failed.error
    assert _keys(session) == []  # the first week's draft went with the failed run
    monkeypatch.setattr(weekly_figures, "collect", real_collect)
    retried = _run(session, app, FRIDAY_AFTERNOON + timedelta(minutes=1))
    assert retried.status == "ok" and _keys(session) == ["2026-W46", KEY]
    statuses = session.scalars(select(JobRun.status).order_by(JobRun.id)).all()
    assert statuses == ["failed", "ok"]


def test_regenerating_refreshes_the_figures_and_keeps_the_narrative(session):
    report = make_report(session, summary="经理写的小结", plan="经理改过的计划")
    assert figure(report, "consultations", "consultations")["value"] == 0
    make_consultation(session, occurred_at=in_week(KEY, 3))
    manager = make_user(session, role="manager")
    weekly.regenerate(session, report, actor=manager, now=FRIDAY_AFTERNOON + timedelta(hours=1))
    assert figure(report, "consultations", "consultations")["value"] == 1
    assert (report.summary, report.plan) == ("经理写的小结", "经理改过的计划")
    assert report.figures_generated_at == FRIDAY_AFTERNOON + timedelta(hours=1)


def test_regenerating_refreshes_a_plan_nobody_edited(session):
    from tests.factories import make_booking

    report = make_report(session)
    assert "场地活动（0 场）" in report.plan
    make_booking(session, starts_at=in_week("2026-W48", 2, hour=14), title="公益项目路演")
    weekly.regenerate(session, report, actor=None)
    assert "场地活动（1 场）" in report.plan and "公益项目路演" in report.plan


def test_each_saved_state_is_a_version_with_its_snapshot(session):
    manager = make_user(session, role="manager")
    report = make_report(session)
    weekly.save_narrative(session, report, summary="第一稿", plan="计划", actor=manager)
    weekly.save_narrative(session, report, summary="第一稿", plan="计划", actor=manager)  # same
    make_consultation(session, occurred_at=in_week(KEY, 0))
    weekly.regenerate(session, report, actor=manager)
    weekly.submit(session, report, recipients=[{"name": "服务发展处"}], actor=manager)
    session.flush()
    session.expire_all()
    versions = weekly.get_report(session, KEY).versions
    assert [(v.number, v.reason) for v in versions] == [
        (1, "generated"), (2, "edited"), (3, "regenerated"), (4, "submitted")]
    assert versions[0].summary == "" and versions[1].summary == "第一稿"
    assert figure(versions[1].figures, "consultations", "consultations")["value"] == 0
    assert figure(versions[2].figures, "consultations", "consultations")["value"] == 1
    assert [v.created_by_id for v in versions] == [None, manager.id, manager.id, manager.id]


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                    reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_two_processes_drafting_the_same_week_at_once_make_one_report(app, session):
    """The second waits on the unique key, then finds the first one's report."""
    now = FRIDAY_AFTERNOON
    first = weekly.create_draft(session, KEY, now=now)  # flushed, not committed: holds the key
    result = {}

    def second_process():
        with app.app_context(), Session(db.engine) as other:
            result["id"] = weekly.create_draft(other, KEY, now=now).id
            other.commit()
    thread = threading.Thread(target=second_process)
    thread.start()
    time.sleep(0.5)  # the other insert is now waiting on the unique index
    session.commit()
    thread.join(10)
    assert result["id"] == first.id
    assert session.scalar(select(func.count()).select_from(WeeklyReport)) == 1
