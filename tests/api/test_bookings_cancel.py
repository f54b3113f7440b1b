"""/api/v1/bookings: conflicts between bookings, and cancelling."""
import pytest

from center.models.venues import Booking
from tests.api.conftest import error_of
from tests.api.venue_helpers import BOOKINGS, at, booking_count, make_booking, request_body


# --- conflicts -------------------------------------------------------------------------------

def test_an_overlap_is_409_booking_conflict_naming_the_booking_in_the_way(
        api, session, venue, org, day):
    api.login("frontdesk")
    make_booking(session, venue, org, at(day, 9), at(day, 11), title="年度理事会")
    session.commit()
    response = api.post(BOOKINGS, json=request_body(venue, org, at(day, 10), at(day, 12)))
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "booking_conflict"
    assert "年度理事会" in error["message"]
    assert error["fields"]
    assert booking_count(session) == 1


def test_an_organization_user_is_not_told_whose_booking_is_in_the_way(
        api, session, venue, org, day):
    api.login("org")
    make_booking(session, venue, org, at(day, 9), at(day, 11), title="年度理事会")
    session.commit()
    response = api.post(BOOKINGS, json=request_body(venue, None, at(day, 10), at(day, 12)))
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "booking_conflict"
    assert "年度理事会" not in error["message"] and org.name not in error["message"]
    assert "09:00" in error["message"]


def test_back_to_back_bookings_do_not_conflict(api, session, venue, org, day):
    api.login("frontdesk")
    make_booking(session, venue, org, at(day, 9), at(day, 10))
    session.commit()
    before = api.post(BOOKINGS, json=request_body(venue, org, at(day, 8), at(day, 9)))
    after = api.post(BOOKINGS, json=request_body(venue, org, at(day, 10), at(day, 11)))
    assert (before.status_code, after.status_code) == (201, 201)


def test_a_cancelled_booking_does_not_block_its_time(api, session, venue, org, day):
    api.login("frontdesk")
    make_booking(session, venue, org, at(day, 9), at(day, 11), status="cancelled")
    session.commit()
    response = api.post(BOOKINGS, json=request_body(venue, org, at(day, 9), at(day, 11)))
    assert response.status_code == 201


# --- cancelling ------------------------------------------------------------------------------

def test_cancel_answers_the_cancelled_booking(api, session, venue, day):
    user = api.login("org")
    booking = make_booking(session, venue, user.organization, at(day, 9), at(day, 10))
    session.commit()
    response = api.post(f"{BOOKINGS}/{booking.id}/cancel", json={"reason": "活动改期"})
    assert response.status_code == 200
    assert (response.get_json()["id"], response.get_json()["status"]) == (booking.id, "cancelled")
    session.expire_all()
    assert session.get(Booking, booking.id).status == "cancelled"


def test_cancel_needs_no_body(api, session, venue, org, day):
    api.login("frontdesk")
    booking = make_booking(session, venue, org, at(day, 9), at(day, 10))
    session.commit()
    response = api.post(f"{BOOKINGS}/{booking.id}/cancel")
    assert (response.status_code, response.get_json()["status"]) == (200, "cancelled")


def test_cancelling_another_organizations_booking_is_404(api, session, venue, org, day):
    api.login("org")
    booking = make_booking(session, venue, org, at(day, 9), at(day, 10))
    session.commit()
    response = api.post(f"{BOOKINGS}/{booking.id}/cancel")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    session.expire_all()
    assert session.get(Booking, booking.id).status == "approved"
    assert api.post(f"{BOOKINGS}/99999/cancel").status_code == 404


def test_cancelling_twice_is_422_naming_the_state(api, session, venue, org, day):
    api.login("frontdesk")
    booking = make_booking(session, venue, org, at(day, 9), at(day, 10))
    session.commit()
    assert api.post(f"{BOOKINGS}/{booking.id}/cancel").status_code == 200
    response = api.post(f"{BOOKINGS}/{booking.id}/cancel")
    assert response.status_code == 422
    assert "已取消" in error_of(response)["message"]


def test_cancel_refuses_a_bad_reason(api, session, venue, org, day):
    api.login("frontdesk")
    booking = make_booking(session, venue, org, at(day, 9), at(day, 10))
    session.commit()
    response = api.post(f"{BOOKINGS}/{booking.id}/cancel", json={"reason": ["x"]})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"reason"}
    session.expire_all()
    assert session.get(Booking, booking.id).status == "approved"


@pytest.mark.parametrize("role", ["reviewer", "supervisor"])
def test_readers_may_not_cancel(api, session, venue, org, day, role):
    api.login(role)
    booking = make_booking(session, venue, org, at(day, 9), at(day, 10))
    session.commit()
    assert api.post(f"{BOOKINGS}/{booking.id}/cancel").status_code == 403
