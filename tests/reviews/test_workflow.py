"""The pre-review state machine (center.services.reviews): deadlines in working days on real
holiday weeks, the clock stopping while a report waits on the organization, and every
transition refusing what it must, leaving nothing half-written."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from center.extensions import db
from center.models.accounts import User
from center.models.notifications import Notification
from center.models.reviews import ReviewEvent, Submission
from center.reports import review_pages
from center.services import reviews
from center.services.errors import ConflictError, PermissionDenied, ValidationError
from tests.factories import make_organization, make_user
from tests.reviews.factories import center_time, make_cycle, make_submission


@pytest.fixture
def cycle(session):
    reviews.seed_return_reasons(session)
    return make_cycle(session, year=2025)


def register(session, *, on: date, org=None, actor=None, **kw):
    return reviews.register_submission(
        session, organization=org or make_organization(session), year=kw.pop("year", 2025),
        received_on=on, actor=actor or make_user(session, role="frontdesk"),
        now=kw.pop("now", center_time(on)), **kw)


# --- deadlines on real holiday weeks ------------------------------------------------------------

@pytest.mark.parametrize(("received", "due"), [
    # Thursday before the Spring Festival: Fri 13th, the make-up Saturday 14th, then the holiday
    # (15th–23rd) stops the count until Tuesday 24th.
    (date(2026, 2, 12), date(2026, 2, 26)),
    (date(2026, 2, 13), date(2026, 2, 27)),
    # After the festival the make-up Saturday 28 February is a working day like any other.
    (date(2026, 2, 24), date(2026, 3, 2)),
    # Received on the make-up Saturday itself: it is not counted, the count starts Monday.
    (date(2026, 2, 14), date(2026, 2, 28)),
])
def test_first_review_deadline_counts_working_days_across_the_spring_festival(
        session, cycle, received, due):
    submission = register(session, on=received, now=center_time(date(2026, 3, 3)))
    assert submission.due_on == due
    assert submission.due_provisional is False
    assert submission.queued_on == received


def test_first_review_deadline_skips_national_day_and_counts_its_make_up_saturday(session):
    late = make_cycle(session, year=2026, opens_on=date(2026, 9, 1), closes_on=date(2026, 12, 31))
    submission = register(session, on=date(2026, 9, 30), year=late.year)
    # 1–7 October off; 8th, 9th, Saturday 10th (make-up), 12th, 13th.
    assert submission.due_on == date(2026, 10, 13)


def test_service_levels_are_the_cycles_own(session):
    make_cycle(session, year=2025, first_review_days=10)
    submission = register(session, on=date(2026, 3, 2))  # Monday
    assert submission.due_on == date(2026, 3, 16)


def test_deadline_past_the_published_calendar_is_provisional(session):
    make_cycle(session, year=2026, opens_on=date(2026, 12, 1), closes_on=date(2027, 5, 31))
    submission = register(session, on=date(2026, 12, 28), year=2026,
                          now=center_time(date(2026, 12, 28)))
    assert submission.due_provisional is True  # 2027 is not in the library yet


def test_correction_deadline_runs_across_the_spring_festival(session, cycle):
    submission = make_submission(session, state="returned", received_on=date(2026, 2, 10),
                                 now=center_time(date(2026, 2, 13)))
    assert submission.correction_due_on == date(2026, 2, 27)
    assert submission.due_on is None


# --- the clock stops while the report waits on the organization --------------------------------

def test_the_centers_clock_stops_while_returned_and_restarts_with_the_re_review_level(
        session, cycle):
    reviewer = make_user(session, role="reviewer")
    submission = register(session, on=date(2026, 2, 9))  # Monday
    assert submission.due_on == date(2026, 2, 14)  # 10–13, and the make-up Saturday
    reviews.claim(session, submission, reviewer=reviewer, now=center_time(date(2026, 2, 11)))
    reviews.return_submission(session, submission, reasons=["signature_seal"], actor=reviewer,
                              now=center_time(date(2026, 2, 11)))
    assert (submission.state, submission.due_on) == ("returned", None)
    assert submission.correction_due_on == date(2026, 2, 25)  # 12, 13, 14, 24, 25
    # The organization takes the whole festival and more; none of it is the center's time.
    resubmitted_on = date(2026, 2, 25)
    reviews.resubmit(session, submission, actor=None, now=center_time(resubmitted_on))
    assert submission.state == "resubmitted"
    assert submission.queued_on == resubmitted_on
    assert submission.due_on == date(2026, 2, 28)  # 3 working days: 26, 27, Saturday 28 (make-up)
    assert submission.correction_due_on is None
    held = review_pages.center_working_days(session, submission, today=date(2026, 3, 2))
    # 10 and 11 Feb before the return; 26, 27, 28 Feb and 2 Mar since: six working days,
    # though twenty calendar days (and nine working days) have passed since it was received.
    assert held == 2 + 4


def test_center_working_days_stop_at_the_decision(session, cycle):
    reviewer = make_user(session, role="reviewer")
    submission = register(session, on=date(2026, 3, 2))
    reviews.claim(session, submission, reviewer=reviewer, now=center_time(date(2026, 3, 4)))
    reviews.pass_submission(session, submission, actor=reviewer, now=center_time(date(2026, 3, 4)))
    assert review_pages.center_working_days(session, submission, today=date(2026, 4, 1)) == 2


def test_release_keeps_the_deadline_running(session, cycle):
    reviewer = make_user(session, role="reviewer")
    submission = register(session, on=date(2026, 3, 2))
    due = submission.due_on
    reviews.claim(session, submission, reviewer=reviewer, now=center_time(date(2026, 3, 3)))
    reviews.release(session, submission, actor=reviewer, now=center_time(date(2026, 3, 4)))
    assert (submission.state, submission.due_on, submission.claimed_by_id) == ("received", due,
                                                                               None)


def test_release_of_a_resubmitted_report_puts_it_back_as_resubmitted(session, cycle):
    submission = make_submission(session, state="resubmitted")
    reviewer = make_user(session, role="reviewer")
    reviews.claim(session, submission, reviewer=reviewer)
    reviews.release(session, submission, actor=reviewer)
    assert submission.state == "resubmitted"


# --- claiming -----------------------------------------------------------------------------------

def test_claim_next_gives_my_assigned_items_first_then_the_earliest_deadline(session, cycle):
    me, other = make_user(session, role="reviewer"), make_user(session, role="reviewer")
    late = register(session, on=date(2026, 3, 9))
    early = register(session, on=date(2026, 3, 2), now=center_time(date(2026, 3, 9)))
    others = register(session, on=date(2026, 2, 2), now=center_time(date(2026, 3, 9)))
    mine = register(session, on=date(2026, 3, 6), now=center_time(date(2026, 3, 9)))
    reviews.assign(session, [mine], reviewer=me, actor=None)
    reviews.assign(session, [others], reviewer=other, actor=None)
    taken = [reviews.claim_next(session, reviewer=me) for _ in range(4)]
    assert taken == [mine, early, late, None]
    assert all(s.state == "in_review" and s.claimed_by_id == me.id for s in taken[:3])
    assert others.state == "received"


def test_claiming_someone_elses_item_is_refused(session, cycle):
    submission = make_submission(session, state="in_review")
    me = make_user(session, role="reviewer")
    with pytest.raises(ConflictError) as caught:
        reviews.claim(session, submission, reviewer=me)
    assert submission.claimed_by.display_name in str(caught.value.message)


def test_claiming_an_item_assigned_to_another_reviewer_is_refused_except_for_managers(
        session, cycle):
    other = make_user(session, role="reviewer")
    submission = make_submission(session, assigned_to=other)
    with pytest.raises(PermissionDenied):
        reviews.claim(session, submission, reviewer=make_user(session, role="reviewer"))
    manager = make_user(session, role="manager")
    assert reviews.claim(session, submission, reviewer=manager).claimed_by_id == manager.id


def test_claiming_twice_is_harmless(session, cycle):
    submission = make_submission(session)
    me = make_user(session, role="reviewer")
    reviews.claim(session, submission, reviewer=me)
    reviews.claim(session, submission, reviewer=me)
    assert [e.kind for e in submission.events] == ["received", "claimed"]


# --- decisions ----------------------------------------------------------------------------------

def test_return_needs_a_reason_from_the_checklist_and_changes_nothing_without(session, cycle):
    submission = make_submission(session, state="in_review")
    reviewer = submission.claimed_by
    for reasons, message in (([], "至少选择"), (["no_such_reason"], "no_such_reason"),
                             ("signature_seal", "至少选择")):
        with pytest.raises(ValidationError) as caught:
            reviews.return_submission(session, submission, reasons=reasons, actor=reviewer)
        assert message in str(caught.value.fields["reasons"])
    assert (submission.state, submission.return_count) == ("in_review", 0)
    assert [e.kind for e in submission.events] == ["received", "claimed"]


def test_return_refuses_an_overlong_comment(session, cycle):
    submission = make_submission(session, state="in_review")
    with pytest.raises(ValidationError) as caught:
        reviews.return_submission(session, submission, reasons=["late"], comment="字" * 2001,
                                  actor=submission.claimed_by)
    assert "2000" in str(caught.value.fields["comment"])


def test_return_records_reasons_and_comment_and_tells_the_organization(session, cycle):
    org = make_organization(session)
    contact = make_user(session, role="org", organization=org)
    submission = make_submission(session, state="in_review", organization=org)
    reviewer = submission.claimed_by
    reviews.return_submission(session, submission, reasons=["signature_seal", "arithmetic",
                                                            "signature_seal"],
                              comment="  第 3 页缺盖章  ", actor=reviewer)
    event = submission.events[-1]
    assert (event.kind, event.actor_id, event.reason_list, event.comment, event.state) == (
        "returned", reviewer.id, ["signature_seal", "arithmetic"], "第 3 页缺盖章", "returned")
    assert (submission.return_count, submission.claimed_by_id) == (1, None)
    [note] = session.scalars(select(Notification).where(Notification.user_id == contact.id))
    assert submission.receipt_no in note.title and note.link == "/reviews/mine"


def test_an_archived_reason_can_no_longer_be_chosen(session, cycle):
    from center.models.reviews import ReturnReason
    reason = session.scalar(select(ReturnReason).where(ReturnReason.code == "late"))
    reason.archived_at = center_time(date(2026, 1, 5))
    submission = make_submission(session, state="in_review")
    with pytest.raises(ValidationError):
        reviews.return_submission(session, submission, reasons=["late"],
                                  actor=submission.claimed_by)


@pytest.mark.parametrize("decide", ["pass", "return", "release"])
def test_acting_on_an_item_someone_else_holds_is_refused(session, cycle, decide):
    submission = make_submission(session, state="in_review")
    intruder = make_user(session, role="reviewer")
    calls = {"pass": lambda: reviews.pass_submission(session, submission, actor=intruder),
             "return": lambda: reviews.return_submission(session, submission,
                                                         reasons=["late"], actor=intruder),
             "release": lambda: reviews.release(session, submission, actor=intruder)}
    with pytest.raises(PermissionDenied) as caught:
        calls[decide]()
    assert submission.claimed_by.display_name in str(caught.value.message)
    assert submission.state == "in_review"


def test_a_manager_may_release_an_item_a_reviewer_left_behind(session, cycle):
    submission = make_submission(session, state="in_review")
    reviews.release(session, submission, actor=make_user(session, role="manager"))
    assert submission.state == "received"


def test_passing_twice_is_refused(session, cycle):
    submission = make_submission(session, state="in_review")
    reviewer = submission.claimed_by
    reviews.pass_submission(session, submission, actor=reviewer, comment="齐全")
    with pytest.raises(ConflictError) as caught:
        reviews.pass_submission(session, submission, actor=reviewer)
    assert "预审通过" in str(caught.value.message)
    assert [e.kind for e in submission.events].count("passed") == 1
    assert (submission.passed_by_id, submission.due_on) == (reviewer.id, None)


def test_a_decision_made_meanwhile_in_another_request_wins(app, session, cycle):
    """The page was loaded before another request passed the item: the second pass re-reads
    the row and is refused instead of writing a second decision."""
    submission = make_submission(session, state="in_review")
    reviewer, submission_id = submission.claimed_by, submission.id
    session.commit()
    with Session(db.engine) as other:
        elsewhere = other.get(Submission, submission_id)
        reviews.pass_submission(other, elsewhere, actor=other.get(User, reviewer.id))
        other.commit()
    with pytest.raises(ConflictError):
        reviews.pass_submission(session, submission, actor=reviewer)
    session.rollback()
    kinds = session.scalars(select(ReviewEvent.kind).where(
        ReviewEvent.submission_id == submission_id)).all()
    assert kinds.count("passed") == 1


def test_forward_only_after_passing(session, cycle):
    submission = make_submission(session, state="in_review")
    with pytest.raises(ConflictError):
        reviews.forward(session, submission, actor=submission.claimed_by)
    reviews.pass_submission(session, submission, actor=submission.claimed_by)
    reviews.forward(session, submission, actor=submission.claimed_by)
    assert submission.state == "forwarded" and submission.forwarded_at is not None
    with pytest.raises(ConflictError):
        reviews.forward(session, submission, actor=submission.claimed_by)


def test_resubmit_only_after_a_return_and_not_dated_before_it(session, cycle):
    submission = make_submission(session, state="received")
    with pytest.raises(ConflictError):
        reviews.resubmit(session, submission, actor=None)
    returned = make_submission(session, state="returned", received_on=date(2026, 3, 2),
                               now=center_time(date(2026, 3, 4)))
    with pytest.raises(ValidationError) as caught:
        reviews.resubmit(session, returned, actor=None, on=date(2026, 3, 3),
                         now=center_time(date(2026, 3, 5)))
    assert "退回日期" in str(caught.value.fields["received_on"])
    assert returned.state == "returned"


def test_an_organizations_user_acts_only_on_its_own_reports(session, cycle):
    submission = make_submission(session, state="returned")
    stranger = make_user(session, role="org")
    with pytest.raises(PermissionDenied):
        reviews.resubmit(session, submission, actor=stranger)
    with pytest.raises(PermissionDenied):
        reviews.withdraw(session, submission, actor=stranger, comment="不是我们的")
    own = make_user(session, role="org", organization=submission.organization)
    reviews.resubmit(session, submission, actor=own, comment="已补盖章")
    assert submission.events[-1].actor_id == own.id


def test_withdraw_needs_a_reason_and_nobody_working_on_it(session, cycle):
    submission = make_submission(session, state="in_review")
    with pytest.raises(ConflictError):
        reviews.withdraw(session, submission, actor=None, comment="错了")
    received = make_submission(session)
    with pytest.raises(ValidationError) as caught:
        reviews.withdraw(session, received, actor=None, comment="   ")
    assert "comment" in caught.value.fields
    reviews.withdraw(session, received, actor=None, comment="登记错了组织")
    assert (received.state, received.due_on) == ("withdrawn", None)


def test_every_transition_is_on_the_timeline_in_order(session, cycle):
    submission = make_submission(session, state="forwarded")
    assert [e.kind for e in submission.events] == ["received", "claimed", "passed", "forwarded"]
    assert [e.state for e in submission.events] == ["received", "in_review", "passed",
                                                    "forwarded"]


def test_assign_skips_items_in_no_open_state(session, cycle):
    reviewer = make_user(session, role="reviewer")
    waiting, done = make_submission(session), make_submission(session, state="passed")
    assert reviews.assign(session, [waiting, done], reviewer=reviewer, actor=None) == 1
    assert (waiting.assigned_to_id, done.assigned_to_id) == (reviewer.id, None)


def test_due_dates_move_with_time_zone_of_the_center(session, cycle):
    """Just after midnight in Beijing is still the previous day in UTC: the center's date
    counts."""
    from datetime import datetime, timezone
    moment = datetime(2026, 3, 1, 16, 30, tzinfo=timezone.utc)  # 00:30 on 2 March in Beijing
    submission = reviews.register_submission(
        session, organization=make_organization(session), year=2025, actor=None, now=moment)
    assert submission.received_on == date(2026, 3, 2)
    assert submission.due_on == date(2026, 3, 2) + timedelta(days=7)

