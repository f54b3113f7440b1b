"""Bulk assignment, balancing across the reviewers on duty, and duty on/off."""
from datetime import date

import pytest
from sqlalchemy import select

from center.models.reviews import ReviewDuty, ReviewEvent, Submission
from center.services import review_assignment as assignment
from center.services import reviews
from center.services.errors import PermissionDenied, ValidationError
from tests.factories import make_user
from tests.reviews.factories import center_time, make_cycle, make_submission

TODAY = date(2026, 3, 16)
NOW = center_time(TODAY, 9)


@pytest.fixture
def cycle(session):
    return make_cycle(session)


@pytest.fixture
def manager(session):
    return make_user(session, role="manager")


def _item(session, day=2, **kw):
    received = date(2026, 3, day)
    return make_submission(session, received_on=received, now=center_time(received), **kw)


def _on_duty(session, *users):
    for user in users:
        assignment.set_duty(session, user, on=True, actor=user, now=NOW)
    return users


def _assigned(session, items) -> list:
    return [session.get(Submission, s.id).assigned_to_id for s in items]


# --- bulk assign -----------------------------------------------------------------------------

def test_assign_checked_items_records_who_assigned_to_whom(session, cycle, manager):
    alice = make_user(session, role="reviewer")
    items = [_item(session, day) for day in (2, 3)]
    result = assignment.assign_submissions(session, [s.id for s in items], reviewer=alice,
                                           actor=manager, now=NOW)
    assert (result.changed, result.skipped) == (2, 0)
    assert _assigned(session, items) == [alice.id, alice.id]
    event = session.scalar(select(ReviewEvent).where(ReviewEvent.kind == "assigned")
                           .order_by(ReviewEvent.id.desc()))
    assert (event.actor_id, event.comment) == (manager.id, alice.display_name)


def test_assign_skips_items_no_longer_open_and_says_so(session, cycle, manager):
    alice = make_user(session, role="reviewer")
    waiting, passed = _item(session), _item(session, 3, state="passed")
    result = assignment.assign_submissions(session, [waiting.id, passed.id], reviewer=alice,
                                           actor=manager, now=NOW)
    assert (result.changed, result.skipped) == (1, 1)
    assert session.get(Submission, passed.id).assigned_to_id is None


def test_unassign_puts_items_back_in_the_common_queue(session, cycle, manager):
    alice = make_user(session, role="reviewer")
    item = _item(session, assigned_to=alice)
    assignment.assign_submissions(session, [item.id], reviewer=None, actor=manager, now=NOW)
    assert session.get(Submission, item.id).assigned_to_id is None


@pytest.mark.parametrize("role", ["frontdesk", "org", "supervisor"])
def test_only_reviewers_can_be_assigned_items(session, cycle, manager, role):
    item = _item(session)
    with pytest.raises(ValidationError) as error:
        assignment.assign_submissions(session, [item.id], reviewer=make_user(session, role=role),
                                      actor=manager, now=NOW)
    assert "reviewer" in error.value.fields


def test_reviewers_cannot_assign(session, cycle):
    reviewer = make_user(session, role="reviewer")
    with pytest.raises(PermissionDenied):
        assignment.assign_submissions(session, [_item(session).id], reviewer=reviewer,
                                      actor=reviewer, now=NOW)


def test_assign_without_any_checked_item_is_refused(session, cycle, manager):
    with pytest.raises(ValidationError) as error:
        assignment.assign_submissions(session, [], reviewer=None, actor=manager, now=NOW)
    assert "ids" in error.value.fields


# --- balance ---------------------------------------------------------------------------------

def test_balance_evens_the_open_load_across_reviewers_on_duty(session, cycle, manager):
    alice, bob, carol = _on_duty(session, *(make_user(session, role="reviewer")
                                            for _ in range(3)))
    busy = [_item(session, 2, assigned_to=alice) for _ in range(2)]  # alice carries 2 already
    fresh = [_item(session, day) for day in (3, 4, 5, 6, 9, 10, 11)]
    given = dict((u.id, n) for u, n in assignment.balance(session, cycle_id=cycle.id,
                                                          actor=manager, now=NOW))
    assert given == {alice.id: 1, bob.id: 3, carol.id: 3}
    loads = assignment.open_loads(session)
    assert {uid: sum(pair) for uid, pair in loads.items()} == {alice.id: 3, bob.id: 3, carol.id: 3}
    # Earliest deadlines first, to whoever carries least: bob and carol get the first two.
    assert set(_assigned(session, fresh[:2])) == {bob.id, carol.id}
    assert _assigned(session, busy) == [alice.id, alice.id]


def test_balance_takes_back_items_of_reviewers_off_duty_but_not_items_in_review(session, cycle,
                                                                               manager):
    alice, = _on_duty(session, make_user(session, role="reviewer"))
    away = make_user(session, role="reviewer")
    stranded = _item(session, assigned_to=away)
    working = _item(session, 3, state="in_review", reviewer=away)
    assignment.balance(session, cycle_id=cycle.id, actor=manager, now=NOW)
    assert _assigned(session, [stranded]) == [alice.id]
    assert session.get(Submission, working.id).claimed_by_id == away.id
    assert session.get(Submission, working.id).assigned_to_id is None


