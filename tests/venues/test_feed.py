"""The private iCalendar feed of a venue: RFC 5545, a revocable token, no contact data."""
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from center.services import venues
from tests.factories import make_booking, make_organization, make_venue


def soon(days: float) -> datetime:
    moment = datetime.now(timezone.utc) + timedelta(days=days)
    return moment.replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def venue(session):
    venue = make_venue(session, name="路演厅", location="三层东侧")
    venues.rotate_feed_token(session, venue, actor=None)
    return venue


def events(response) -> list:
    return [c for c in Calendar.from_ical(response.data).walk("VEVENT")]


def test_feed_lists_live_bookings_of_the_window_in_utc(client, session, venue):
    org = make_organization(session, name="东城公益协会", contact_phone="13800138000",
                            contact_name="王联系")
    live = make_booking(session, venue=venue, organization=org, title="年度路演",
                        starts_at=soon(3), ends_at=soon(3) + timedelta(hours=2))
    make_booking(session, venue=venue, organization=org, title="待审", status="pending",
                 starts_at=soon(4))
    make_booking(session, venue=venue, title="已取消", status="cancelled", starts_at=soon(5))
    make_booking(session, venue=venue, title="太远", starts_at=soon(400))
    make_booking(session, venue=make_venue(session), title="别的场地", starts_at=soon(3))
    session.commit()
    response = client.get(f"/venues/{venue.id}/feed/{venue.feed_token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    found = {str(e["SUMMARY"]): e for e in events(response)}
    assert set(found) == {"年度路演", "待审"}
    event = found["年度路演"]
    assert event["DTSTART"].dt == live.starts_at and event["DTSTART"].dt.utcoffset() == timedelta(0)
    assert event["DTEND"].dt == live.ends_at
    assert str(event["STATUS"]) == "CONFIRMED" and str(found["待审"]["STATUS"]) == "TENTATIVE"
    assert str(event["LOCATION"]) == "三层东侧"
    body = response.get_data(as_text=True)
    assert "13800138000" not in body and "王联系" not in body


def test_feed_uid_is_stable_per_booking(client, session, venue):
    make_booking(session, venue=venue, starts_at=soon(2))
    make_booking(session, venue=venue, starts_at=soon(9))
    session.commit()
    url = f"/venues/{venue.id}/feed/{venue.feed_token}.ics"
    first = [str(e["UID"]) for e in events(client.get(url))]
    second = [str(e["UID"]) for e in events(client.get(url))]
    assert first == second and len(set(first)) == 2


def test_wrong_or_rotated_token_gives_404(client, session, venue):
    old = venue.feed_token
    session.commit()
    assert client.get(f"/venues/{venue.id}/feed/{old}x.ics").status_code == 404
    assert client.get(f"/venues/{venue.id + 1}/feed/{old}.ics").status_code == 404
    new = venues.rotate_feed_token(session, venue, actor=None)
    session.commit()
    assert client.get(f"/venues/{venue.id}/feed/{old}.ics").status_code == 404
    assert client.get(f"/venues/{venue.id}/feed/{new}.ics").status_code == 200


def test_venue_without_a_token_has_no_feed(client, session):
    venue = make_venue(session)
    session.commit()
    assert client.get(f"/venues/{venue.id}/feed/None.ics").status_code == 404
    assert client.get(f"/venues/{venue.id}/feed/.ics").status_code == 404


def test_manager_rotates_the_token_and_sees_the_private_link(auth, client, session, venue):
    old = venue.feed_token
    session.commit()
    auth.login("manager")
    response = auth.post(f"/venues/{venue.id}/feed-token", follow_redirects=True)
    session.expire_all()
    assert venue.feed_token != old
    assert f"/venues/{venue.id}/feed/{venue.feed_token}.ics" in response.get_data(as_text=True)
    assert client.get(f"/venues/{venue.id}/feed/{old}.ics").status_code == 404


def test_feed_link_is_shown_to_managers_only(auth, client, session, venue):
    session.commit()
    auth.login("frontdesk")
    page = client.get(f"/venues/{venue.id}").get_data(as_text=True)
    assert venue.feed_token not in page
    assert auth.post(f"/venues/{venue.id}/feed-token").status_code == 403
