"""The waitlist: joining for a taken slot, offers with a time-limited hold when the slot frees,
and the periodic jobs that expire holds and release no-shows (both safe to run twice)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from center.models.accounts import User
from center.models.audit import AuditEntry
from center.models.notifications import Notification
from center.models.venues import Booking, WaitlistEntry
from center.services import venues
from center.services.errors import PermissionDenied, ValidationError
from tests.factories import make_booking, make_organization, make_user, make_venue
from tests.venues import NOW, at

SLOT = (at("2026-09-14", 10), at("2026-09-14", 12))


@pytest.fixture
def venue(session):
    return make_venue(session, hold_minutes=120)


@pytest.fixture
def taken(session, venue):
    return make_booking(session, venue=venue, starts_at=SLOT[0], ends_at=SLOT[1])


@pytest.fixture
def manager(session):
    return make_user(session, role="manager")


def join(session, venue, org=None, slot=SLOT, now=NOW, title="公益讲座"):
    org = org or make_organization(session)
    contact = make_user(session, role="org", organization=org)
    return venues.join_waitlist(session, venue=venue, organization=org, title=title,
                                starts_at=slot[0], ends_at=slot[1], attendees=8, actor=contact,
                                now=now)


def requester(session, entry) -> User:
    return session.get(User, entry.requested_by_id)


def offers_to(session, user) -> list[Notification]:
    return list(session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == "booking_offered")))


def test_join_a_taken_slot(session, venue, taken):
    entry = join(session, venue)
    assert entry.status == "waiting" and entry.requested_by_id is not None


def test_joining_a_free_slot_or_twice_is_refused(session, venue, taken):
    with pytest.raises(ValidationError) as refused:
        join(session, venue, slot=(at("2026-09-15", 10), at("2026-09-15", 12)))
    assert "直接预约" in str(refused.value.fields["starts_at"])
    entry = join(session, venue)
    with pytest.raises(ValidationError):
        join(session, venue, org=entry.organization)


def test_joining_checks_the_booking_rules_and_the_organization(session, venue, taken):
    org = make_organization(session)
    with pytest.raises(ValidationError) as refused:
        join(session, venue, org=org, slot=(at("2026-10-01", 10), at("2026-10-01", 12)))
    assert "国庆节" in str(refused.value.fields["starts_at"])
    with pytest.raises(PermissionDenied):
        venues.join_waitlist(session, venue=venue, organization=org, title="讲座",
                             starts_at=SLOT[0], ends_at=SLOT[1], attendees=5,
                             actor=make_user(session, role="org"), now=NOW)
    assert session.scalar(select(func.count()).select_from(WaitlistEntry)) == 0


def test_cancelling_offers_the_slot_to_the_first_in_line(session, venue, taken, manager):
    first = join(session, venue, title="第一位")
    second = join(session, venue, now=NOW + timedelta(minutes=5), title="第二位")
    venues.cancel_booking(session, taken, actor=manager, now=NOW)
    assert first.status == "offered" and second.status == "waiting"
    held = session.get(Booking, first.booking_id)
    assert held.status == "held" and held.title == "第一位"
    assert held.hold_expires_at == NOW + timedelta(minutes=120)
    assert (held.starts_at, held.ends_at) == SLOT
    [note] = offers_to(session, requester(session, first))
    assert "第一位" in note.title and note.link == f"/bookings/{held.id}"


def test_rejection_offers_the_slot_too(session, manager):
    venue = make_venue(session, requires_approval=True)
    pending = make_booking(session, venue=venue, starts_at=SLOT[0], status="pending")
    entry = join(session, venue)
    venues.reject_booking(session, pending, reason="材料不全", actor=manager, now=NOW)
    assert entry.status == "offered"


def test_an_entry_still_blocked_elsewhere_keeps_waiting(session, venue, taken, manager):
    """Waiting for 10:00–13:00; the freed 10:00–12:00 is not enough while 12:00–13:00 is taken."""
    make_booking(session, venue=venue, starts_at=at("2026-09-14", 12),
                 ends_at=at("2026-09-14", 13))
    entry = join(session, venue, slot=(at("2026-09-14", 10), at("2026-09-14", 13)))
    venues.cancel_booking(session, taken, actor=manager, now=NOW)
    assert entry.status == "waiting" and entry.booking_id is None


def test_accepting_an_offer_makes_it_a_booking(session, venue, taken, manager):
    entry = join(session, venue)
    venues.cancel_booking(session, taken, actor=manager, now=NOW)
    held = session.get(Booking, entry.booking_id)
    venues.accept_offer(session, held, actor=requester(session, entry),
                        now=NOW + timedelta(minutes=30))
    assert held.status == "approved" and entry.status == "accepted"


def test_accepted_offer_waits_for_approval_where_the_venue_requires_it(session, manager):
    venue = make_venue(session, requires_approval=True)
    taken = make_booking(session, venue=venue, starts_at=SLOT[0])
    entry = join(session, venue)
    venues.cancel_booking(session, taken, actor=manager, now=NOW)
    held = session.get(Booking, entry.booking_id)
    venues.accept_offer(session, held, actor=manager, now=NOW)
    assert held.status == "pending"


def test_an_offer_cannot_be_accepted_after_its_hold(session, venue, taken, manager):
    entry = join(session, venue)
    venues.cancel_booking(session, taken, actor=manager, now=NOW)
    held = session.get(Booking, entry.booking_id)
    with pytest.raises(ValidationError):
        venues.accept_offer(session, held, actor=manager, now=NOW + timedelta(minutes=121))
    with pytest.raises(PermissionDenied):
        venues.accept_offer(session, held, actor=make_user(session, role="org"), now=NOW)
    assert held.status == "held"


def test_expired_hold_passes_the_slot_to_the_next_in_line(session, venue, taken, manager):
    first = join(session, venue)
    second = join(session, venue, now=NOW + timedelta(minutes=5))
    venues.cancel_booking(session, taken, actor=manager, now=NOW)
    first_hold = session.get(Booking, first.booking_id)
    assert venues.expire_holds(session, now=NOW + timedelta(minutes=119)) == 0
    later = NOW + timedelta(minutes=121)
    assert venues.expire_holds(session, now=later) == 1
    assert first_hold.status == "expired" and first.status == "lapsed"
    assert second.status == "offered"
    second_hold = session.get(Booking, second.booking_id)
    assert second_hold.status == "held"
    assert second_hold.hold_expires_at == later + timedelta(minutes=120)
    assert len(offers_to(session, requester(session, second))) == 1
    assert venues.expire_holds(session, now=later) == 0  # a second run changes nothing
    assert second_hold.status == "held"


def test_hold_never_outlasts_the_start_of_the_booking(session, venue, manager):
    soon = (NOW + timedelta(days=1, hours=1), NOW + timedelta(days=1, hours=2))
    taken = make_booking(session, venue=venue, starts_at=soon[0], ends_at=soon[1])
    entry = join(session, venue, slot=soon)
    venues.cancel_booking(session, taken, actor=manager, now=soon[0] - timedelta(minutes=30))
    assert session.get(Booking, entry.booking_id).hold_expires_at == soon[0]


# --- no-shows -----------------------------------------------------------------------------------

def state(session):
    session.expire_all()
    return (sorted((b.id, b.status) for b in session.scalars(select(Booking))),
            sorted((e.id, e.status) for e in session.scalars(select(WaitlistEntry))),
            session.scalar(select(func.count()).select_from(AuditEntry)),
            session.scalar(select(func.count()).select_from(Notification)))


def test_release_no_shows_frees_the_rest_of_the_time_and_is_idempotent(session, venue):
    late = make_booking(session, venue=venue, starts_at=SLOT[0], ends_at=SLOT[1])
    other_venue = make_venue(session, no_show_after_minutes=60)
    not_yet = make_booking(session, venue=other_venue, starts_at=SLOT[0], ends_at=SLOT[1])
    checked_in = make_booking(session, venue=make_venue(session), starts_at=SLOT[0],
                              status="checked_in")
    entry = join(session, venue, slot=(at("2026-09-14", 11), at("2026-09-14", 12)), now=NOW)
    session.commit()
    run_at = at("2026-09-14", 10, 30)  # 30 minutes after the start: the default limit
    assert venues.release_no_shows(session, now=run_at) == 1
    session.commit()
    assert late.status == "no_show" and not_yet.status == "approved"
    assert checked_in.status == "checked_in"
    assert entry.status == "offered"
    assert session.get(Booking, entry.booking_id).starts_at == at("2026-09-14", 11)
    before = state(session)
    assert venues.release_no_shows(session, now=run_at) == 0
    session.commit()
    assert state(session) == before


def test_release_no_shows_is_audited_as_the_system(session, venue):
    late = make_booking(session, venue=venue, starts_at=SLOT[0], ends_at=SLOT[1])
    venues.release_no_shows(session, now=at("2026-09-14", 11))
    [entry] = session.scalars(select(AuditEntry).where(
        AuditEntry.table_name == "bookings", AuditEntry.record_id == str(late.id),
        AuditEntry.action == "transition"))
    assert entry.actor_id is None and entry.changes["status"] == ["approved", "no_show"]
    assert entry.reason


def test_declining_an_offer_withdraws_the_entry_and_offers_the_next(session, venue, taken, manager):
    first = join(session, venue)
    second = join(session, venue, now=NOW + timedelta(minutes=5))
    venues.cancel_booking(session, taken, actor=manager, now=NOW)
    held = session.get(Booking, first.booking_id)
    venues.cancel_booking(session, held, actor=requester(session, first), now=NOW)
    assert held.status == "cancelled" and first.status == "withdrawn"
    assert second.status == "offered"
