"""What the intake, work, submission and organization pages of the pre-review read: a
submission with everything its page shows, the reviewer's desk, an organization's reports.
Read-only; each answer is one or two queries."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from center.models.reviews import (WAITING_STATES, EventKind, ReturnReason, ReviewCycle,
                                   ReviewEvent, ReviewState, Submission)
from center.services import calendar
from center.services.venue_rules import CENTER_TZ

# Events that end a wait on the center (its clock stops).
ENDS_OF_WAIT = (EventKind.returned.value, EventKind.passed.value, EventKind.withdrawn.value)
HELD_LIMIT = 20  # items one reviewer holds at once, listed on the work page
PASSED_LIMIT = 20


def cycles(session) -> list[ReviewCycle]:
    """Every cycle, the latest year first."""
    return list(session.scalars(select(ReviewCycle).order_by(ReviewCycle.year.desc())))


def default_cycle(all_cycles: list[ReviewCycle], today: date) -> ReviewCycle | None:
    """The cycle taking reports today, else the latest that has opened, else the latest."""
    for cycle in all_cycles:
        if cycle.opens_on <= today <= cycle.closes_on:
            return cycle
    opened = [c for c in all_cycles if c.opens_on <= today]
    return (opened or all_cycles or [None])[0]


def submission_page(session, submission_id: int) -> Submission | None:
    """A submission with its organization, cycle, files (not their content) and timeline."""
    return session.scalar(
        select(Submission).where(Submission.id == submission_id)
        .options(joinedload(Submission.organization), joinedload(Submission.cycle),
                 joinedload(Submission.claimed_by), joinedload(Submission.assigned_to),
                 selectinload(Submission.files),
                 selectinload(Submission.events).joinedload(ReviewEvent.actor)))


def reasons_by_code(session) -> dict[str, ReturnReason]:
    """Every checklist reason, archived ones too (old timelines still name them)."""
    return {reason.code: reason for reason in session.scalars(select(ReturnReason))}


@dataclass(frozen=True)
class Desk:
    held: list  # items the reviewer is working on, the one claimed first first
    waiting: int  # items waiting that "claim next" may give this reviewer
    waiting_mine: int  # of which assigned to this reviewer
    passed: list  # items the reviewer passed that still wait to be forwarded


def desk(session, reviewer) -> Desk:
    held = list(session.scalars(
        select(Submission).where(Submission.state == ReviewState.in_review.value,
                                 Submission.claimed_by_id == reviewer.id)
        .options(joinedload(Submission.organization))
        .order_by(Submission.claimed_at, Submission.id).limit(HELD_LIMIT)))
    counts = session.execute(  # all waiting for them; the assigned ones are theirs
        select(func.count(), func.count(Submission.assigned_to_id))
        .where(Submission.state.in_(WAITING_STATES),
               (Submission.assigned_to_id == reviewer.id)
               | Submission.assigned_to_id.is_(None))).one()
    passed = list(session.scalars(
        select(Submission).where(Submission.state == ReviewState.passed.value,
                                 Submission.passed_by_id == reviewer.id)
        .options(joinedload(Submission.organization))
        .order_by(Submission.passed_at, Submission.id).limit(PASSED_LIMIT)))
    return Desk(held=held, waiting=counts[0], waiting_mine=counts[1], passed=passed)


def organization_submissions(session, organization_id: int) -> list[Submission]:
    """An organization's reports, the latest year first, withdrawn ones last."""
    return list(session.scalars(
        select(Submission).where(Submission.organization_id == organization_id)
        .options(joinedload(Submission.cycle), selectinload(Submission.files))
        .join(Submission.cycle)
        .order_by(ReviewCycle.year.desc(), (Submission.state == "withdrawn").asc(),
                  Submission.id.desc())))


def center_working_days(session, submission: Submission, *, today: date) -> int:
    """Working days the center has held the report so far: from each start of a wait on the
    center (received, resubmitted) to the decision that ended it (returned, passed, withdrawn),
    or to today while it is still open. The days it waited on the organization do not count."""
    spans, start = [], None
    for event in submission.events:
        day = event.at.astimezone(CENTER_TZ).date()
        if event.kind == EventKind.received.value:
            start = submission.received_on
        elif event.kind == EventKind.resubmitted.value:
            start = day
        elif event.kind in ENDS_OF_WAIT and start is not None:
            spans.append((start, day))
            start = None
    if start is not None:
        spans.append((submission.queued_on if submission.is_open else start, today))
    return sum(calendar.working_days_between(session, a, b).days for a, b in spans if b > a)
