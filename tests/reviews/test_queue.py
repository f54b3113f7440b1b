"""The pre-review queue page: order by deadline, filters, paging, and queries that stay on the
indexes at peak volume (plans checked on SQLite and PostgreSQL)."""
import os
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from center.models.reviews import Submission
from center.reports import review_queue as queue
from center.services import calendar, reviews
from tests.factories import make_organization, make_region, make_user
from tests.reviews.factories import center_time, make_cycle, make_submission

TODAY = date(2026, 3, 16)  # a Monday in the 2025 reports' cycle
NOW = center_time(TODAY, 9)


@pytest.fixture
def frozen(monkeypatch):
    """The pages believe it is 09:00 on TODAY."""
    import center.views.review_queue as views
    monkeypatch.setattr(views, "now_utc", lambda: NOW)
    return NOW


def _receipts(html: str) -> list[str]:
    return re.findall(r">(2025-[0-9A-Z]{8})</a>", html)


def _submission(session, received_on, **kw):
    return make_submission(session, received_on=received_on, now=center_time(received_on), **kw)


# --- order and filters ---------------------------------------------------------------------

def test_queue_lists_open_items_by_deadline_earliest_first(session, auth, client, frozen):
    make_cycle(session)
    later = _submission(session, date(2026, 3, 12))
    earlier = _submission(session, date(2026, 3, 2))
    passed = _submission(session, date(2026, 3, 1), state="passed")
    session.commit()
    auth.login("reviewer")
    html = client.get("/reviews").get_data(as_text=True)
    assert _receipts(html) == [earlier.receipt_no, later.receipt_no]
    assert passed.receipt_no not in html
    assert "共 2 份" in html


def test_overdue_items_show_working_days_late(session, auth, client, frozen):
    make_cycle(session)
    # Received Mon 2 Mar: due 5 working days later, Mon 9 Mar; on Mon 16 Mar it is 5 days late.
    late = _submission(session, date(2026, 3, 2))
    _submission(session, date(2026, 3, 13))
    session.commit()
    assert late.due_on == date(2026, 3, 9)
    auth.login("manager")
    html = client.get("/reviews?overdue=y").get_data(as_text=True)
    assert _receipts(html) == [late.receipt_no]
    assert "逾期 5 个工作日" in html


def test_filters_by_state_type_district_reviewer_channel_and_search(session):
    cycle = make_cycle(session)
    district = make_region(session, tier="district", name="海淀区")
    alice, bob = make_user(session, role="reviewer"), make_user(session, role="reviewer")
    foundation = make_organization(session, name="北京绿色基金会", type="foundation",
                                   district_id=district.id)
    a = _submission(session, date(2026, 3, 2), organization=foundation, assigned_to=alice)
    b = _submission(session, date(2026, 3, 3), state="in_review", reviewer=bob)
    c = _submission(session, date(2026, 3, 4), state="returned", channel="online")
    d = _submission(session, date(2026, 3, 5))

    def ids(**kw):
        """The page's ids, checked against the export's query (same filter, same order)."""
        filters = queue.QueueFilter(cycle_id=cycle.id, **kw)
        page, total = queue.queue_page(session, filters, TODAY, page=1, per_page=50)
        exported = [s.id for s in session.scalars(queue.queue_query(filters, TODAY))]
        assert [s.id for s in page] == exported and total == len(exported)
        return exported
    assert ids() == [a.id, b.id, d.id]
    assert ids(state="returned") == [c.id]
    assert ids(state="all") == [d.id, c.id, b.id, a.id]  # everything: newest first
    assert ids(org_type="foundation") == [a.id]
    assert ids(district_id=district.id) == [a.id]
    assert ids(reviewer=str(alice.id)) == [a.id]
    assert ids(reviewer=str(bob.id)) == [b.id]  # claimed by bob
    assert ids(reviewer=queue.UNASSIGNED) == [d.id]
    assert ids(state="all", channel="online") == [c.id]
    assert ids(q=a.receipt_no.lower()) == [a.id]
    assert ids(q=foundation.credit_code) == [a.id]
    assert ids(q="绿色") == [a.id]
    assert ids(q="100%_") == []  # LIKE wildcards are literal


def test_unknown_filter_values_are_named_and_ignored(session, auth, client, frozen):
    make_cycle(session)
    item = _submission(session, date(2026, 3, 2))
    session.commit()
    auth.login("manager")
    response = client.get("/reviews?state=bogus&district=abc&cycle=99999&reviewer=zz&page=-3")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "未知的状态" in html and "找不到该区" in html and "找不到该预审人员" in html
    assert item.receipt_no in html  # the valid part of the filter still applies


def test_queue_pages_hold_per_page_items_and_the_total(session, auth, client, app, frozen):
    app.config["PER_PAGE"] = 2
    make_cycle(session)
    made = [_submission(session, date(2026, 3, 2) + timedelta(days=i)) for i in range(5)]
    session.commit()
    auth.login("reviewer")
    first = client.get("/reviews").get_data(as_text=True)
    third = client.get("/reviews?page=3").get_data(as_text=True)
    assert _receipts(first) == [s.receipt_no for s in made[:2]]
    assert _receipts(third) == [made[4].receipt_no]
    assert "第 1 / 3 页，共 5 条" in first


def test_queue_page_costs_the_same_queries_for_few_or_many_items(session, auth, client,
                                                                count_queries, frozen):
    make_cycle(session)
    reviewer = make_user(session, role="reviewer")
    _submission(session, date(2026, 3, 2), state="in_review", assigned_to=reviewer,
                reviewer=reviewer)
    _submission(session, date(2026, 3, 2))  # overdue
    session.commit()
    auth.login("manager")
    client.get("/reviews")
    with count_queries() as few:
        client.get("/reviews")
    for i in range(12):
        _submission(session, date(2026, 3, 3), state="in_review" if i % 2 else "received",
                    reviewer=reviewer, assigned_to=reviewer if i % 3 else None)
    session.commit()
    with count_queries() as many:
        client.get("/reviews")
    assert many.count == few.count


