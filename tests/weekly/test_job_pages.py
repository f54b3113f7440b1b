"""The admin's job log: each job's schedule, next and last run; every run with when, what,
result and error; filters; warnings when the scheduler seems not to run."""
import re
from datetime import timedelta

import pytest

from center.models.base import utcnow
from center.models.weekly import JobRun
from center.services.jobs import JOBS
from center.views.jobs import describe_schedule


def _text(response) -> str:
    return response.get_data(as_text=True)


def _run(session, job_id, status="ok", *, ago=timedelta(minutes=5), result=None, error=None):
    started = utcnow() - ago
    run = JobRun(job_id=job_id, status=status, started_at=started, result=result, error=error,
                 finished_at=None if status == "running" else started + timedelta(seconds=2))
    session.add(run)
    session.flush()
    return run


def _rows(html: str) -> dict[str, str]:
    table = re.search(r'<table class="list" id="runs">(.*?)</table>', html, re.S)
    return dict(re.findall(r'<tr data-run="(\d+)"[^>]*>(.*?)</tr>', table.group(1), re.S)) \
        if table else {}


def test_each_job_is_listed_with_its_schedule_next_and_last_run(auth, session):
    _run(session, "weekly_drafts", result="drafts created: 2026-W47")
    session.commit()
    auth.login("admin")
    html = _text(auth.client.get("/admin/jobs"))
    jobs = dict(re.findall(r'<tr data-job="([a-z_]+)">(.*?)</tr>', html, re.S))
    assert list(jobs) == list(JOBS)  # every job, in the registry's order
    assert "生成工作周报草稿" in jobs["weekly_drafts"] and "每周五 15:00" in jobs["weekly_drafts"]
    assert "成功" in jobs["weekly_drafts"] and "调度进程启动时也运行一次" in jobs["weekly_drafts"]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", jobs["send_mail"])  # next run
    assert "每分钟" in jobs["send_mail"] and "从未运行" in jobs["send_mail"]
    assert "周一至周五 08:30" in jobs["review_digest"] and "每天 03:17" in jobs["prune"]


def test_the_log_shows_when_what_result_and_error(auth, session):
    ok = _run(session, "weekly_drafts", result="drafts created: 2026-W47")
    failed = _run(session, "send_mail", "failed", ago=timedelta(minutes=1),
                  error="Traceback (most recent call last):\n  ...\nOSError: connection refused\n")
    session.commit()
    auth.login("admin")
    rows = _rows(_text(auth.client.get("/admin/jobs")))
    assert list(rows) == [str(failed.id), str(ok.id)]  # newest first
    assert "发送邮件" in rows[str(failed.id)] and "失败" in rows[str(failed.id)]
    assert "<summary>OSError: connection refused</summary>" in rows[str(failed.id)]
    assert "Traceback" in rows[str(failed.id)]
    assert "drafts created: 2026-W47" in rows[str(ok.id)] and "2.0 秒" in rows[str(ok.id)]


def test_the_log_filters_by_job_and_status(auth, session):
    mail = _run(session, "send_mail", "failed", error="OSError: x")
    _run(session, "send_mail")
    _run(session, "prune")
    session.commit()
    auth.login("admin")
    assert list(_rows(_text(auth.client.get("/admin/jobs?job=send_mail&status=failed")))) == \
        [str(mail.id)]
    assert len(_rows(_text(auth.client.get("/admin/jobs?job=send_mail")))) == 2


def test_an_unknown_filter_is_said_and_ignored_not_an_error(auth, session):
    _run(session, "prune")
    session.commit()
    auth.login("admin")
    response = auth.client.get("/admin/jobs?job=drop_tables&status=exploded&page=-3")
    html = _text(response)
    assert response.status_code == 200
    assert "没有名为“drop_tables”的任务" in html and "没有“exploded”这种状态" in html
    assert len(_rows(html)) == 1


def test_a_run_cut_off_long_ago_is_flagged(auth, session):
    _run(session, "weekly_drafts", "running", ago=timedelta(hours=3))
    _run(session, "send_mail", "running", ago=timedelta(seconds=10))
    session.commit()
    auth.login("admin")
    html = _text(auth.client.get("/admin/jobs"))
    assert html.count("可能已中断") == 1 and "运行中" in html


def test_a_silent_scheduler_is_warned_about(auth, session):
    auth.login("admin")
    assert "还没有任何任务运行过" in _text(auth.client.get("/admin/jobs"))
    _run(session, "prune", ago=timedelta(days=2))
    session.commit()
    assert "最近 24 小时没有任何任务运行" in _text(auth.client.get("/admin/jobs"))
    _run(session, "send_mail", ago=timedelta(minutes=1))
    session.commit()
    assert 'id="quiet"' not in _text(auth.client.get("/admin/jobs"))


def test_a_mistyped_schedule_is_shown_not_a_500(auth, app):
    app.config["SCHEDULE"] = {**app.config["SCHEDULE"], "prune": {"hour": 25}}
    auth.login("admin")
    response = auth.client.get("/admin/jobs")
    assert response.status_code == 200 and "配置有误" in _text(response)


@pytest.mark.parametrize("role", ["manager", "supervisor", "frontdesk"])
def test_only_admins_see_the_job_log(auth, role):
    auth.login(role)
    assert auth.client.get("/admin/jobs").status_code == 403


@pytest.mark.parametrize(("fields", "words"), [
    ({"minute": "*"}, "每分钟"),
    ({"minute": "*/5"}, "每 5 分钟"),
    ({"hour": 3, "minute": 17}, "每天 03:17"),
    ({"day_of_week": "fri", "hour": 15, "minute": 0}, "每周五 15:00"),
    ({"day_of_week": "mon-fri", "hour": 8, "minute": 30}, "周一至周五 08:30"),
    ({"day_of_week": "mon,wed", "hour": 8, "minute": 0}, "day_of_week=mon,wed; hour=8; minute=0"),
    ({}, "未配置"),
])
def test_schedules_are_described_in_words(app, fields, words):
    with app.test_request_context():
        assert describe_schedule(fields) == words
