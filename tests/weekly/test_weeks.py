"""ISO week keys: the ISO year, not the calendar year; weeks that do not exist or have not
begun are refused with a clear message."""
from datetime import date, datetime, timedelta

import pytest

from center.services import weekly
from center.services.errors import ValidationError
from center.services.venue_rules import CENTER_TZ
from tests.weekly.helpers import KEY, MONDAY, SUNDAY


@pytest.mark.parametrize(("day", "key"), [
    (date(2024, 12, 30), "2025-W01"),  # a Monday of December in the next ISO year
    (date(2021, 1, 3), "2020-W53"),  # a Sunday of January in the previous ISO year
    (date(2026, 11, 16), KEY),
    (date(2026, 11, 22), KEY),
    (date(2026, 12, 31), "2026-W53"),
])
def test_week_key_is_the_iso_year_and_week(day, key):
    assert weekly.week_key(day) == key


def test_parse_week_key_gives_monday_and_sunday():
    assert weekly.parse_week_key(KEY) == (MONDAY, SUNDAY)
    assert weekly.parse_week_key("2025-W01") == (date(2024, 12, 30), date(2025, 1, 5))


def test_2026_has_a_53rd_week():
    assert weekly.parse_week_key("2026-W53") == (date(2026, 12, 28), date(2027, 1, 3))


@pytest.mark.parametrize("key", ["2026-W54", "2025-W53", "2026-W00", "2026-W7", "2026W47",
                                 "2026-w47", " 2026-W47", "0000-W01", "", "２０２６-W47"])
def test_a_week_that_does_not_exist_is_refused_with_its_key_in_the_message(key):
    with pytest.raises(ValidationError) as raised:
        weekly.parse_week_key(key)
    assert f"“{key}”不是存在的周" in str(raised.value.message)
    assert raised.value.fields == {"week": "不存在的周。"}


def test_a_week_that_has_not_begun_is_refused():
    sunday_night = datetime(2026, 11, 22, 23, 59, tzinfo=CENTER_TZ)
    with pytest.raises(ValidationError) as raised:
        weekly.check_not_future("2026-W48", now=sunday_night)
    assert "2026-W48 还没有开始" in str(raised.value.message)


def test_the_current_week_has_begun_from_monday_midnight_center_time():
    monday_start = datetime(2026, 11, 16, 0, 0, tzinfo=CENTER_TZ)  # Sunday 16:00 UTC
    assert weekly.check_not_future(KEY, now=monday_start) == (MONDAY, SUNDAY)
    with pytest.raises(ValidationError):
        weekly.check_not_future(KEY, now=monday_start - timedelta(minutes=1))


def test_a_future_week_cannot_be_drafted(session):
    with pytest.raises(ValidationError):
        weekly.create_draft(session, "2026-W48", now=datetime(2026, 11, 20, 15, tzinfo=CENTER_TZ))
    assert weekly.get_report(session, "2026-W48") is None
