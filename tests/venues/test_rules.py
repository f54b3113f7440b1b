"""The booking rules: open days from the working-day calendar, hours, blackouts, capacity,
quota, lead time, horizon and length. A broken rule names its field and stores nothing."""
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from center.models.venues import Booking
from center.services import audit, venues
from center.services.calendar import day_info
from center.services.errors import ValidationError
from tests.factories import make_booking, make_organization, make_user, make_venue
from tests.venues import NOW, at


@pytest.fixture
def venue(session):
    return make_venue(session, name="多功能厅", capacity=40)


@pytest.fixture
def org(session):
    return make_organization(session, name="朝阳公益促进会")


def problems(session, venue, org, starts_at, ends_at, attendees=20, now=NOW):
    return venues.slot_problems(session, venue=venue, organization=org, starts_at=starts_at,
                                ends_at=ends_at, attendees=attendees, now=now)


def booking_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Booking))


def test_slot_on_an_open_weekday_breaks_no_rule(session, venue, org):
    assert problems(session, venue, org, at("2026-09-14", 10), at("2026-09-14", 12)) == {}


@pytest.mark.parametrize("day", [f"2026-10-0{d}" for d in range(1, 8)])
def test_venue_is_closed_during_national_day(session, venue, org, day):
    found = problems(session, venue, org, at(day, 10), at(day, 12))
    assert "国庆节" in str(found["starts_at"]) and "不开放" in str(found["starts_at"])


def test_venue_is_closed_on_spring_festival_monday(session, venue, org):
    """2026-02-16 is a Monday inside the Spring Festival holiday (02-15..02-23)."""
    january = datetime(2026, 1, 20, 9, tzinfo=venues.CENTER_TZ)
    found = problems(session, venue, org, at("2026-02-16", 10), at("2026-02-16", 12), now=january)
    assert "春节" in str(found["starts_at"])
    assert problems(session, venue, org, at("2026-02-13", 10), at("2026-02-13", 12),
                    now=january) == {}


@pytest.mark.parametrize("day", ["2026-10-10", "2026-09-20"])  # Saturday and Sunday, 调休
def test_make_up_workday_on_a_weekend_opens_with_mondays_hours(session, venue, org, day):
    assert problems(session, venue, org, at(day, 9), at(day, 11)) == {}
    late = problems(session, venue, org, at(day, 20), at(day, 22))
    assert "09:00–21:00" in str(late["starts_at"])


def test_make_up_workday_uses_its_own_weekday_hours_when_the_venue_has_them(session, org):
    hours = {0: (time(9), time(21)), 5: (time(13), time(17))}
    venue = make_venue(session, hours=hours)
    assert problems(session, venue, org, at("2026-10-10", 14), at("2026-10-10", 16)) == {}
    assert "13:00–17:00" in str(problems(session, venue, org, at("2026-10-10", 10),
                                         at("2026-10-10", 12))["starts_at"])


def test_ordinary_weekend_and_a_weekday_without_hours_are_closed(session, org):
    venue = make_venue(session, hours={d: (time(9), time(17)) for d in (0, 1, 3, 4)})
    saturday = problems(session, venue, org, at("2026-09-19", 10), at("2026-09-19", 12))
    assert "休息日" in str(saturday["starts_at"])
    wednesday = problems(session, venue, org, at("2026-09-16", 10), at("2026-09-16", 12))
    assert "周三" in str(wednesday["starts_at"])


def test_opening_hours_follow_the_calendar(session, venue):
    def hours(day):
        return venues.opening_hours(venue, day_info(session, date.fromisoformat(day)))

    assert hours("2026-09-14") == (time(9), time(21))
    assert hours("2026-10-01") is None
    assert hours("2026-10-10") == (time(9), time(21))


