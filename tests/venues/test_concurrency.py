"""Simultaneous requests against PostgreSQL: one slot, one winner; one request, one decision.

Each thread has its own app context, database session and connection, and all of them are
released together by a barrier, as concurrent web requests would be.
"""
import threading

import pytest
from sqlalchemy import func, select

from center.extensions import db
from center.models.accounts import User
from center.models.audit import AuditEntry
from center.models.directory import Organization
from center.models.venues import Booking, Venue
from center.services import venues
from center.services.errors import DomainError
from tests.conftest import PG_URL
from tests.factories import make_booking, make_organization, make_user, make_venue
from tests.venues import NOW, at

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="the race test needs PostgreSQL's concurrent writers"),
]
THREADS = 12
SLOT = (at("2026-09-14", 10), at("2026-09-14", 12))


def race(app, n, prepare, act) -> list[str]:
    """Run act(session, prepared, i) in n threads at once; each result is "ok" or the name
    of the exception it raised (any non-domain error is shown in full)."""
    barrier, results = threading.Barrier(n, timeout=30), [None] * n

    def run(i):
        with app.app_context():
            try:
                prepared = prepare(db.session, i)
                barrier.wait()
                act(db.session, prepared, i)
                db.session.commit()
                results[i] = "ok"
            except DomainError as error:
                results[i] = type(error).__name__
            except Exception as error:  # noqa: BLE001 - reported to the test, which fails
                results[i] = repr(error)
            finally:
                db.session.rollback()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def booking_requests(app, session, venue):
    orgs = [make_organization(session) for _ in range(THREADS)]
    users = [make_user(session, role="org", organization=org) for org in orgs]
    session.commit()
    ids = [(venue.id, org.id, user.id) for org, user in zip(orgs, users)]

    def prepare(s, i):
        venue_id, org_id, user_id = ids[i]
        return s.get(Venue, venue_id), s.get(Organization, org_id), s.get(User, user_id)

    def act(s, prepared, i):
        venue, org, user = prepared
        venues.request_booking(s, venue=venue, organization=org, title=f"活动{i}",
                               starts_at=SLOT[0], ends_at=SLOT[1], attendees=10, actor=user,
                               now=NOW)

    return race(app, THREADS, prepare, act)


def test_simultaneous_requests_for_one_slot_book_it_exactly_once(app, session):
    venue = make_venue(session)
    results = booking_requests(app, session, venue)
    assert sorted(results) == ["BookingConflict"] * (THREADS - 1) + ["ok"], results
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Booking)) == 1


def test_simultaneous_requests_leave_one_pending_so_two_cannot_be_approved(app, session):
    venue = make_venue(session, requires_approval=True)
    results = booking_requests(app, session, venue)
    assert results.count("ok") == 1, results
    session.expire_all()
    [pending] = session.scalars(select(Booking))
    assert pending.status == "pending"
    manager = make_user(session, role="manager")
    venues.approve_booking(session, pending, actor=manager, now=NOW)
    session.commit()


def test_two_managers_deciding_one_request_at_once_cannot_both_succeed(app, session):
    venue = make_venue(session, requires_approval=True)
    booking = make_booking(session, venue=venue, starts_at=SLOT[0], status="pending",
                           decided_at=None)
    managers = [make_user(session, role="manager") for _ in range(6)]
    session.commit()
    ids, booking_id = [m.id for m in managers], booking.id

    def prepare(s, i):
        return s.get(Booking, booking_id), s.get(User, ids[i])

    def act(s, prepared, i):
        target, manager = prepared
        if i % 2:
            venues.reject_booking(s, target, reason=f"经理{i}驳回", actor=manager, now=NOW)
        else:
            venues.approve_booking(s, target, actor=manager, now=NOW)

    results = race(app, len(ids), prepare, act)
    assert results.count("ok") == 1, results
    assert set(results) <= {"ok", "ConflictError", "ValidationError"}, results
    winner = results.index("ok")
    session.expire_all()
    decided = session.get(Booking, booking_id)
    assert decided.status == ("rejected" if winner % 2 else "approved")
    assert decided.decided_by_id == ids[winner]
    [entry] = session.scalars(select(AuditEntry).where(
        AuditEntry.table_name == "bookings", AuditEntry.record_id == str(booking_id),
        AuditEntry.action == "transition"))
    assert entry.actor_id == ids[winner]


def test_a_series_and_a_single_request_racing_for_one_date_store_one_of_them(app, session):
    venue = make_venue(session)
    org, other = make_organization(session), make_organization(session)
    staff = [make_user(session, role="frontdesk") for _ in range(2)]
    session.commit()
    ids = [(venue.id, o.id, user.id) for o, user in zip((org, other), staff)]
    dates = [(at(d, 10), at(d, 12)) for d in ("2026-09-07", "2026-09-14", "2026-09-21")]

    def prepare(s, i):
        venue_id, org_id, user_id = ids[i]
        return s.get(Venue, venue_id), s.get(Organization, org_id), s.get(User, user_id)

    def act(s, prepared, i):
        v, o, user = prepared
        if i == 0:
            venues.book_series(s, venue=v, organization=o, title="系列", occurrences=dates,
                               attendees=5, actor=user, now=NOW)
        else:
            venues.request_booking(s, venue=v, organization=o, title="单次", starts_at=SLOT[0],
                                   ends_at=SLOT[1], attendees=5, actor=user, now=NOW)

    results = race(app, 2, prepare, act)
    assert sorted(results) == ["BookingConflict", "ok"], results
    session.expire_all()
    titles = sorted(b.title for b in session.scalars(select(Booking)))
    assert titles in (["单次"], ["系列"] * 3)
