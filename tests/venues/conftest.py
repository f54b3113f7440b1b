"""Fixtures shared by the venue page tests (test_venue_pages.py, test_booking_pages.py).

Modules here that define their own `venue` or `org` fixture keep using theirs."""
import pytest

from tests.factories import make_organization, make_venue


@pytest.fixture
def venue(session):
    return make_venue(session, name="多功能厅", capacity=40, horizon_days=400)


@pytest.fixture
def org(session):
    return make_organization(session, name="朝阳公益促进会")
