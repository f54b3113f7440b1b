"""/api/v1/venues and GET /api/v1/bookings: listing venues and bookings, and the
answers against their documented schemas."""
from datetime import date, timedelta

import pytest

from center.models.base import utcnow
from tests.api.conftest import error_of
from tests.api.venue_helpers import (
    BOOKINGS, VENUES, at, make_booking, make_venue, request_body, workday,
)
from tests.factories import make_organization


# --- venues ----------------------------------------------------------------------------------

def test_venue_list_item_has_rules_and_opening_hours(api, session):
    api.login("org")
    venue = make_venue(session, name="多功能厅", capacity=80, monthly_quota=4,
                       requires_approval=True)
    make_venue(session, name="已停用的会议室", archived_at=utcnow())
    session.commit()
    body = api.get(VENUES).get_json()
    assert body["total"] == 1
    assert body["items"] == [{
        "id": venue.id, "name": "多功能厅", "location": "三层", "capacity": 80,
        "equipment": "投影仪", "requires_approval": True, "min_lead_minutes": 60,
        "max_length_minutes": 240, "horizon_days": 400, "monthly_quota": 4,
        "hours": [{"weekday": d, "opens": "08:00", "closes": "21:00"} for d in range(5)]}]


@pytest.mark.parametrize("role", ["admin", "frontdesk", "reviewer", "platform", "supervisor"])
def test_every_role_may_list_venues(api, session, venue, role):
    api.login(role)
    session.commit()
    assert api.get(VENUES).get_json()["total"] == 1


def test_venue_list_needs_a_token(client):
    response = client.get(VENUES)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_venue_list_runs_the_same_queries_for_one_or_many_venues(api, session, count_queries):
    api.login("manager")
    make_venue(session)
    session.commit()
    api.get(VENUES)
    with count_queries() as one:
        assert api.get(VENUES).get_json()["total"] == 1
    for _n in range(6):
        make_venue(session)
    session.commit()
    with count_queries() as many:
        assert api.get(VENUES).get_json()["total"] == 7
    assert many.count == one.count <= 4  # token, count, page, hours


# --- listing bookings ------------------------------------------------------------------------

def test_bookings_are_listed_by_venue_and_period(api, session, venue, org, day):
    api.login("supervisor")
    other_venue = make_venue(session)
    next_day = workday(session, (day - date.today()).days + 1)
    early = make_booking(session, venue, org, at(day, 8), at(day, 9))
    late = make_booking(session, venue, org, at(day, 19), at(day, 21))
    make_booking(session, venue, org, at(next_day, 9), at(next_day, 10))
    make_booking(session, other_venue, org, at(day, 9), at(day, 10))
    session.commit()

    def ids(**params):
        return [i["id"] for i in api.get(BOOKINGS, query_string={"venue_id": venue.id, **params})
                .get_json()["items"]]
    assert ids(**{"from": day.isoformat(), "to": day.isoformat()}) == [early.id, late.id]
    assert ids(**{"from": at(day, 8, 30).isoformat(), "to": at(day, 19).isoformat()}) == [early.id]
    assert ids(**{"from": at(day, 20).isoformat()})[0] == late.id
    assert len(ids()) == 3
    assert api.get(BOOKINGS, query_string={"venue_id": 99999}).get_json()["total"] == 0


def test_the_earliest_dates_are_no_error(api, session, venue, org, day):
    api.login("manager")
    make_booking(session, venue, org, at(day, 8), at(day, 9))
    session.commit()
    for start in ("0001-01-02", "0001-01-01T16:00:00Z"):
        response = api.get(BOOKINGS, query_string={"from": start})
        assert response.get_json()["total"] == 1, start


def test_status_filter(api, session, venue, org, day):
    api.login("manager")
    make_booking(session, venue, org, at(day, 8), at(day, 9))
    pending = make_booking(session, venue, org, at(day, 9), at(day, 10), status="pending")
    session.commit()
    body = api.get(BOOKINGS, query_string={"status": "pending"}).get_json()
    assert [i["id"] for i in body["items"]] == [pending.id]


