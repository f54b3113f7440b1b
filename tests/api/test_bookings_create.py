"""POST /api/v1/bookings: booking, bad input, the venue's rules and the roles that may book."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from center.models.base import utcnow
from center.models.venues import Booking, VenueHours
from center.services import calendar
from tests.api.conftest import error_of
from tests.api.venue_helpers import (
    BOOKINGS, at, booking_count, make_booking, make_venue, request_body, workday,
)


# --- creating a booking ----------------------------------------------------------------------

def test_staff_books_for_an_organization_and_gets_the_item_and_its_location(
        api, session, venue, org, day):
    api.login("frontdesk")
    session.commit()
    response = api.post(BOOKINGS, json=request_body(venue, org, at(day, 9), at(day, 11)))
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert item == {"id": item["id"], "venue_id": venue.id, "organization_id": org.id,
                    "title": "理事会会议", "start": f"{day.isoformat()}T09:00:00+08:00",
                    "end": f"{day.isoformat()}T11:00:00+08:00", "attendees": 12,
                    "status": "approved", "status_label": "已批准"}
    assert response.headers["Location"].endswith(f"/api/v1/bookings/{item['id']}")
    assert api.get(response.headers["Location"]).get_json() == item
    stored = session.get(Booking, item["id"])
    assert (stored.requested_by_id, stored.starts_at) == (api.user.id, at(day, 9))


def test_booking_a_venue_that_requires_approval_is_pending(api, session, org, day):
    api.login("manager")
    venue = make_venue(session, requires_approval=True)
    session.commit()
    response = api.post(BOOKINGS, json=request_body(venue, org, at(day, 9), at(day, 10)))
    assert response.status_code == 201
    assert (response.get_json()["status"], response.get_json()["status_label"]) \
        == ("pending", "待审批")


def test_times_in_utc_are_understood(api, session, venue, org, day):
    api.login("frontdesk")
    session.commit()
    body = request_body(venue, org) | {"start": f"{day.isoformat()}T01:00:00Z",
                                       "end": f"{day.isoformat()}T02:30Z"}
    item = api.post(BOOKINGS, json=body).get_json()
    assert (item["start"], item["end"]) == (f"{day.isoformat()}T09:00:00+08:00",
                                            f"{day.isoformat()}T10:30:00+08:00")


def test_organization_user_books_for_their_own_organization(api, session, venue, day):
    user = api.login("org")
    session.commit()
    response = api.post(BOOKINGS, json=request_body(venue, None, at(day, 9), at(day, 10)))
    assert response.status_code == 201
    assert response.get_json()["organization_id"] == user.organization_id
    own = request_body(venue, user.organization, at(day, 10), at(day, 11))
    assert api.post(BOOKINGS, json=own).status_code == 201


def test_organization_user_booking_for_another_organization_is_refused(
        api, session, venue, org, day):
    api.login("org")
    session.commit()
    response = api.post(BOOKINGS, json=request_body(venue, org, at(day, 9), at(day, 10)))
    assert response.status_code == 403
    assert set(error_of(response)["fields"]) == {"organization_id"}
    assert booking_count(session) == 0


def test_staff_must_name_a_known_organization(api, session, venue, day):
    api.login("frontdesk")
    session.commit()
    missing = api.post(BOOKINGS, json=request_body(venue, None, at(day, 9), at(day, 10)))
    unknown = api.post(BOOKINGS, json=request_body(venue, None, at(day, 9), at(day, 10),
                                                   organization_id=99999))
    for response in (missing, unknown):
        assert response.status_code == 422
        assert set(error_of(response)["fields"]) == {"organization_id"}
    assert booking_count(session) == 0


def test_unknown_or_archived_venue_is_404(api, session, org, day):
    api.login("frontdesk")
    archived = make_venue(session, archived_at=utcnow())
    session.commit()
    for venue_id in (99999, archived.id):
        body = request_body(archived, org, at(day, 9), at(day, 10), venue_id=venue_id)
        response = api.post(BOOKINGS, json=body)
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    assert booking_count(session) == 0


def test_missing_fields_are_each_named(api, session):
    api.login("frontdesk")
    session.commit()
    response = api.post(BOOKINGS, json={})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"venue_id", "title", "start", "end", "attendees"}


@pytest.mark.parametrize("overrides, field, words", [
    ({"start": "2026-12-01T09:00:00"}, "start", "时区偏移"),
    ({"end": "2026-12-01 11:00"}, "end", "时区偏移"),
    ({"start": "2026-12-01"}, "start", "缺少时间"),
    ({"start": "2026-13-01T09:00:00+08:00"}, "start", "ISO 8601"),
    ({"start": "明天上午九点"}, "start", "ISO 8601"),
    ({"start": "0001-01-01T00:00:00+08:00"}, "start", "ISO 8601"),
    ({"end": 1764550800}, "end", "ISO 8601"),
    ({"attendees": "12"}, "attendees", "正整数"),
    ({"attendees": 0}, "attendees", "正整数"),
    ({"venue_id": True}, "venue_id", "编号"),
    ({"title": "  "}, "title", "必填"),
    ({"title": "x" * 201}, "title", "200"),
    ({"title": "会议\x00"}, "title", "控制字符"),
])
def test_malformed_input_is_422_on_its_field(api, session, venue, org, day, overrides, field,
                                             words):
    api.login("frontdesk")
    session.commit()
    body = request_body(venue, org, at(day, 9), at(day, 11)) | overrides
    response = api.post(BOOKINGS, json=body)
    assert response.status_code == 422
    error = error_of(response)
    assert set(error["fields"]) == {field}
    assert words in error["fields"][field]
    assert booking_count(session) == 0


def test_a_body_that_is_not_json_is_400(api, session):
    api.login("frontdesk")
    session.commit()
    response = api.post(BOOKINGS, data="venue_id=1",
                        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


def closed_saturday(session, after: date) -> date:
    day = after + timedelta(days=(5 - after.weekday()) % 7 or 7)
    while calendar.is_workday(session, day):  # a make-up workday (调休) is open
        day += timedelta(days=7)
    return day


def _slot(session, day, case):
    """(start, end, venue overrides) for a rule-breaking request."""
    past = workday(session, -30)
    beyond = workday(session, 420)
    saturday = closed_saturday(session, day)
    return {
        "end before start": (at(day, 11), at(day, 9), {}),
        "zero length": (at(day, 9), at(day, 9), {}),
        "in the past": (at(past, 9), at(past, 10), {}),
        "beyond the horizon": (at(beyond, 9), at(beyond, 10), {}),
        "before opening": (at(day, 7), at(day, 9), {}),
        "after closing": (at(day, 20), at(day, 22), {}),
        "on a closed saturday": (at(saturday, 9), at(saturday, 10), {}),
        "over the longest length": (at(day, 9), at(day, 14), {}),
        "within the lead time": (utcnow() + timedelta(minutes=30),
                                 utcnow() + timedelta(minutes=90),
                                 {"hours": [VenueHours(weekday=d, opens_at=time(0),
                                                       closes_at=time(23, 59))
                                            for d in range(7)]}),
    }[case]


@pytest.mark.parametrize("case, field", [
    ("end before start", "end"), ("zero length", "end"), ("in the past", "start"),
    ("beyond the horizon", "start"), ("before opening", "start"), ("after closing", "start"),
    ("on a closed saturday", "start"), ("over the longest length", "end"),
    ("within the lead time", "start"),
])
def test_a_broken_rule_is_422_naming_the_field(api, session, org, day, case, field):
    api.login("frontdesk")
    start, end, venue_fields = _slot(session, day, case)
    venue = make_venue(session, **venue_fields)
    session.commit()
    response = api.post(BOOKINGS, json=request_body(venue, org, start, end))
    assert response.status_code == 422, case
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert set(error["fields"]) <= {"start", "end"}
    assert booking_count(session) == 0


def test_a_statutory_holiday_is_closed(api, session, venue, org):
    """1 January 2027, a Friday: 元旦 (by rule: the library's tables end with 2026)."""
    api.login("frontdesk")
    session.commit()
    holiday = date(2027, 1, 1)
    assert not calendar.is_workday(session, holiday) and holiday.weekday() == 4
    response = api.post(BOOKINGS, json=request_body(venue, org, at(holiday, 9), at(holiday, 10)))
    assert response.status_code == 422
    assert "start" in error_of(response)["fields"]
    assert booking_count(session) == 0


@pytest.fixture
def mid_september_2026(monkeypatch):
    """The service's clock (the API passes none) set to Monday 14 September 2026, 09:00."""
    from center.services import venues as service
    monkeypatch.setattr(service, "utcnow", lambda: datetime(2026, 9, 14, 1, tzinfo=timezone.utc))


def test_national_day_2026_is_closed(api, session, venue, org, mid_september_2026):
    api.login("frontdesk")
    session.commit()
    holiday = date(2026, 10, 1)
    response = api.post(BOOKINGS, json=request_body(venue, org, at(holiday, 9), at(holiday, 10)))
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"start"}
    assert "国庆节" in error_of(response)["fields"]["start"]
    assert booking_count(session) == 0


