"""Booking requests, overlaps, who may act, state transitions with their audit trail, and
recurring series."""
from datetime import date

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from center.models.audit import AuditEntry
from center.models.notifications import Notification
from center.models.venues import Booking
from center.services import venue_rules, venues
from center.services.errors import ConflictError, PermissionDenied, ValidationError
from tests.factories import make_booking, make_organization, make_user, make_venue
from tests.venues import NOW, at


@pytest.fixture
def venue(session):
    return make_venue(session, name="第一会议室", capacity=20)


@pytest.fixture
def org(session):
    return make_organization(session, name="海淀志愿者协会")


@pytest.fixture
def manager(session):
    return make_user(session, role="manager")


def request(session, venue, org, actor, start, end, title="项目培训"):
    return venues.request_booking(session, venue=venue, organization=org, title=title,
                                  starts_at=start, ends_at=end, attendees=10, actor=actor, now=NOW)


def live_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Booking)
                          .where(Booking.status.in_(("pending", "approved", "held", "checked_in"))))


def transitions(session, booking) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.table_name == "bookings", AuditEntry.record_id == str(booking.id),
        AuditEntry.action == "transition").order_by(AuditEntry.id)))


# --- requests and overlaps ----------------------------------------------------------------------

def test_request_is_approved_at_once_when_the_venue_needs_no_approval(session, venue, org, manager):
    booking = request(session, venue, org, manager, at("2026-09-14", 10), at("2026-09-14", 12))
    assert booking.status == "approved" and booking.decided_at == NOW
    assert booking.requested_by_id == manager.id


def test_request_waits_for_approval_when_the_venue_requires_it(session, org, manager):
    venue = make_venue(session, requires_approval=True)
    booking = request(session, venue, org, manager, at("2026-09-14", 10), at("2026-09-14", 12))
    assert booking.status == "pending" and booking.decided_at is None


def test_overlapping_request_is_refused_naming_the_booking_in_the_way(session, venue, org, manager):
    first = request(session, venue, org, manager, at("2026-09-14", 10), at("2026-09-14", 12),
                    title="年度理事会")
    other = make_organization(session, name="西城社工事务所")
    with pytest.raises(venues.BookingConflict) as refused:
        request(session, venue, other, manager, at("2026-09-14", 11), at("2026-09-14", 13))
    assert refused.value.conflicting is first
    assert refused.value.code == "booking_conflict" and refused.value.status == 409
    message = str(refused.value.message)
    assert "年度理事会" in message and "海淀志愿者协会" in message and "10:00–12:00" in message
    assert "starts_at" in refused.value.fields
    assert live_count(session) == 1


def test_back_to_back_bookings_are_allowed(session, venue, org, manager):
    request(session, venue, org, manager, at("2026-09-14", 10), at("2026-09-14", 12))
    request(session, venue, org, manager, at("2026-09-14", 12), at("2026-09-14", 14))
    request(session, venue, org, manager, at("2026-09-14", 9), at("2026-09-14", 10))
    assert live_count(session) == 3


def test_pending_requests_hold_the_slot_and_finished_ones_do_not(session, org, manager):
    venue = make_venue(session, requires_approval=True)
    pending = request(session, venue, org, manager, at("2026-09-14", 10), at("2026-09-14", 12))
    with pytest.raises(venues.BookingConflict):
        request(session, venue, org, manager, at("2026-09-14", 10), at("2026-09-14", 12))
    venues.reject_booking(session, pending, reason="与中心活动冲突", actor=manager, now=NOW)
    again = request(session, venue, org, manager, at("2026-09-14", 10), at("2026-09-14", 12))
    assert again.status == "pending"


def test_another_venue_is_not_a_conflict(session, venue, org, manager):
    request(session, venue, org, manager, at("2026-09-14", 10), at("2026-09-14", 12))
    request(session, make_venue(session), org, manager, at("2026-09-14", 10), at("2026-09-14", 12))
    assert live_count(session) == 2


def test_database_refuses_an_overlap_inserted_past_the_service(session, venue, org):
    make_booking(session, venue=venue, organization=org, starts_at=at("2026-09-14", 10))
    session.commit()
    with pytest.raises(IntegrityError):
        make_booking(session, venue=venue, organization=org, starts_at=at("2026-09-14", 11),
                     status="pending")
    session.rollback()
    # back to back is fine
    make_booking(session, venue=venue, organization=org, starts_at=at("2026-09-14", 12))
    session.commit()
    assert live_count(session) == 2


