"""Venue pages: access per role, the calendars, the management forms, blackouts and
utilization."""
import html
import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from center.models.venues import Venue, VenueBlackout
from center.services.venues import CENTER_TZ
from tests.factories import make_booking, make_organization, make_venue
from tests.venues.pages_helpers import field_html, local, workdays


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
