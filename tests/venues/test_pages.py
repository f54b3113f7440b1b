"""Venue booking pages: access per role, the booking form's bad input, conflicts and the
waitlist, weekly series, approvals, the calendars and the management forms."""
import html
import re
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from center.models.venues import Booking, Venue, VenueBlackout, WaitlistEntry
from center.services.calendar import days_between
from center.services.venues import CENTER_TZ
from tests.factories import make_booking, make_organization, make_user, make_venue


# --- helpers ----------------------------------------------------------------------------------

def today() -> date:
    return datetime.now(CENTER_TZ).date()


def workdays(session, count: int, *, after: int = 3) -> list[date]:
    """The next `count` ordinary weekdays that are working days, at least `after` days ahead."""
    first = today() + timedelta(days=after)
    return [d.day for d in days_between(session, first, first + timedelta(days=90))
            if d.is_workday and not d.is_weekend][:count]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CENTER_TZ)


def field_html(page: str, name: str) -> str:
    """The form field block (label, input, errors) holding the input named name."""
    for chunk in page.split('<div class="field')[1:]:
        if f'name="{name}"' in chunk.split("</div>")[0]:
            return html.unescape(chunk.split("</div>")[0])
    raise AssertionError(f"no field {name}")


def bookings(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Booking))


@pytest.fixture
def venue(session):
    return make_venue(session, name="多功能厅", capacity=40, horizon_days=400)


@pytest.fixture
def org(session):
    return make_organization(session, name="朝阳公益促进会")


def form_data(venue, day, start="10:00", end="12:00", **extra):
    return {"venue_id": str(venue.id), "title": "志愿者培训", "attendees": "20",
            "day": day.isoformat() if isinstance(day, date) else day, "start": start, "end": end,
            "action": "book", **extra}


# --- access -----------------------------------------------------------------------------------

def test_org_user_gets_404_for_another_organizations_booking(auth, client, session, venue, org):
    theirs = make_booking(session, venue=venue, starts_at=local(workdays(session, 1)[0], 9))
    session.commit()
    auth.login("org", organization=org)
    assert client.get(f"/bookings/{theirs.id}").status_code == 404
    assert auth.post(f"/bookings/{theirs.id}/cancel").status_code == 404
    session.expire_all()
    assert theirs.status == "approved"


def test_org_user_sees_and_cancels_own_booking(auth, client, session, venue, org):
    mine = make_booking(session, venue=venue, organization=org, title="我们的活动",
                        starts_at=local(workdays(session, 1)[0], 9))
    session.commit()
    auth.login("org", organization=org)
    assert "我们的活动" in client.get("/bookings/mine").get_data(as_text=True)
    assert client.get(f"/bookings/{mine.id}").status_code == 200
    response = auth.post(f"/bookings/{mine.id}/cancel", follow_redirects=True)
    assert response.status_code == 200
    session.expire_all()
    assert mine.status == "cancelled"
    assert "已取消" in response.get_data(as_text=True)


def test_org_user_sees_other_organizations_bookings_only_as_taken(auth, client, session, venue,
                                                                  org):
    day = workdays(session, 1)[0]
    make_booking(session, venue=venue, organization=org, title="我方培训", starts_at=local(day, 9))
    other = make_organization(session, name="海淀互助会")
    make_booking(session, venue=venue, organization=other, title="保密会议",
                 starts_at=local(day, 14))
    session.commit()
    auth.login("org", organization=org)
    for url in (f"/venues/week?date={day}", f"/venues/{venue.id}/week?date={day}"):
        page = client.get(url).get_data(as_text=True)
        assert "我方培训" in page and "已占用" in page
        assert "保密会议" not in page and "海淀互助会" not in page


def test_roles_that_only_read_see_calendars_but_cannot_book(auth, client, session, venue):
    session.commit()
    auth.login("supervisor")
    assert client.get("/venues/week").status_code == 200
    assert client.get(f"/venues/{venue.id}/week").status_code == 200
    assert client.get("/bookings/new").status_code == 403
    assert client.get("/venues/utilization").status_code == 200
    assert client.get("/venues/new").status_code == 403