def test_balance_of_checked_items_moves_only_those(session, cycle, manager):
    alice, bob = _on_duty(session, *(make_user(session, role="reviewer") for _ in range(2)))
    chosen = [_item(session, day, assigned_to=alice) for day in (2, 3)]
    other = _item(session, 4)
    assignment.balance(session, cycle_id=cycle.id, ids=[s.id for s in chosen], actor=manager,
                       now=NOW)
    assert sorted(_assigned(session, chosen)) == sorted([alice.id, bob.id])
    assert _assigned(session, [other]) == [None]


def test_balance_without_anyone_on_duty_is_refused(session, cycle, manager):
    _item(session)
    with pytest.raises(ValidationError) as error:
        assignment.balance(session, cycle_id=cycle.id, actor=manager, now=NOW)
    assert "在岗" in str(error.value.message)


def test_claim_next_after_balancing_gives_each_reviewer_their_own_items(session, cycle, manager):
    alice, bob = _on_duty(session, *(make_user(session, role="reviewer") for _ in range(2)))
    items = [_item(session, day) for day in (2, 3, 4, 5)]
    assignment.balance(session, cycle_id=cycle.id, actor=manager, now=NOW)
    mine = {s.id for s in items if session.get(Submission, s.id).assigned_to_id == bob.id}
    first = reviews.claim_next(session, reviewer=bob, now=NOW)
    assert first.id in mine


# --- duty ------------------------------------------------------------------------------------

def test_reviewer_goes_on_and_off_duty_themselves(session, cycle):
    alice = make_user(session, role="reviewer")
    assignment.set_duty(session, alice, on=True, actor=alice, now=NOW)
    assignment.set_duty(session, alice, on=True, actor=alice, now=NOW)  # twice: still one row
    assert [u.id for u in assignment.on_duty(session)] == [alice.id]
    assignment.set_duty(session, alice, on=False, actor=alice, now=NOW)
    assert assignment.on_duty(session) == []


def test_reviewer_cannot_change_someone_elses_duty(session, cycle):
    alice, bob = make_user(session, role="reviewer"), make_user(session, role="reviewer")
    with pytest.raises(PermissionDenied):
        assignment.set_duty(session, bob, on=True, actor=alice, now=NOW)


def test_going_off_duty_returns_unclaimed_items_to_the_common_queue(session, cycle, manager):
    alice, = _on_duty(session, make_user(session, role="reviewer"))
    waiting = _item(session, assigned_to=alice)
    working = _item(session, 3, state="in_review", reviewer=alice, assigned_to=alice)
    released = assignment.set_duty(session, alice, on=False, actor=manager, now=NOW)
    assert released == 1
    assert session.get(Submission, waiting.id).assigned_to_id is None
    assert session.get(Submission, working.id).claimed_by_id == alice.id  # keeps their work


def test_only_people_who_review_can_be_on_duty(session, manager):
    clerk = make_user(session, role="frontdesk")
    with pytest.raises(ValidationError):
        assignment.set_duty(session, clerk, on=True, actor=manager, now=NOW)
    assert session.scalar(select(ReviewDuty)) is None


# --- pages -----------------------------------------------------------------------------------

def test_manager_assigns_checked_rows_from_the_queue_page(session, auth, cycle):
    alice = make_user(session, role="reviewer")
    items = [_item(session, day) for day in (2, 3)]
    session.commit()
    auth.login("manager")
    response = auth.post("/reviews/assign", {"ids": [str(s.id) for s in items],
                                             "reviewer": str(alice.id), "back": "state=waiting"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/reviews?state=waiting")
    session.expire_all()
    assert _assigned(session, items) == [alice.id, alice.id]
    html = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"已将 2 份分派给 {alice.display_name}" in html


def test_assign_page_refuses_a_forged_id_list_and_changes_nothing(session, auth, cycle):
    alice = make_user(session, role="reviewer")
    item = _item(session)
    session.commit()
    auth.login("manager")
    response = auth.post("/reviews/assign", {"ids": [str(item.id), "1 OR 1=1"],
                                             "reviewer": str(alice.id)})
    assert response.status_code == 302
    session.expire_all()
    assert _assigned(session, [item]) == [None]


def test_back_link_cannot_leave_the_site(session, auth, cycle):
    auth.login("manager")
    response = auth.post("/reviews/assign", {"ids": [], "back": "//evil.example/x"})
    assert response.headers["Location"].startswith("/reviews")
    assert "evil.example" not in response.headers["Location"].split("?")[0]


def test_balance_button_spreads_the_cycle_and_reports_the_shares(session, auth, cycle):
    alice, bob = _on_duty(session, *(make_user(session, role="reviewer") for _ in range(2)))
    items = [_item(session, day) for day in (2, 3, 4, 5)]
    session.commit()
    auth.login("manager")
    response = auth.post("/reviews/balance", {"cycle": str(cycle.id)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "已按在办数量均衡分派 4 份" in html
    session.expire_all()
    assert sorted(_assigned(session, items)) == sorted([alice.id, alice.id, bob.id, bob.id])


def test_duty_page_lets_a_reviewer_switch_only_their_own_row(session, auth):
    other = make_user(session, role="reviewer", display_name="别人")
    session.commit()
    me = auth.login("reviewer")
    html = auth.client.get("/reviews/duty").get_data(as_text=True)
    assert html.count('name="user_id"') == 1 and f'value="{me.id}"' in html
    assert auth.post("/reviews/duty", {"user_id": str(me.id), "on": "1"}).status_code == 302
    assert auth.post("/reviews/duty", {"user_id": str(other.id), "on": "1"}).status_code == 302
    session.expire_all()
    assert [u.id for u in assignment.on_duty(session)] == [me.id]
