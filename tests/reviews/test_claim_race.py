""""Claim next" under real concurrency: reviewers in threads, each with its own app context,
database session and connection, press the button at the same moment.

Run on PostgreSQL (TEST_DATABASE_URL: FOR UPDATE SKIP LOCKED) and on SQLite (the test database is
a file, so the threads really share it; the single writer lock serializes the claims).
"""
import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from center.extensions import db
from center.models.accounts import User
from center.models.reviews import ReviewEvent, Submission
from center.services import reviews
from tests.factories import make_user
from tests.reviews.factories import make_cycle, make_submission

REVIEWERS = 8
needs_postgresql = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                      reason="needs PostgreSQL (TEST_DATABASE_URL)")


@pytest.fixture
def waiting(session):
    """Items waiting in the queue (committed), due on different days."""
    def build(count):
        make_cycle(session)
        today = reviews.today_in_center()
        items = [make_submission(session, received_on=today - timedelta(days=n % 20))
                 for n in range(count)]
        session.commit()
        return {s.id for s in items}
    return build


@pytest.fixture
def reviewer_ids(session):
    ids = [make_user(session, role="reviewer").id for _n in range(REVIEWERS)]
    session.commit()
    return ids


def _in_threads(app, reviewer_ids, work) -> dict[int, list[int]]:
    """Run work(session, reviewer) in one thread per reviewer, all released at once; each thread
    has its own app context, so its own scoped session and its own connection."""
    barrier = threading.Barrier(len(reviewer_ids))
    results, errors = {}, []

    def run(reviewer_id):
        try:
            with app.app_context():
                reviewer = db.session.get(User, reviewer_id)
                db.session.commit()  # start the race with no transaction open
                barrier.wait(timeout=30)
                results[reviewer_id] = work(db.session, reviewer)
                db.session.remove()
        except Exception as error:  # reported below: a thread's failure must fail the test
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(rid,)) for rid in reviewer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(results) == len(reviewer_ids)
    return results


def _claim_until_empty(session, reviewer) -> list[int]:
    claimed = []
    while (submission := reviews.claim_next(session, reviewer=reviewer)) is not None:
        claimed.append(submission.id)
        session.commit()
    session.rollback()
    return claimed


def _claim_once(session, reviewer) -> list[int]:
    submission = reviews.claim_next(session, reviewer=reviewer)
    claimed = [submission.id] if submission else []
    session.commit()
    return claimed


def _claimed_events(session) -> dict[int, list[int]]:
    rows = session.execute(select(ReviewEvent.submission_id, ReviewEvent.actor_id)
                           .where(ReviewEvent.kind == "claimed"))
    events = {}
    for submission_id, actor_id in rows:
        events.setdefault(submission_id, []).append(actor_id)
    return events


def test_eight_reviewers_emptying_the_queue_claim_every_item_exactly_once(
        app, session, waiting, reviewer_ids):
    items = waiting(60)
    results = _in_threads(app, reviewer_ids, _claim_until_empty)
    claimed = [item for got in results.values() for item in got]
    assert sorted(claimed) == sorted(items)  # every item, and none twice
    for reviewer_id, got in results.items():
        assert len(got) == len(set(got)), f"reviewer {reviewer_id} got an item twice"
    session.expire_all()
    holders = dict(session.execute(select(Submission.id, Submission.claimed_by_id)).all())
    events = _claimed_events(session)
    for reviewer_id, got in results.items():
        for item in got:
            assert holders[item] == reviewer_id
            assert events[item] == [reviewer_id]  # one claim recorded, by its holder
    assert session.scalar(select(func.count()).select_from(Submission)
                          .where(Submission.state == "in_review")) == len(items)


def test_more_reviewers_than_items_pressing_at_once_hand_out_each_item_once(
        app, session, waiting, reviewer_ids):
    items = waiting(5)
    results = _in_threads(app, reviewer_ids, _claim_once)
    claimed = [item for got in results.values() for item in got]
    assert sorted(claimed) == sorted(items)
    assert sum(1 for got in results.values() if not got) == REVIEWERS - len(items)
    session.expire_all()
    assert all(len(actors) == 1 for actors in _claimed_events(session).values())


@needs_postgresql
def test_claim_next_skips_an_item_another_open_transaction_is_taking(app, session, waiting,
                                                                     reviewer_ids):
    """SKIP LOCKED: while one reviewer's claim is not yet committed, the next reviewer gets the
    following item at once instead of waiting for (and then losing) the first one."""
    items = waiting(2)
    first_taken, second_done = threading.Event(), threading.Event()
    taken = {}

    def slow(reviewer_id):
        with app.app_context():
            reviewer = db.session.get(User, reviewer_id)
            taken["slow"] = reviews.claim_next(db.session, reviewer=reviewer).id
            first_taken.set()
            second_done.wait(timeout=30)  # hold the row lock until the other has claimed
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=slow, args=(reviewer_ids[0],))
    thread.start()
    assert first_taken.wait(timeout=30)
    try:
        with app.app_context():
            reviewer = db.session.get(User, reviewer_ids[1])
            db.session.connection().exec_driver_sql("SET LOCAL lock_timeout = '2s'")
            taken["fast"] = reviews.claim_next(db.session, reviewer=reviewer).id
            db.session.commit()
            db.session.remove()
    finally:
        second_done.set()
        thread.join(timeout=30)
    assert {taken["slow"], taken["fast"]} == items