# --- calendars --------------------------------------------------------------------------------

def test_calendar_renders_holidays_and_bookings(auth, client, session, venue):
    make_booking(session, venue=venue, title="理事会会议", starts_at=datetime(2026, 9, 29, 10, tzinfo=CENTER_TZ))
    session.commit()
    auth.login("manager")
    for url in (f"/venues/{venue.id}/week?week=2026-W40", "/venues/week?date=2026-10-01"):
        page = client.get(url).get_data(as_text=True)
        assert "国庆节" in page and "理事会会议" in page
        assert "2026-W39" in page and "2026-W41" in page  # previous and next week


def test_free_slot_links_to_the_booking_form_prefilled(auth, client, session, venue, org):
    day = workdays(session, 1)[0]
    session.commit()
    auth.login("org", organization=org)
    page = client.get(f"/venues/{venue.id}/week?date={day}").get_data(as_text=True)
    link = html.unescape(re.search(r'href="(/bookings/new\?[^"]*date=' + day.isoformat()
                                   + r'&amp;start=10:00[^"]*)"', page).group(1))
    form = client.get(link).get_data(as_text=True)
    assert f'value="{day.isoformat()}"' in form and 'value="10:00"' in form
    assert f'<option selected value="{venue.id}">' in form


def test_all_venues_week_runs_a_fixed_number_of_queries(auth, client, session, count_queries):
    day = workdays(session, 1)[0]
    monday = day - timedelta(days=day.weekday())
    places = [make_venue(session) for _ in range(3)]
    auth.login("manager")

    def add_bookings(n, first_hour):
        for place in places:
            for i in range(n):
                start = local(monday + timedelta(days=i % 5), first_hour + i // 5)
                make_booking(session, venue=place, starts_at=start, ends_at=start + timedelta(hours=1))
        session.commit()

    def queries() -> int:
        with count_queries() as counter:
            assert client.get(f"/venues/week?date={monday}").status_code == 200
        return counter.count

    add_bookings(1, 9)
    few = queries()
    add_bookings(10, 12)  # more bookings, more organizations
    assert queries() == few <= 12


# --- the booking form: bad input --------------------------------------------------------------

def test_end_before_start_is_shown_beside_end_and_stores_nothing(auth, session, venue, org):
    day = workdays(session, 1)[0]
    session.commit()
    auth.login("org", organization=org)
    response = auth.post("/bookings/new", data=form_data(venue, day, start="14:00", end="13:00"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "结束时间须晚于开始时间" in field_html(page, "end")
    assert 'value="志愿者培训"' in page and 'value="14:00"' in page
    assert bookings(session) == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("day", "2026-13-45", "日期格式应为"),
    ("day", "明天", "日期格式应为"),
    ("start", "25:99", "时间格式应为"),
    ("end", "noon", "时间格式应为"),
    ("attendees", "二十", "请填写"),
])
def test_malformed_input_is_shown_beside_its_field(auth, session, venue, org, field, value,
                                                   message):
    day = workdays(session, 1)[0]
    session.commit()
    auth.login("org", organization=org)
    response = auth.post("/bookings/new", data={**form_data(venue, day), field: value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in field_html(page, field)
    assert f'value="{value}"' in page  # what was typed stays
    assert bookings(session) == 0


def test_booking_on_a_holiday_names_it_beside_the_start(auth, session, venue, org):
    new_year = date(today().year + 1, 1, 1)
    session.commit()
    auth.login("org", organization=org)
    response = auth.post("/bookings/new", data=form_data(venue, new_year))
    assert response.status_code == 422
    assert "元旦" in field_html(response.get_data(as_text=True), "start")
    assert bookings(session) == 0


def test_over_capacity_is_shown_beside_attendees(auth, session, venue, org):
    session.commit()
    auth.login("org", organization=org)
    response = auth.post("/bookings/new", data=form_data(venue, workdays(session, 1)[0],
                                                         attendees="41"))
    assert "超过场地容量" in field_html(response.get_data(as_text=True), "attendees")
    assert bookings(session) == 0


# --- the booking form: booking ----------------------------------------------------------------

def test_org_user_books_for_their_own_organization(auth, session, venue, org):
    day = workdays(session, 1)[0]
    session.commit()
    user = auth.login("org", organization=org)
    response = auth.post("/bookings/new", data=form_data(venue, day))
    assert response.status_code == 302
    booking = session.scalars(select(Booking)).one()
    assert (booking.organization_id, booking.requested_by_id) == (org.id, user.id)
    assert booking.starts_at == local(day, 10) and booking.status == "approved"
    assert response.headers["Location"].endswith(f"/bookings/{booking.id}")


def test_staff_find_the_organization_by_credit_code(auth, client, session, venue, org):
    day = workdays(session, 1)[0]
    session.commit()
    auth.login("frontdesk")
    found = auth.post("/bookings/new", data=form_data(venue, day, action="find",
                                                      org_q=org.credit_code))
    assert found.status_code == 200 and f'value="{org.id}"' in found.get_data(as_text=True)
    assert bookings(session) == 0
    assert auth.post("/bookings/new", data=form_data(venue, day, org_q=org.credit_code)).status_code == 302
    assert session.scalars(select(Booking)).one().organization_id == org.id


def test_staff_must_choose_among_several_matching_organizations(auth, session, venue, org):
    make_organization(session, name="朝阳公益促进会二部")
    session.commit()
    auth.login("frontdesk")
    response = auth.post("/bookings/new", data=form_data(venue, workdays(session, 1)[0],
                                                         org_q="朝阳公益"))
    assert response.status_code == 422
    assert "找到多个组织" in field_html(response.get_data(as_text=True), "organization_id")
    assert bookings(session) == 0


def test_taken_slot_names_the_booking_in_the_way_and_offers_the_waitlist(auth, session, venue,
                                                                         org):
    day = workdays(session, 1)[0]
    make_booking(session, venue=venue, organization=org, title="先到的活动", starts_at=local(day, 9),
                 ends_at=local(day, 11))
    session.commit()
    auth.login("manager")
    data = form_data(venue, day, org_q=org.credit_code)
    response = auth.post("/bookings/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "先到的活动" in field_html(page, "start") and 'value="waitlist"' in page
    assert bookings(session) == 1
    assert auth.post("/bookings/new", data={**data, "action": "waitlist"}).status_code == 302
    entry = session.scalars(select(WaitlistEntry)).one()
    assert (entry.starts_at, entry.status) == (local(day, 10), "waiting")


def test_org_user_is_not_told_whose_booking_is_in_the_way(auth, session, venue, org):
    day = workdays(session, 1)[0]
    make_booking(session, venue=venue, title="他人的会", starts_at=local(day, 9), ends_at=local(day, 11))
    session.commit()
    auth.login("org", organization=org)
    page = auth.post("/bookings/new", data=form_data(venue, day)).get_data(as_text=True)
    assert "已被占用" in field_html(page, "start") and "他人的会" not in page


def test_weekly_repeat_previews_each_date_and_books_the_chosen_ones(auth, session, venue, org):
    days = workdays(session, 1)
    day = days[0]
    dates = [day + timedelta(weeks=i) for i in range(3)]
    make_booking(session, venue=venue, title="占位", starts_at=local(dates[1], 10),
                 ends_at=local(dates[1], 11))
    session.commit()
    auth.login("org", organization=org)
    data = form_data(venue, day, repeat="weekly", repeat_count="3")
    preview = auth.post("/bookings/new", data=data)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and bookings(session) == 1
    values = re.findall(r'name="occurrences" value="([^"]+)"', page)
    assert len(values) == 3 and "可预约" in page
    assert 'disabled' in page.split(values[1])[1].split(">")[0]  # the taken date
    response = auth.post("/bookings/new", data={**data, "action": "book_series",
                                                "occurrences": values})
    assert response.status_code == 302
    booked = session.scalars(select(Booking).where(Booking.organization_id == org.id)
                              .order_by(Booking.starts_at)).all()
    # Holidays may fall on a planned date; only dates the preview allowed are booked.
    assert 1 <= len(booked) <= 2 and len({b.series_id for b in booked}) == 1
    assert local(dates[1], 10) not in [b.starts_at for b in booked]


def test_weekly_repeat_needs_a_count_or_an_end_date(auth, session, venue, org):
    session.commit()
    auth.login("org", organization=org)
    response = auth.post("/bookings/new", data=form_data(venue, workdays(session, 1)[0],
                                                         repeat="weekly"))
    assert response.status_code == 422
    assert "重复次数或截止日期" in field_html(response.get_data(as_text=True), "repeat_count")
    assert bookings(session) == 0


# --- decisions --------------------------------------------------------------------------------

def test_manager_approves_from_the_queue_oldest_first(auth, client, session, venue):
    day = workdays(session, 1)[0]
    first = make_booking(session, venue=venue, title="先申请", status="pending",
                         starts_at=local(day, 14), decided_at=None)
    make_booking(session, venue=venue, title="后申请", status="pending", starts_at=local(day, 9),
                 decided_at=None, created_at=datetime.now(timezone.utc) + timedelta(minutes=1))
    session.commit()
    auth.login("manager")
    page = client.get("/bookings/queue").get_data(as_text=True)
    assert page.index("先申请") < page.index("后申请")
    response = auth.post(f"/bookings/{first.id}/approve", data={"next": "/bookings/queue"})
    assert response.headers["Location"].endswith("/bookings/queue")
    session.expire_all()
    assert first.status == "approved"


def test_reject_needs_a_reason_and_the_timeline_shows_it(auth, client, session, venue):
    pending = make_booking(session, venue=venue, status="pending", decided_at=None,
                           starts_at=local(workdays(session, 1)[0], 9))
    session.commit()
    auth.login("manager")
    response = auth.post(f"/bookings/{pending.id}/reject", data={"reason": " "})
    assert response.status_code == 422
    assert "请填写驳回理由" in field_html(response.get_data(as_text=True), "reason")
    session.expire_all()
    assert pending.status == "pending"
    auth.post(f"/bookings/{pending.id}/reject", data={"reason": "与中心活动冲突"})
    session.expire_all()
    assert pending.status == "rejected"
    page = client.get(f"/bookings/{pending.id}").get_data(as_text=True)
    assert "与中心活动冲突" in page and "已驳回" in page


def test_org_user_cannot_approve(auth, session, venue, org):
    pending = make_booking(session, venue=venue, organization=org, status="pending",
                           decided_at=None, starts_at=local(workdays(session, 1)[0], 9))
    session.commit()
    auth.login("org", organization=org)
    assert auth.post(f"/bookings/{pending.id}/approve").status_code == 403


def test_front_desk_checks_in_a_booking_that_is_about_to_start(auth, session, venue):
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=30)
    booking = make_booking(session, venue=venue, starts_at=start)
    session.commit()
    auth.login("frontdesk")
    assert auth.post(f"/bookings/{booking.id}/check-in").status_code == 302
    session.expire_all()
    assert booking.status == "checked_in"


def test_a_refused_transition_is_explained(auth, session, venue):
    done = make_booking(session, venue=venue, status="cancelled",
                        starts_at=local(workdays(session, 1)[0], 9))
    session.commit()
    auth.login("manager")
    response = auth.post(f"/bookings/{done.id}/approve")
    assert response.status_code == 422 and "不能批准" in response.get_data(as_text=True)


# --- venues and blackouts ---------------------------------------------------------------------

def venue_form(**extra) -> dict:
    data = {"name": "培训教室", "capacity": "30", "min_lead_hours": "24", "max_length_minutes": "240",
            "horizon_days": "60", "no_show_after_minutes": "30", "hold_hours": "24",
            "requires_approval": "y"}
    for weekday in range(7):
        data[f"hours-{weekday}-opens_at"] = "09:00" if weekday < 5 else ""
        data[f"hours-{weekday}-closes_at"] = "18:00" if weekday < 5 else ""
    return {**data, **extra}


def test_manager_creates_a_venue_with_rules_and_hours(auth, client, session):
    auth.login("manager")
    response = auth.post("/venues/new", data=venue_form(**{"hours-5-opens_at": "10:00",
                                                           "hours-5-closes_at": "16:00"}))
    assert response.status_code == 302
    venue = session.scalars(select(Venue)).one()
    assert (venue.min_lead_minutes, venue.hold_minutes, venue.requires_approval) == (1440, 1440, True)
    assert {h.weekday: (h.opens_at, h.closes_at) for h in venue.hours}[5] == (time(10), time(16))
    assert len(venue.hours) == 6
    page = client.get(f"/venues/{venue.id}").get_data(as_text=True)
    assert "10:00–16:00" in page


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"hours-2-closes_at": "08:00"}, "hours-2-closes_at", "关门时间应晚于开门时间"),
    ({"hours-3-closes_at": ""}, "hours-3-closes_at", "要同时填写"),
    ({"hours-1-opens_at": "9点"}, "hours-1-opens_at", "时间格式应为"),
    ({"capacity": "0"}, "capacity", "请填写 1 到"),
    ({"name": ""}, "name", "请填写场地名称"),
])
def test_bad_venue_input_is_shown_beside_the_field(auth, session, changes, field, message):
    auth.login("manager")
    response = auth.post("/venues/new", data=venue_form(**changes))
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    if field.startswith("hours-"):
        cell = page.split(f'name="{field}"')[1].split("</td>")[0]
        assert message in cell
    else:
        assert message in field_html(page, field)
    assert session.scalar(select(func.count()).select_from(Venue)) == 0