def test_managers_get_checkboxes_and_reviewers_do_not(session, auth, client, frozen):
    make_cycle(session)
    _submission(session, date(2026, 3, 2))
    session.commit()
    auth.login("reviewer")
    html = client.get("/reviews").get_data(as_text=True)
    assert 'name="ids"' not in html and "/reviews/assign" not in html
    auth.login("manager")
    html = client.get("/reviews").get_data(as_text=True)
    assert 'name="ids"' in html and 'action="/reviews/assign"' in html


def test_queue_without_any_cycle_is_an_empty_page(auth, client, frozen):
    auth.login("frontdesk")
    response = client.get("/reviews")
    assert response.status_code == 200
    assert "没有符合条件的年报" in response.get_data(as_text=True)


def test_current_cycle_is_the_one_whose_window_holds_today(session):
    old = make_cycle(session, year=2024)
    current = make_cycle(session, year=2025)
    make_cycle(session, year=2026)  # opens 2027-01-01
    assert queue.current_cycle(session, TODAY) == current
    assert queue.current_cycle(session, date(2026, 11, 1)) == current  # latest already open
    assert queue.current_cycle(session, date(2025, 3, 1)) == old


def test_workday_counter_skips_the_spring_festival(session):
    counter = queue.WorkdayCounter(session, date(2026, 2, 13), date(2026, 2, 25))
    # Sat 14 Feb is a make-up workday; 15-23 Feb are the holiday.
    assert counter.until_last(date(2026, 2, 13)) == 3
    assert counter.until_last(date(2026, 2, 24)) == 1
    assert counter.until_last(date(2026, 2, 25)) == 0
    assert calendar.working_days_between(session, date(2026, 2, 13), date(2026, 2, 25)).days == 3


# --- query plans ---------------------------------------------------------------------------

def _plan(session, stmt) -> str:
    compiled = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        return "\n".join(row[-1] for row in rows)
    session.execute(text("SET LOCAL enable_seqscan = off"))  # tiny tables: ask what it can use
    return "\n".join(r[0] for r in session.execute(text(f"EXPLAIN {compiled}")))


def test_page_ids_of_the_common_views_come_from_the_queue_index_alone(session):
    cycle = make_cycle(session)
    for filters in (queue.QueueFilter(cycle_id=cycle.id),
                    queue.QueueFilter(cycle_id=cycle.id, state="waiting"),
                    queue.QueueFilter(cycle_id=cycle.id, state="received"),
                    queue.QueueFilter(cycle_id=cycle.id, overdue=True)):
        plan = _plan(session, queue.ids_query(filters, TODAY).limit(50))
        if session.get_bind().dialect.name == "sqlite":
            assert "COVERING INDEX ix_review_submissions_queue" in plan, plan
        else:
            assert "ix_review_submissions_queue" in plan, plan


@pytest.mark.parametrize("change", [
    {"state": "all"}, {"state": "passed"}, {"state": "returned"}, {"reviewer": "7"},
    {"reviewer": queue.UNASSIGNED}, {"org_type": "foundation", "district_id": 3},
    {"q": "绿色"}, {"channel": "bulk", "state": "all"},
])
def test_no_filter_reads_the_whole_submissions_table(session, change):
    cycle = make_cycle(session)
    filters = queue.QueueFilter(cycle_id=cycle.id, **change)
    for stmt in (queue.ids_query(filters, TODAY).limit(50),
                 select(func.count()).select_from(queue.ids_query(filters, TODAY).subquery())):
        plan = _plan(session, stmt)
        assert "SCAN review_submissions" not in plan and "Seq Scan on review_submissions" \
            not in plan, plan


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                    reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_queue_on_postgresql_uses_the_index_for_order_and_limit(session):
    cycle = make_cycle(session)
    filters = queue.QueueFilter(cycle_id=cycle.id, state="received")
    plan = _plan(session, queue.ids_query(filters, TODAY).limit(50))
    assert "Index" in plan and "Sort" not in plan, plan  # index order, no sort before LIMIT


def test_a_claimed_item_moves_from_waiting_to_in_review(session):
    cycle = make_cycle(session)
    item = _submission(session, date(2026, 3, 2))
    reviewer = make_user(session, role="reviewer")
    reviews.claim(session, item, reviewer=reviewer, now=NOW)
    waiting = queue.QueueFilter(cycle_id=cycle.id, state="waiting")
    in_review = queue.QueueFilter(cycle_id=cycle.id, state="in_review")
    assert queue.count_matching(session, waiting, TODAY) == 0
    assert [s.id for s in session.scalars(queue.queue_query(in_review, TODAY))] == [item.id]
    assert session.get(Submission, item.id).claimed_by_id == reviewer.id


def test_reviewer_claims_a_chosen_item_from_the_queue(session, auth, client, frozen):
    make_cycle(session)
    item = _submission(session, date(2026, 3, 2))
    theirs = _submission(session, date(2026, 3, 3), assigned_to=make_user(session, role="reviewer"))
    session.commit()
    me = auth.login("reviewer")
    html = client.get("/reviews").get_data(as_text=True)
    assert f'action="/reviews/{item.id}/claim"' in html
    assert f'action="/reviews/{theirs.id}/claim"' not in html  # assigned to someone else
    assert auth.post(f"/reviews/{item.id}/claim").status_code == 302
    session.expire_all()
    assert session.get(Submission, item.id).claimed_by_id == me.id