def test_blackouts_of_the_venue_or_of_all_venues_block_the_slot(session, venue, org):
    other = make_venue(session)
    venues.add_blackout(session, venue=venue, starts_at=at("2026-09-14", 8),
                        ends_at=at("2026-09-14", 13), reason="空调检修", actor=None)
    everywhere = venues.add_blackout(session, venue=None, starts_at=at("2026-09-15", 9),
                                     ends_at=at("2026-09-15", 18), reason="中心年会", actor=None)
    assert "空调检修" in str(problems(session, venue, org, at("2026-09-14", 12),
                                   at("2026-09-14", 14))["starts_at"])
    assert problems(session, other, org, at("2026-09-14", 10), at("2026-09-14", 12)) == {}
    assert "中心年会" in str(problems(session, other, org, at("2026-09-15", 10),
                                   at("2026-09-15", 11))["starts_at"])
    audit.archive(session, everywhere, actor=None)
    assert problems(session, other, org, at("2026-09-15", 10), at("2026-09-15", 11)) == {}


def test_monthly_quota_counts_live_and_checked_in_bookings_of_the_month(session, org):
    venue = make_venue(session, monthly_quota=2)
    make_booking(session, venue=venue, organization=org, starts_at=at("2026-09-07", 9))
    make_booking(session, venue=venue, organization=org, starts_at=at("2026-09-08", 9),
                 status="checked_in")
    make_booking(session, venue=venue, organization=org, starts_at=at("2026-09-09", 9),
                 status="cancelled")
    found = problems(session, venue, org, at("2026-09-14", 10), at("2026-09-14", 12))
    assert set(found) == {"organization_id"} and "2026-09" in str(found["organization_id"])
    assert problems(session, venue, org, at("2026-10-12", 10), at("2026-10-12", 12)) == {}
    other = make_organization(session)
    assert problems(session, venue, other, at("2026-09-14", 10), at("2026-09-14", 12)) == {}


def test_quota_month_is_the_local_calendar_month(session, org):
    """00:30 on 1 October in Beijing is still 30 September in UTC: it counts for October."""
    venue = make_venue(session, monthly_quota=1, hours={3: (time(0), time(23))})
    make_booking(session, venue=venue, organization=org, starts_at=at("2026-10-01", 0, 30))
    assert problems(session, venue, org, at("2026-09-17", 10), at("2026-09-17", 11)) == {}


BAD_SLOTS = [
    # (case, start, end, attendees, field, words in the message)
    ("end before start", at("2026-09-14", 12), at("2026-09-14", 10), 20, "ends_at", "晚于"),
    ("zero length", at("2026-09-14", 10), at("2026-09-14", 10), 20, "ends_at", "相同"),
    ("in the past", at("2026-08-31", 10), at("2026-08-31", 12), 20, "starts_at", "已过"),
    ("inside the lead time", at("2026-09-01", 19), at("2026-09-01", 20), 20, "starts_at",
     "提前 24 小时"),
    ("beyond the horizon", at("2026-11-02", 10), at("2026-11-02", 12), 20, "starts_at", "2026-10-31"),
    ("longer than max", at("2026-09-14", 9), at("2026-09-14", 14), 20, "ends_at", "4 小时"),
    ("outside open hours", at("2026-09-14", 20), at("2026-09-14", 22), 20, "starts_at", "09:00–21:00"),
    ("across midnight", at("2026-09-14", 23), at("2026-09-15", 1), 20, "starts_at", "同一天"),
    ("on a holiday", at("2026-10-05", 10), at("2026-10-05", 12), 20, "starts_at", "国庆节"),
    ("more than capacity", at("2026-09-14", 10), at("2026-09-14", 12), 41, "attendees", "40 人"),
    ("no attendees", at("2026-09-14", 10), at("2026-09-14", 12), 0, "attendees", "至少"),
    ("no start", None, at("2026-09-14", 12), 20, "starts_at", "开始时间"),
]


@pytest.mark.parametrize("case,starts_at,ends_at,attendees,field,words", BAD_SLOTS,
                         ids=[case[0] for case in BAD_SLOTS])
def test_bad_slot_is_refused_on_its_field_and_nothing_is_stored(
        session, venue, org, case, starts_at, ends_at, attendees, field, words):
    with pytest.raises(ValidationError) as refused:
        venues.request_booking(session, venue=venue, organization=org, title="理事会会议",
                               starts_at=starts_at, ends_at=ends_at, attendees=attendees,
                               actor=make_user(session, role="frontdesk"), now=NOW)
    assert words in str(refused.value.fields[field]), refused.value.fields
    assert str(refused.value.message)
    assert booking_count(session) == 0