def test_duplicate_venue_name_is_refused_beside_the_name(auth, session, venue):
    session.commit()
    auth.login("admin")
    response = auth.post("/venues/new", data=venue_form(name=venue.name))
    assert "已有同名场地" in field_html(response.get_data(as_text=True), "name")


def test_blackout_is_added_shown_and_archived(auth, client, session, venue):
    session.commit()
    auth.login("manager")
    day = workdays(session, 1)[0]
    bad = auth.post("/venues/blackouts/new", data={
        "venue_id": str(venue.id), "starts_at": f"{day}T18:00", "ends_at": f"{day}T09:00",
        "reason": "检修"})
    assert bad.status_code == 422 and "结束时间须晚于开始时间" in field_html(
        bad.get_data(as_text=True), "ends_at")
    auth.post("/venues/blackouts/new", data={
        "venue_id": str(venue.id), "starts_at": f"{day}T09:00", "ends_at": f"{day}T18:00",
        "reason": "空调检修"})
    blackout = session.scalars(select(VenueBlackout)).one()
    assert blackout.starts_at == local(day, 9)
    assert "空调检修" in client.get(f"/venues/{venue.id}").get_data(as_text=True)
    assert "空调检修" in client.get(f"/venues/{venue.id}/week?date={day}").get_data(as_text=True)
    auth.post(f"/venues/blackouts/{blackout.id}/archive")
    session.expire_all()
    assert blackout.archived_at is not None


# --- utilization ------------------------------------------------------------------------------

def test_utilization_page_and_export(auth, client, session, venue):
    make_booking(session, venue=venue, title="=1+1", attendees=12,
                 starts_at=datetime(2026, 9, 14, 9, tzinfo=CENTER_TZ))
    session.commit()
    auth.login("supervisor")
    page = client.get("/venues/utilization?month=2026-09").get_data(as_text=True)
    assert "264.0" in page and "2.0" in page and venue.name in page
    export = client.get("/venues/utilization.xlsx?month=2026-09")
    assert export.status_code == 200 and export.data[:2] == b"PK"


def test_front_desk_cannot_see_utilization(auth, client):
    auth.login("frontdesk")
    assert client.get("/venues/utilization").status_code == 403
    assert client.get("/venues/utilization.xlsx").status_code == 403
