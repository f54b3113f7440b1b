"""A booking spans at most one day: the rule the overlap search relies on, kept by the database."""
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from center.services import venues
from center.services.errors import ValidationError
from tests.factories import make_booking, make_venue


def test_database_refuses_a_booking_longer_than_a_day(session):
    venue = make_venue(session)
    session.commit()
    booking = make_booking(session, venue=venue)
    session.commit()
    booking.ends_at = booking.starts_at + timedelta(days=1, minutes=1)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_a_day_long_booking_still_blocks_the_next_morning(session):
    venue = make_venue(session)
    long_one = make_booking(session, venue=venue)
    long_one.ends_at = long_one.starts_at + timedelta(days=1)
    session.commit()
    later = long_one.starts_at + timedelta(hours=23)
    assert venues.find_conflict(session, venue=venue, starts_at=later,
                                ends_at=later + timedelta(hours=2)) == long_one
    with pytest.raises(IntegrityError):
        make_booking(session, venue=venue, starts_at=later)
    session.rollback()


def test_venue_maximum_length_cannot_exceed_a_day(session):
    with pytest.raises(ValidationError) as raised:
        make_venue(session, max_length_minutes=1441)
    assert "max_length_minutes" in raised.value.fields