def test_database_refuses_reviving_a_cancelled_booking_into_a_taken_slot(session, venue, org):
    cancelled = make_booking(session, venue=venue, organization=org,
                             starts_at=at("2026-09-14", 10), status="cancelled")
    make_booking(session, venue=venue, organization=org, starts_at=at("2026-09-14", 11))
    session.commit()
    cancelled.status = "approved"
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_overlap_found_only_by_the_database_is_a_booking_conflict(session, venue, org, manager,
                                                                  monkeypatch):
    """As when a concurrent request commits between our check and our insert."""
    taken = make_booking(session, venue=venue, organization=org, starts_at=at("2026-09-14", 10))
    session.commit()
    real, calls = venue_rules.find_conflict, []

    def blind_first_time(*args, **kwargs):
        calls.append(1)
        return None if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(venue_rules, "find_conflict", blind_first_time)
    with pytest.raises(venues.BookingConflict) as refused:
        request(session, venue, org, manager, at("2026-09-14", 11), at("2026-09-14", 13))
    assert refused.value.conflicting.id == taken.id
    session.commit()  # the session is still usable: only the savepoint was rolled back
    assert live_count(session) == 1


# --- who may act --------------------------------------------------------------------------------

def test_org_user_books_only_for_their_own_organization(session, venue, org):
    contact = make_user(session, role="org", organization=org)
    own = request(session, venue, org, contact, at("2026-09-14", 10), at("2026-09-14", 12))
    assert own.organization_id == org.id
    with pytest.raises(PermissionDenied):
        request(session, venue, make_organization(session), contact, at("2026-09-15", 10),
                at("2026-09-15", 12))
    assert live_count(session) == 1


@pytest.mark.parametrize("role", ["reviewer", "supervisor", "platform"])
def test_roles_without_booking_rights_cannot_book(session, venue, org, role):
    with pytest.raises(PermissionDenied):
        request(session, venue, org, make_user(session, role=role), at("2026-09-14", 10),
                at("2026-09-14", 12))


def test_org_user_cannot_act_on_another_organizations_booking(session, venue, org, manager):
    booking = request(session, venue, org, manager, at("2026-09-14", 10), at("2026-09-14", 12))
    stranger = make_user(session, role="org")
    assert not venues.can_view_booking(stranger, booking)
    assert not venues.can_manage_booking(stranger, booking)
    with pytest.raises(PermissionDenied):
        venues.cancel_booking(session, booking, actor=stranger, now=NOW)
    contact = make_user(session, role="org", organization=org)
    assert venues.can_view_booking(contact, booking) and venues.can_manage_booking(contact, booking)
    with pytest.raises(PermissionDenied):
        venues.check_in(session, booking, actor=contact, now=at("2026-09-14", 10))
    assert booking.status == "approved"


def test_only_managers_and_admins_decide(session, org):
    venue = make_venue(session, requires_approval=True)
    frontdesk = make_user(session, role="frontdesk")
    booking = request(session, venue, org, frontdesk, at("2026-09-14", 10), at("2026-09-14", 12))
    for role in ("frontdesk", "org"):
        with pytest.raises(PermissionDenied):
            venues.approve_booking(session, booking, actor=make_user(session, role=role), now=NOW)
    venues.approve_booking(session, booking, actor=make_user(session, role="admin"), now=NOW)
    assert booking.status == "approved"


# --- transitions --------------------------------------------------------------------------------

@pytest.fixture
def pending(session, org, manager):
    venue = make_venue(session, requires_approval=True)
    contact = make_user(session, role="org", organization=org, email="contact@example.org")
    return request(session, venue, org, contact, at("2026-09-14", 10), at("2026-09-14", 12))


def test_approval_is_audited_with_who_and_when_and_tells_the_requester(session, pending, manager):
    venues.approve_booking(session, pending, actor=manager, now=NOW)
    assert pending.status == "approved" and pending.decided_by_id == manager.id
    [entry] = transitions(session, pending)
    assert entry.actor_id == manager.id and entry.changes["status"] == ["pending", "approved"]
    [note] = session.scalars(select(Notification).where(Notification.kind == "booking_approved"))
    assert note.user_id == pending.requested_by_id and "项目培训" in note.title
    assert note.link == f"/bookings/{pending.id}"


def test_rejection_needs_a_reason_and_records_it(session, pending, manager):
    with pytest.raises(ValidationError) as refused:
        venues.reject_booking(session, pending, reason="  ", actor=manager, now=NOW)
    assert "reason" in refused.value.fields and pending.status == "pending"
    venues.reject_booking(session, pending, reason="当天场地另有安排", actor=manager, now=NOW)
    assert pending.status == "rejected" and pending.decision_reason == "当天场地另有安排"
    [entry] = transitions(session, pending)
    assert entry.reason == "当天场地另有安排" and entry.actor_id == manager.id
    [note] = session.scalars(select(Notification).where(Notification.kind == "booking_rejected"))
    assert "当天场地另有安排" in note.body