def test_a_make_up_workday_is_open_with_mondays_hours(api, session, venue, org,
                                                      mid_september_2026):
    """Saturday 10 October 2026 is worked (调休) though the venue has no Saturday hours."""
    api.login("frontdesk")
    session.commit()
    saturday = date(2026, 10, 10)
    response = api.post(BOOKINGS, json=request_body(venue, org, at(saturday, 9), at(saturday, 10)))
    assert response.status_code == 201
    closed = api.post(BOOKINGS, json=request_body(venue, org, at(saturday, 20), at(saturday, 22)))
    assert set(error_of(closed)["fields"]) == {"start"}


def test_more_attendees_than_capacity_is_422_on_attendees(api, session, org, day):
    api.login("frontdesk")
    venue = make_venue(session, capacity=20)
    session.commit()
    response = api.post(BOOKINGS, json=request_body(venue, org, at(day, 9), at(day, 10),
                                                    attendees=21))
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"attendees"}
    assert "20" in error_of(response)["fields"]["attendees"]
    assert booking_count(session) == 0


def test_over_the_monthly_quota_is_422(api, session, org):
    api.login("frontdesk")
    venue = make_venue(session, monthly_quota=2)
    month = (date.today() + timedelta(days=60)).replace(day=1)  # wholly 30+ days ahead
    days = [d for d in (month + timedelta(days=n) for n in range(28))
            if d.weekday() < 5 and calendar.is_workday(session, d)]
    for booked in days[:2]:
        make_booking(session, venue, org, at(booked, 9), at(booked, 10))
    session.commit()
    response = api.post(BOOKINGS, json=request_body(venue, org, at(days[2], 9), at(days[2], 10)))
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"organization_id"}
    assert "2" in error_of(response)["fields"]["organization_id"]
    assert booking_count(session) == 2


# --- roles -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["reviewer", "supervisor", "platform"])
def test_roles_that_do_not_book_are_refused(api, session, venue, org, day, role):
    api.login(role)
    session.commit()
    response = api.post(BOOKINGS, json=request_body(venue, org, at(day, 9), at(day, 10)))
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert booking_count(session) == 0


def test_platform_operators_do_not_see_bookings(api, session):
    api.login("platform")
    session.commit()
    assert api.get(BOOKINGS).status_code == 403
