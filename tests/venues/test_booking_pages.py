"""Venue booking pages: the booking form's bad input, conflicts and the waitlist, weekly
series and approvals."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from center.models.venues import Booking, WaitlistEntry
from tests.factories import make_booking, make_organization
from tests.venues.pages_helpers import bookings, field_html, form_data, local, today, workdays


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


def test_without_an_organization_the_other_problems_are_shown_too(auth, client, session, venue):
    auth.login("frontdesk")
    response = auth.post("/bookings/new", {
        "venue_id": venue.id, "org_q": "", "title": "理事会", "attendees": 10_000,
        "day": "2026-10-01", "start": "15:00", "end": "14:00", "repeat": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请输入组织名称或信用代码查找" in html
    assert "容纳" in html or "人数" in html
    assert bookings(session) == 0