def test_approved_booking_is_checked_in_then_no_longer_cancellable(session, pending, manager):
    venues.approve_booking(session, pending, actor=manager, now=NOW)
    frontdesk = make_user(session, role="frontdesk")
    venues.check_in(session, pending, actor=frontdesk, now=at("2026-09-14", 9, 50))
    assert pending.status == "checked_in" and pending.checked_in_at == at("2026-09-14", 9, 50)
    with pytest.raises(ValidationError):
        venues.cancel_booking(session, pending, actor=manager, now=NOW)
    states = [e.changes["status"][1] for e in transitions(session, pending)]
    assert states == ["approved", "checked_in"]


def test_cancellation_is_audited_with_its_reason(session, pending, manager):
    venues.approve_booking(session, pending, actor=manager, now=NOW)
    contact = pending.requested_by
    venues.cancel_booking(session, pending, actor=contact, reason="活动延期", now=NOW)
    assert pending.status == "cancelled" and pending.cancelled_at == NOW
    last = transitions(session, pending)[-1]
    assert last.actor_id == contact.id and last.reason == "活动延期"


def test_check_in_only_around_the_booking_and_no_show_only_after_start(session, pending, manager):
    venues.approve_booking(session, pending, actor=manager, now=NOW)
    with pytest.raises(ValidationError):
        venues.check_in(session, pending, actor=manager, now=at("2026-09-14", 8))
    with pytest.raises(ValidationError):
        venues.mark_no_show(session, pending, actor=manager, now=at("2026-09-14", 9))
    venues.mark_no_show(session, pending, actor=manager, now=at("2026-09-14", 10, 40))
    assert pending.status == "no_show"


def test_started_booking_cannot_be_cancelled(session, pending, manager):
    venues.approve_booking(session, pending, actor=manager, now=NOW)
    with pytest.raises(ValidationError):
        venues.cancel_booking(session, pending, actor=manager, now=at("2026-09-14", 10, 5))
    assert pending.status == "approved"


NOT_ALLOWED = [
    # (state, action, word in the message)
    ("approved", "approve", "已批准"),
    ("rejected", "cancel", "已驳回"),
    ("rejected", "approve", "已驳回"),
    ("cancelled", "cancel", "已取消"),
    ("cancelled", "check_in", "已取消"),
    ("pending", "check_in", "待审批"),
    ("pending", "no_show", "待审批"),
    ("checked_in", "no_show", "已签到"),
    ("no_show", "check_in", "未到场"),
    ("approved", "reject", "已批准"),
]


@pytest.mark.parametrize("state,action,word", NOT_ALLOWED)
def test_transition_from_the_wrong_state_is_refused_and_changes_nothing(
        session, venue, org, manager, state, action, word):
    booking = make_booking(session, venue=venue, organization=org,
                           starts_at=at("2026-09-14", 10), status=state)
    when = at("2026-09-14", 10, 30) if action in ("check_in", "no_show") else NOW
    calls = {
        "approve": lambda: venues.approve_booking(session, booking, actor=manager, now=when),
        "reject": lambda: venues.reject_booking(session, booking, reason="不行", actor=manager,
                                                now=when),
        "cancel": lambda: venues.cancel_booking(session, booking, actor=manager, now=when),
        "check_in": lambda: venues.check_in(session, booking, actor=manager, now=when),
        "no_show": lambda: venues.mark_no_show(session, booking, actor=manager, now=when),
    }
    with pytest.raises(ValidationError) as refused:
        calls[action]()
    assert word in str(refused.value.message)
    assert booking.status == state and transitions(session, booking) == []


def test_second_decision_on_stale_data_loses(session, pending, manager):
    """Another manager approved meanwhile (in the database, not yet in our copy)."""
    session.execute(update(Booking).where(Booking.id == pending.id)
                    .values(status="approved", decided_at=NOW)
                    .execution_options(synchronize_session=False))
    assert pending.status == "pending"
    with pytest.raises(ConflictError) as lost:
        venues.reject_booking(session, pending, reason="重复", actor=manager, now=NOW)
    assert "他人" in str(lost.value.message)
    session.expire_all()
    assert session.get(Booking, pending.id).status == "approved"


# --- recurring series ---------------------------------------------------------------------------

def preview(session, venue, org, **repeat):
    return venues.preview_series(session, venue=venue, organization=org, title="周四读书会",
                                 starts_at=at("2026-09-17", 14), ends_at=at("2026-09-17", 16),
                                 attendees=12, now=NOW, **repeat)