@pytest.mark.parametrize("params, name", [
    ({"from": "2026-12-01T09:00:00"}, "from"), ({"to": "2026-12-01 09:00"}, "to"),
    ({"from": "2026-02-30"}, "from"), ({"to": "next week"}, "to"), ({"to": "9999-12-31"}, "to"),
    ({"from": "0001-01-01"}, "from"),
    ({"venue_id": "abc"}, "venue_id"), ({"venue_id": "-1"}, "venue_id"),
    ({"from": "2026-12-02", "to": "2026-12-01"}, "to"), ({"status": "done"}, "status"),
])
def test_a_bad_list_parameter_is_400_naming_it(api, session, params, name):
    api.login("manager")
    session.commit()
    response = api.get(BOOKINGS, query_string=params)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_request"
    assert name in error["message"]
    assert set(error["fields"]) == {name}


def test_an_organization_user_sees_others_bookings_only_as_taken(api, session, venue, org, day):
    user = api.login("org")
    own = make_booking(session, venue, user.organization, at(day, 8), at(day, 9), title="我们的会")
    theirs = make_booking(session, venue, org, at(day, 9), at(day, 10), title="别人的会")
    make_booking(session, venue, org, at(day, 10), at(day, 11), status="cancelled")
    session.commit()
    items = api.get(BOOKINGS, query_string={"venue_id": venue.id}).get_json()["items"]
    assert [i["id"] for i in items] == [own.id, theirs.id]
    assert items[0]["title"] == "我们的会"
    assert items[1] == {"id": theirs.id, "venue_id": venue.id, "status": "approved",
                        "start": at(day, 9).isoformat(), "end": at(day, 10).isoformat()}
    response = api.get(f"{BOOKINGS}/{theirs.id}")
    assert response.status_code == 404


def test_booking_list_runs_the_same_queries_for_few_or_many(api, session, venue, org, day,
                                                          count_queries):
    api.login("frontdesk")
    make_booking(session, venue, org, at(day, 8), at(day, 9))
    session.commit()
    params = {"from": day.isoformat(), "to": (day + timedelta(days=6)).isoformat()}
    api.get(BOOKINGS, query_string=params)
    with count_queries() as few:
        assert api.get(BOOKINGS, query_string=params).get_json()["total"] == 1
    for hour in range(9, 20):
        make_booking(session, make_venue(session), make_organization(session),
                     at(day, hour), at(day, hour + 1))
    session.commit()
    with count_queries() as many:
        assert api.get(BOOKINGS, query_string=params).get_json()["total"] == 12
    assert many.count == few.count <= 3  # token, count, page


# --- the document ----------------------------------------------------------------------------

def test_answers_match_their_documented_schemas(api, client, session, venue, org, day):
    from tests.api.test_openapi import _conforms, _document
    document = _document(client)
    user = api.login("org")
    make_booking(session, venue, org, at(day, 8), at(day, 9))
    session.commit()
    created = api.post(BOOKINGS, json=request_body(venue, None, at(day, 9), at(day, 10)))
    _conforms(document, "Booking", created.get_json())
    _conforms(document, "VenuePage", api.get(VENUES).get_json())
    page = api.get(BOOKINGS).get_json()
    assert len(page["items"]) == 2 and user.organization_id != org.id
    _conforms(document, "BookingListItemPage", page)
    conflict = api.post(BOOKINGS, json=request_body(venue, None, at(day, 9), at(day, 10)))
    _conforms(document, "Error", conflict.get_json())
    operation = document["paths"]["/bookings"]["post"]
    assert {"201", "403", "404", "409", "422"} <= set(operation["responses"])
    assert operation["x-roles"] == ["admin", "frontdesk", "manager", "org"]
