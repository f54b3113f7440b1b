"""/api/v1/venues and /api/v1/bookings: listing, booking, conflicts, cancelling, refusals.

The API takes no clock, so bookings are made on working days computed from today.
"""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from center.models.base import utcnow
from center.models.venues import Booking, Venue, VenueHours
from center.services import calendar
from tests.api.conftest import error_of
from tests.factories import make_organization

TZ = ZoneInfo("Asia/Shanghai")
VENUES, BOOKINGS = "/api/v1/venues", "/api/v1/bookings"


def make_venue(session, **fields) -> Venue:
    """A venue open 08:00–21:00 Monday to Friday that books far ahead, no approval."""
    n = session.scalar(select(func.count()).select_from(Venue)) + 1
    hours = fields.pop("hours", None) or [
        VenueHours(weekday=d, opens_at=time(8), closes_at=time(21)) for d in range(5)]
    values = dict(name=f"测试场地{n}", location="三层", capacity=30, equipment="投影仪",
                  requires_approval=False, min_lead_minutes=60, max_length_minutes=240,
                  horizon_days=400, monthly_quota=None) | fields
    venue = Venue(**values, hours=hours)
    session.add(venue)
    session.flush()
    return venue


def workday(session, days_ahead: int) -> date:
    """The first Monday–Friday working day at least `days_ahead` days from today."""
    day = date.today() + timedelta(days=days_ahead)
    while day.weekday() >= 5 or not calendar.is_workday(session, day):
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TZ)


def make_booking(session, venue, organization, start, end, *, status="approved", **fields):
    booking = Booking(venue=venue, organization=organization, title=fields.pop("title", "例会"),
                      attendees=fields.pop("attendees", 10), starts_at=start, ends_at=end,
                      status=status, decided_at=utcnow() if status == "approved" else None,
                      **fields)
    session.add(booking)
    session.flush()
    return booking


def request_body(venue, organization=None, start=None, end=None, **overrides) -> dict:
    body = {"venue_id": venue.id, "title": "理事会会议", "attendees": 12,
            "start": start.isoformat() if start else None, "end": end.isoformat() if end else None}
    if organization is not None:
        body["organization_id"] = organization.id
    return body | overrides


def booking_count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Booking))


@pytest.fixture
def venue(session):
    return make_venue(session)


@pytest.fixture
def org(session):
    return make_organization(session, name="北京协作者社会工作发展中心")


@pytest.fixture
def day(session):
    return workday(session, 14)


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
