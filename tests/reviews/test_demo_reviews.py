"""The demo pre-review data: every state, valid timelines, a real pace, deterministic, once."""
import hashlib
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from center.extensions import db
from center.models.notifications import Notification
from center.models.reviews import (ReviewCycle, ReviewDuty, ReviewEnquiry, ReviewEvent,
                                   Submission, SubmissionFile)
from center.reports import review_status
from center.reports import reviews as pace
from center.services import calendar, demo, demo_reviews, reviews
from tests.factories import make_organization, make_user

NOW = datetime(2026, 3, 20, 2, 0, tzinfo=timezone.utc)  # Friday 10:00 in Beijing
# What each event may follow (None: the first event).
FOLLOWS = {"received": {None}, "claimed": {"received", "resubmitted"},
           "returned": {"claimed"}, "passed": {"claimed"}, "resubmitted": {"returned"},
           "forwarded": {"passed"}, "withdrawn": {"received"}}


@pytest.fixture
def base(session):
    """The demo's people and 260 organizations, without the rest of the demo."""
    for role in ("reviewer", "manager", "frontdesk"):
        make_user(session, role=role)
    org_user = make_user(session, role="org")
    orgs = [make_organization(session) for _n in range(259)]
    session.commit()
    return {"org_user": org_user, "orgs": orgs}


def _build(session, now=NOW) -> int:
    made = demo_reviews.add_reviews(session, now=now)
    session.commit()
    return made


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _digest(session, *, skip_organization) -> str:
    """The data set without database ids, leaving out the one report taken in through the real
    intake (its receipt number is drawn at random, so it cannot be guessed)."""
    played = Submission.organization_id != skip_organization
    subs = session.execute(
        select(Submission.receipt_no, Submission.state, Submission.received_on,
               Submission.due_on, Submission.correction_due_on, Submission.return_count)
        .where(played).order_by(Submission.receipt_no)).all()
    events = session.execute(
        select(Submission.receipt_no, ReviewEvent.kind, ReviewEvent.at, ReviewEvent.reason_codes)
        .join(Submission, ReviewEvent.submission_id == Submission.id).where(played)
        .order_by(Submission.receipt_no, ReviewEvent.at, ReviewEvent.kind)).all()
    return hashlib.sha256(repr((subs, events)).encode()).hexdigest()


def test_demo_cycle_has_a_few_hundred_reports_in_every_state(session, base):
    assert _build(session) == 240
    cycle = session.scalar(select(ReviewCycle))
    assert cycle.year == 2025
    states = demo_reviews.summary(session)
    assert set(states) == {"received", "in_review", "returned", "resubmitted", "passed",
                           "forwarded", "withdrawn"}
    assert sum(states.values()) == 240 and states["received"] >= 20
    assert _count(session, SubmissionFile) == 239  # the demo organization's came in online
    assert _count(session, ReviewDuty) == 2


def test_every_demo_timeline_follows_the_state_machine(session, base):
    _build(session)
    cycle = session.scalar(select(ReviewCycle))
    events = {}
    for event in session.scalars(select(ReviewEvent).order_by(ReviewEvent.at, ReviewEvent.id)):
        events.setdefault(event.submission_id, []).append(event)
    receipts = set()
    for submission in session.scalars(select(Submission)):
        timeline = events[submission.id]
        kinds = [e.kind for e in timeline if e.kind not in ("assigned", "file_added")]
        for before, kind in zip([None, *kinds], kinds):
            assert before in FOLLOWS[kind], (submission.receipt_no, kinds)
        assert timeline[-1].state == submission.state
        assert all(e.reason_list for e in timeline if e.kind == "returned")
        assert [e.at for e in timeline] == sorted(e.at for e in timeline)
        assert cycle.opens_on <= submission.received_on < reviews.today_in_center(NOW)
        assert (submission.state == "in_review") == (submission.claimed_by_id is not None)
        receipts.add(submission.receipt_no)
        if submission.state in ("received", "resubmitted"):
            days = cycle.first_review_days if submission.state == "received" \
                else cycle.re_review_days
            assert submission.due_on == calendar.add_working_days(
                session, submission.queued_on, days).day
    assert len(receipts) == 240


def test_demo_shows_a_pace_a_forecast_and_overdue_items(session, base):
    _build(session)
    today = reviews.today_in_center(NOW)
    rate = pace.decisions_per_working_day(session, today=today)
    assert 5 <= rate <= 12
    backlog = pace.open_count(session)
    assert pace.finish_date(session, items=backlog, pace=rate, today=today).day > today
    overdue = _count(session, Submission, Submission.state.in_(("received", "resubmitted")),
                     Submission.due_on < today)
    assert overdue > 0


def test_demo_calls_fall_while_lookups_rise(session, base):
    _build(session)
    rows = session.execute(select(ReviewEnquiry.source, ReviewEnquiry.at)
                           .order_by(ReviewEnquiry.at)).all()
    first_day, last_day = rows[0].at.date(), rows[-1].at.date()

    def on(day, source):
        return sum(1 for r in rows if r.at.date() == day and r.source == source)
    assert on(first_day, "phone") > on(last_day, "phone")
    assert on(first_day, "lookup") < on(last_day, "lookup")


def test_demo_organization_finds_its_returned_report_and_was_told(session, base):
    _build(session)
    org_user = base["org_user"]
    own = session.scalar(select(Submission).where(
        Submission.organization_id == org_user.organization_id))
    assert own.state == "returned" and own.channel == "online"
    status = review_status.public_status(session, own, today=reviews.today_in_center(NOW))
    assert [r.code for r in status.reasons] == ["signature_seal", "financial_statements"]
    assert _count(session, Notification, Notification.user_id == org_user.id) >= 1


def test_demo_reviews_are_deterministic(session, base):
    own = base["org_user"].organization_id
    _build(session)
    first = _digest(session, skip_organization=own)
    for model in (SubmissionFile, ReviewEnquiry, ReviewDuty, Notification, ReviewEvent,
                  Submission):
        session.execute(model.__table__.delete())
    session.commit()
    _build(session)
    assert _digest(session, skip_organization=own) == first


def test_running_the_demo_twice_adds_nothing(session, base):
    _build(session)
    counts = [_count(session, m) for m in (Submission, ReviewEvent, ReviewEnquiry, ReviewDuty)]
    assert _build(session) == 0
    assert [_count(session, m) for m in (Submission, ReviewEvent, ReviewEnquiry,
                                         ReviewDuty)] == counts


def test_full_demo_build_includes_the_reviews(session):
    demo.build(session, scale=1)
    db.session.commit()
    assert _count(session, Submission) == 240
    assert _count(session, ReviewEvent, ReviewEvent.kind == "returned") > 20
