"""The daily digest of overdue items to the managers: once per working day, idempotent."""
from datetime import date

import pytest
from sqlalchemy import func, select

from center.models.notifications import Notification
from center.models.reviews import ReviewDigest
from center.services import review_digest
from tests.factories import make_user
from tests.reviews.factories import center_time, make_cycle, make_submission

TODAY = date(2026, 3, 16)  # Monday
NOW = center_time(TODAY, 8)


@pytest.fixture
def cycle(session):
    return make_cycle(session)


def _inbox(session, user=None) -> list[Notification]:
    stmt = select(Notification).where(Notification.kind == "review_overdue")
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return list(session.scalars(stmt.order_by(Notification.id)))


def test_digest_names_the_overdue_items_to_each_manager(session, cycle):
    managers = [make_user(session, role="manager") for _ in range(2)]
    make_user(session, role="admin")  # admins are not bothered while managers exist
    late = make_submission(session, received_on=date(2026, 3, 2))  # due 9 March
    make_submission(session, received_on=date(2026, 3, 12))  # not late
    outcome = review_digest.send_overdue_digest(session, now=NOW)
    assert (outcome.sent, outcome.overdue, outcome.recipients) == (True, 1, 2)
    inbox = _inbox(session)
    assert [n.user_id for n in inbox] == [m.id for m in managers]
    assert "1 份年报已超过预审期限" in inbox[0].title
    assert late.receipt_no in inbox[0].body and "已逾期 5 个工作日" in inbox[0].body
    assert inbox[0].link == "/reviews?overdue=1"


def test_second_run_the_same_day_sends_nothing(session, cycle):
    make_user(session, role="manager")
    make_submission(session, received_on=date(2026, 3, 2))
    review_digest.send_overdue_digest(session, now=NOW)
    again = review_digest.send_overdue_digest(session, now=center_time(TODAY, 17))
    assert (again.sent, again.reason) == (False, "done")
    assert len(_inbox(session)) == 1
    assert session.scalar(select(func.count()).select_from(ReviewDigest)) == 1


def test_next_working_day_sends_again(session, cycle):
    make_user(session, role="manager")
    make_submission(session, received_on=date(2026, 3, 2))
    review_digest.send_overdue_digest(session, now=NOW)
    tomorrow = review_digest.send_overdue_digest(session, now=center_time(date(2026, 3, 17), 8))
    assert tomorrow.sent and len(_inbox(session)) == 2


def test_no_digest_on_a_day_off(session, cycle):
    make_user(session, role="manager")
    make_submission(session, received_on=date(2026, 3, 2))
    outcome = review_digest.send_overdue_digest(session, now=center_time(date(2026, 2, 17), 8))
    assert (outcome.sent, outcome.reason) == (False, "day_off")  # Spring Festival
    assert _inbox(session) == [] and session.scalar(select(ReviewDigest)) is None


def test_nothing_overdue_marks_the_day_without_a_message(session, cycle):
    make_user(session, role="manager")
    make_submission(session, received_on=date(2026, 3, 13))
    outcome = review_digest.send_overdue_digest(session, now=NOW)
    assert (outcome.sent, outcome.reason) == (False, "nothing_overdue")
    assert _inbox(session) == []
    assert session.scalar(select(ReviewDigest.overdue_count)) == 0


def test_admins_get_it_where_no_manager_is_set_up(session, cycle):
    admin = make_user(session, role="admin")
    make_submission(session, received_on=date(2026, 3, 2))
    review_digest.send_overdue_digest(session, now=NOW)
    assert [n.user_id for n in _inbox(session)] == [admin.id]


def test_long_lists_are_cut_with_a_count_of_the_rest(session, cycle):
    make_user(session, role="manager")
    reviewer = make_user(session, role="reviewer")
    for _ in range(review_digest.LISTED + 2):
        make_submission(session, received_on=date(2026, 3, 2), reviewer=reviewer)
    review_digest.send_overdue_digest(session, now=NOW)
    body = _inbox(session)[0].body
    assert body.count("\n") == review_digest.LISTED and "另有 2 份" in body


def test_cli_command_reports_what_it_did(app, session, runner, cycle, monkeypatch):
    make_user(session, role="manager")
    make_submission(session, received_on=date(2026, 3, 2))
    session.commit()
    monkeypatch.setattr(review_digest, "utcnow", lambda: NOW)
    first = runner.invoke(args=["review-digest"])
    second = runner.invoke(args=["review-digest"])
    assert first.exit_code == 0 and "1 overdue, digest sent to 1 manager" in first.output
    assert "nothing sent (already sent today)" in second.output
    assert len(_inbox(session)) == 1


def test_scheduler_job_runs_the_digest_once_a_day(app, session, cycle):
    from center.services import jobs

    make_user(session, role="manager")
    make_submission(session, received_on=date(2026, 3, 2))
    session.commit()
    first = jobs.run_job(session, "review_digest", config=app.config, now=NOW)
    second = jobs.run_job(session, "review_digest", config=app.config, now=center_time(TODAY, 9))
    assert (first.status, first.result) == ("ok", "2026-03-16: 1 overdue, sent to 1")
    assert second.result == "2026-03-16: nothing sent (done)"
    assert len(_inbox(session)) == 1
