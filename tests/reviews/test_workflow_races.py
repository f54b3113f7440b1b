"""Races on the pre-review state machine: several requests at the same moment, each with its
own connection (SQLite: the file database's writer lock; PostgreSQL: row locks and the partial
unique index). Exactly one wins; the others get a clear ConflictError, never a 500."""
import threading

import pytest
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from center.extensions import db
from center.models.accounts import User
from center.models.directory import Organization
from center.models.reviews import ReviewEvent, Submission
from center.services import reviews
from tests.factories import make_organization, make_user
from tests.reviews.factories import make_cycle, make_submission


@pytest.fixture
def cycle(session):
    reviews.seed_return_reasons(session)
    return make_cycle(session, year=2025)


def _at_once(count, work):
    """Run work(session, index) in `count` threads released together; each commits or reports
    the error it raised. Returns the outcomes ("ok" or the error class name), sorted."""
    app, barrier, outcomes = current_app._get_current_object(), threading.Barrier(count), []

    def run(index):
        with app.app_context(), Session(db.engine) as own:
            barrier.wait()
            try:
                work(own, index)
                own.commit()
                outcomes.append("ok")
            except Exception as error:  # noqa: BLE001 - the outcome is what is asserted
                own.rollback()
                outcomes.append(type(error).__name__)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_four_simultaneous_passes_of_one_item_decide_it_once(app, session, cycle):
    submission = make_submission(session, state="in_review")
    submission_id, reviewer_id = submission.id, submission.claimed_by_id
    session.commit()

    def pass_it(own, _index):
        reviews.pass_submission(own, own.get(Submission, submission_id),
                                actor=own.get(User, reviewer_id))
    assert _at_once(4, pass_it) == ["ConflictError"] * 3 + ["ok"]
    kinds = session.scalars(select(ReviewEvent.kind).where(
        ReviewEvent.submission_id == submission_id)).all()
    assert kinds.count("passed") == 1


def test_a_release_and_a_return_at_once_leave_one_consistent_outcome(app, session, cycle):
    submission = make_submission(session, state="in_review")
    submission_id, reviewer_id = submission.id, submission.claimed_by_id
    manager_id = make_user(session, role="manager").id
    session.commit()

    def act(own, index):
        item = own.get(Submission, submission_id)
        if index == 0:
            reviews.release(own, item, actor=own.get(User, manager_id))
        else:
            reviews.return_submission(own, item, reasons=["late"], actor=own.get(User, reviewer_id))
    outcomes = _at_once(2, act)
    assert outcomes.count("ok") >= 1 and "IntegrityError" not in outcomes
    session.expire_all()
    stored = session.get(Submission, submission_id)
    last = stored.events[-1]
    assert (last.kind, last.state) in {("released", "received"), ("returned", "returned")}
    assert stored.state == last.state


def test_simultaneous_intakes_of_one_report_register_it_once(app, session, cycle):
    org_id = make_organization(session).id
    session.commit()

    def take_in(own, _index):
        reviews.register_submission(own, organization=own.get(Organization, org_id), year=2025,
                                    actor=None)
    assert _at_once(4, take_in) == ["ConflictError"] * 3 + ["ok"]
    assert session.scalar(select(func.count()).select_from(Submission)) == 1