def test_weekly_preview_shows_holidays_and_conflicts(session, venue, org):
    taken = make_booking(session, venue=venue, starts_at=at("2026-09-24", 15), title="公益沙龙")
    occurrences = preview(session, venue, org, count=4)
    thursdays = ("2026-09-17", "2026-09-24", "2026-10-01", "2026-10-08")
    assert [o.starts_at for o in occurrences] == [at(day, 14) for day in thursdays]
    ok, clash, holiday, fine = occurrences
    assert ok.ok and fine.ok
    assert clash.conflict is taken and not clash.ok
    assert "国庆节" in str(holiday.problems["starts_at"]) and not holiday.ok


def test_preview_until_a_date_includes_that_date(session, venue, org):
    occurrences = preview(session, venue, org, until=date(2026, 10, 8))
    assert len(occurrences) == 4 and occurrences[-1].starts_at == at("2026-10-08", 14)


def test_preview_counts_earlier_dates_against_the_monthly_quota(session, org):
    venue = make_venue(session, monthly_quota=2)
    occurrences = venues.preview_series(
        session, venue=venue, organization=org, title="周四读书会", starts_at=at("2026-09-03", 14),
        ends_at=at("2026-09-03", 16), attendees=12, count=6, now=NOW)
    # 09-03, 09-10 fit the quota; 09-17, 09-24 exceed it; 10-01 is closed; 10-08 starts October.
    assert [o.ok for o in occurrences] == [True, True, False, False, False, True]
    assert "2026-09" in str(occurrences[2].problems["organization_id"])
    assert "organization_id" not in occurrences[4].problems


@pytest.mark.parametrize("repeat,field", [
    ({}, "count"), ({"count": 2, "until": date(2026, 10, 1)}, "count"), ({"count": 0}, "count"),
    ({"count": 53}, "count"), ({"until": date(2026, 9, 1)}, "until")])
def test_series_needs_a_count_or_an_end_date(session, venue, org, repeat, field):
    with pytest.raises(ValidationError) as refused:
        preview(session, venue, org, **repeat)
    assert field in refused.value.fields


def test_booking_the_chosen_dates_stores_them_under_one_series(session, venue, org, manager):
    chosen = [(o.starts_at, o.ends_at) for o in preview(session, venue, org, count=4) if o.ok]
    booked = venues.book_series(session, venue=venue, organization=org, title="周四读书会",
                                occurrences=chosen, attendees=12, actor=manager, now=NOW)
    assert len(booked) == 3 and len({b.series_id for b in booked}) == 1 and booked[0].series_id
    assert [b.starts_at for b in booked] == [s for s, _ in chosen]


def test_series_with_a_date_taken_meanwhile_stores_nothing_and_names_the_date(
        session, venue, org, manager):
    chosen = [(o.starts_at, o.ends_at) for o in preview(session, venue, org, count=4) if o.ok]
    make_booking(session, venue=venue, starts_at=at("2026-10-08", 13), title="临时路演")
    session.commit()
    with pytest.raises(venues.BookingConflict) as refused:
        venues.book_series(session, venue=venue, organization=org, title="周四读书会",
                           occurrences=chosen, attendees=12, actor=manager, now=NOW)
    assert "2026-10-08" in str(refused.value.message) and "临时路演" in str(refused.value.message)
    session.commit()
    assert live_count(session) == 1


def test_series_with_a_closed_date_stores_nothing_and_names_the_date(session, venue, org, manager):
    chosen = [(o.starts_at, o.ends_at) for o in preview(session, venue, org, count=4)]
    with pytest.raises(ValidationError) as refused:
        venues.book_series(session, venue=venue, organization=org, title="周四读书会",
                           occurrences=chosen, attendees=12, actor=manager, now=NOW)
    assert "2026-10-01" in str(refused.value.message)
    session.commit()
    assert live_count(session) == 0


def test_org_user_cannot_book_a_series_for_another_organization(session, venue, org):
    contact = make_user(session, role="org")
    with pytest.raises(PermissionDenied):
        venues.book_series(session, venue=venue, organization=org, title="读书会",
                           occurrences=[(at("2026-09-17", 14), at("2026-09-17", 16))],
                           attendees=5, actor=contact, now=NOW)


def test_request_is_undone_when_the_caller_rolls_back(session, venue, org, manager):
    """The SAVEPOINT around the insert must not commit on its own (SQLite's driver would, if the
    savepoint opened the transaction)."""
    session.commit()
    request(session, venue, org, manager, at("2026-09-14", 10), at("2026-09-14", 12))
    session.rollback()
    assert live_count(session) == 0