def test_blackout_and_quota_refuse_a_request_too(session, org):
    venue = make_venue(session, monthly_quota=1)
    venues.add_blackout(session, venue=venue, starts_at=at("2026-09-14", 0),
                        ends_at=at("2026-09-15", 0), reason="消防演练", actor=None)
    make_booking(session, venue=venue, organization=org, starts_at=at("2026-09-21", 9))
    actor = make_user(session, role="manager")
    for day, field in (("2026-09-14", "starts_at"), ("2026-09-22", "organization_id")):
        with pytest.raises(ValidationError) as refused:
            venues.request_booking(session, venue=venue, organization=org, title="培训",
                                   starts_at=at(day, 10), ends_at=at(day, 12), attendees=5,
                                   actor=actor, now=NOW)
        assert field in refused.value.fields
    assert booking_count(session) == 1


def test_request_needs_a_title_and_a_venue_in_use(session, venue, org):
    actor = make_user(session, role="manager")
    with pytest.raises(ValidationError) as refused:
        venues.request_booking(session, venue=venue, organization=org, title="  ",
                               starts_at=at("2026-09-14", 10), ends_at=at("2026-09-14", 12),
                               attendees=5, actor=actor, now=NOW)
    assert set(refused.value.fields) == {"title"}
    audit.archive(session, venue, actor=actor)
    with pytest.raises(ValidationError) as refused:
        venues.request_booking(session, venue=venue, organization=org, title="会议",
                               starts_at=at("2026-09-14", 10), ends_at=at("2026-09-14", 12),
                               attendees=5, actor=actor, now=NOW)
    assert "venue_id" in refused.value.fields
    assert booking_count(session) == 0


def test_time_without_a_zone_is_read_as_beijing_time(session, venue, org):
    booking = venues.request_booking(
        session, venue=venue, organization=org, title="沙龙", starts_at=datetime(2026, 9, 14, 10),
        ends_at=datetime(2026, 9, 14, 12), attendees=5,
        actor=make_user(session, role="frontdesk"), now=NOW)
    session.commit()
    session.expire_all()
    assert session.get(Booking, booking.id).starts_at == at("2026-09-14", 10)


# --- venues and their settings ------------------------------------------------------------------

def test_create_venue_checks_every_setting(session):
    with pytest.raises(ValidationError) as refused:
        venues.create_venue(session, {"name": "", "capacity": 0, "horizon_days": 0,
                                      "monthly_quota": -1,
                                      "hours": {2: (time(18), time(9))}}, actor=None)
    assert set(refused.value.fields) == {"name", "capacity", "horizon_days", "monthly_quota",
                                         "hours"}
    make_venue(session, name="路演厅")
    with pytest.raises(ValidationError) as refused:
        venues.create_venue(session, {"name": "路演厅", "capacity": 10}, actor=None)
    assert "同名" in str(refused.value.fields["name"])


def test_update_venue_changes_hours_in_place_and_is_audited(session):
    from center.models.audit import AuditEntry

    venue = make_venue(session)
    manager = make_user(session, role="manager")
    venues.update_venue(session, venue, {"capacity": 12, "hours": {0: (time(8), time(12)),
                                                                   6: (time(9), time(11))}},
                        actor=manager)
    assert [(h.weekday, h.opens_at, h.closes_at) for h in venue.hours] == [
        (0, time(8), time(12)), (6, time(9), time(11))]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.table_name == "venues",
                                                     AuditEntry.action == "update")).one()
    assert entry.actor_id == manager.id and entry.changes["capacity"] == [30, 12]


def test_rotating_the_feed_token_replaces_the_old_one(session):
    venue = make_venue(session)
    first = venues.rotate_feed_token(session, venue, actor=None)
    second = venues.rotate_feed_token(session, venue, actor=None)
    assert first != second and venue.feed_token == second and len(second) >= 40


def test_blackout_needs_an_order_and_a_reason(session, venue):
    with pytest.raises(ValidationError) as refused:
        venues.add_blackout(session, venue=venue, starts_at=at("2026-09-14", 12),
                            ends_at=at("2026-09-14", 10), reason="", actor=None)
    assert set(refused.value.fields) == {"ends_at", "reason"}
