"""Real dates from the 2025 and 2026 State Council schedules, and 2027, which no library knows."""
from datetime import date

import pytest

from center.models.calendar import CalendarOverride
from center.services import calendar
from tests.factories import make_user

D = date.fromisoformat


@pytest.mark.parametrize("day, workday, name", [
    ("2026-01-04", True, "元旦"),       # Sunday, make-up workday
    ("2026-02-14", True, "春节"),       # Saturday, make-up workday
    ("2026-02-28", True, "春节"),       # Saturday, make-up workday
    ("2026-05-09", True, "劳动节"),     # Saturday, make-up workday
    ("2026-09-20", True, "国庆节"),     # Sunday, make-up workday
    ("2026-10-10", True, "国庆节"),     # Saturday, make-up workday
    ("2026-02-16", False, "春节"),
    ("2026-02-23", False, "春节"),
    ("2026-06-19", False, "端午节"),
    ("2026-09-25", False, "中秋节"),
    ("2026-10-01", False, "国庆节"),
    ("2026-10-07", False, "国庆节"),
    ("2026-03-07", False, None),        # an ordinary Saturday
    ("2026-03-09", True, None),         # an ordinary Monday
    ("2025-01-26", True, "春节"),       # Sunday, make-up workday
    ("2025-10-01", False, "国庆节"),
    ("2025-10-11", True, "国庆节"),     # Saturday, make-up workday
])
def test_published_schedule_answers_2025_and_2026(session, day, workday, name):
    info = calendar.day_info(session, D(day))
    assert (info.is_workday, info.name, info.source, info.provisional) \
        == (workday, name, "official", False)
    assert calendar.is_workday(session, D(day)) is workday


def test_every_national_day_week_day_of_2026_is_off(session):
    days = calendar.days_between(session, D("2026-10-01"), D("2026-10-07"))
    assert [d.is_workday for d in days] == [False] * 7


def test_new_years_day_2027_is_a_provisional_holiday_by_rule(session):
    info = calendar.day_info(session, D("2027-01-01"))
    assert (info.is_workday, info.name, info.source, info.provisional) \
        == (False, "元旦", "rule", True)


@pytest.mark.parametrize("day, workday", [
    ("2027-01-04", True),    # Monday
    ("2027-01-09", False),   # Saturday
    ("2027-05-01", False), ("2027-05-02", False), ("2027-10-01", False), ("2027-10-03", False),
    ("2027-10-04", True),    # Monday after the three statutory National Day days
    ("2031-06-02", True),    # far future: still an answer, never an exception
    ("2003-05-07", True),    # before the library's data as well
])
def test_years_without_data_are_answered_by_rule_and_provisional(session, day, workday):
    info = calendar.day_info(session, D(day))
    assert (info.is_workday, info.source, info.provisional) == (workday, "rule", True)


def test_override_makes_a_2027_saturday_a_firm_workday(session):
    actor = make_user(session, role="manager")
    calendar.set_override(session, day=D("2027-02-06"), is_workday=True, name="春节调休上班",
                          actor=actor)
    session.commit()
    info = calendar.day_info(session, D("2027-02-06"))
    assert (info.is_workday, info.name, info.source, info.provisional) \
        == (True, "春节调休上班", "override", False)
    assert calendar.day_info(session, D("2027-02-07")).provisional  # only that exact day


def test_override_beats_the_library_for_a_2026_date(session):
    actor = make_user(session, role="admin")
    calendar.set_override(session, day=D("2026-03-09"), is_workday=False, name="中心停电检修",
                          note="全楼停电", actor=actor)
    info = calendar.day_info(session, D("2026-03-09"))
    assert (info.is_workday, info.source, info.name) == (False, "override", "中心停电检修")


def test_set_override_changes_the_existing_row_and_is_audited(session):
    from center.models.audit import AuditEntry
    actor = make_user(session, role="admin")
    calendar.set_override(session, day=D("2027-02-06"), is_workday=True, name="春节", actor=actor)
    calendar.set_override(session, day=D("2027-02-06"), is_workday=False, name="春节", actor=actor)
    rows = session.query(CalendarOverride).all()
    assert [(r.day, r.is_workday) for r in rows] == [(D("2027-02-06"), False)]
    entries = session.query(AuditEntry).filter_by(table_name="calendar_overrides") \
        .order_by(AuditEntry.id).all()
    assert [(e.action, e.actor_id) for e in entries] == [("create", actor.id), ("update", actor.id)]
    assert entries[1].changes["is_workday"] == [True, False]


@pytest.mark.parametrize("fields, bad", [
    ({"day": None}, "day"),
    ({"day": D("1999-12-31")}, "day"),
    ({"name": "  "}, "name"),
    ({"name": "节" * 51}, "name"),
    ({"note": "备" * 201}, "note"),
])
def test_set_override_refuses_bad_values_and_writes_nothing(session, fields, bad):
    actor = make_user(session, role="admin")
    values = {"day": D("2027-02-06"), "is_workday": True, "name": "春节", "note": None} | fields
    with pytest.raises(calendar.ValidationError) as error:
        calendar.set_override(session, actor=actor, **values)
    assert list(error.value.fields) == [bad]
    assert session.query(CalendarOverride).count() == 0


def test_adding_one_working_day_on_30_september_2026_skips_national_day(session):
    assert calendar.add_working_days(session, D("2026-09-30"), 1) \
        == calendar.Deadline(D("2026-10-08"), False)


def test_five_working_days_counted_from_the_next_day(session):
    # Thursday 2026-03-05: Fri 6, Mon 9, Tue 10, Wed 11, Thu 12.
    assert calendar.add_working_days(session, D("2026-03-05"), 5).day == D("2026-03-12")
    # Starting on Friday 2026-02-13, the make-up Saturday 02-14 is the first working day.
    assert calendar.add_working_days(session, D("2026-02-13"), 1).day == D("2026-02-14")


def test_counting_backwards_and_zero(session):
    assert calendar.add_working_days(session, D("2026-10-08"), -1).day == D("2026-09-30")
    assert calendar.add_working_days(session, D("2026-10-03"), 0) \
        == calendar.Deadline(D("2026-10-03"), False)


def test_deadline_crossing_into_2027_is_provisional(session):
    deadline = calendar.add_working_days(session, D("2026-12-28"), 5)
    # Dec 29, 30, 31, then 2027: 1 Jan off by rule, 4 and 5 Jan.
    assert deadline == calendar.Deadline(D("2027-01-05"), True)
    assert calendar.add_working_days(session, D("2026-12-21"), 5).provisional is False


def test_override_removes_the_provisional_flag_from_a_deadline(session):
    actor = make_user(session, role="manager")
    for day in ("2027-01-01", "2027-01-02", "2027-01-03"):
        calendar.set_override(session, day=D(day), is_workday=False, name="元旦", actor=actor)
    calendar.set_override(session, day=D("2027-01-04"), is_workday=True, name="工作日", actor=actor)
    assert calendar.add_working_days(session, D("2026-12-30"), 2) \
        == calendar.Deadline(D("2027-01-04"), False)
    # One day further is 2027-01-05, which nobody has entered: provisional again.
    assert calendar.add_working_days(session, D("2026-12-30"), 3).provisional is True


def test_working_days_between_matches_add_working_days(session):
    count = calendar.working_days_between(session, D("2026-09-30"), D("2026-10-12"))
    # Oct 8, 9, 10 (make-up Saturday), 12.
    assert count == calendar.WorkdayCount(4, False)
    assert calendar.working_days_between(session, D("2026-10-12"), D("2026-09-30")).days == -4
    assert calendar.working_days_between(session, D("2026-12-30"), D("2027-01-04")) \
        == calendar.WorkdayCount(2, True)


def test_a_sixty_day_span_costs_one_query(session, count_queries):
    actor = make_user(session, role="manager")
    calendar.set_override(session, day=D("2026-03-16"), is_workday=False, name="测试", actor=actor)
    session.commit()
    with count_queries() as counter:
        count = calendar.working_days_between(session, D("2026-03-01"), D("2026-04-30"))
    assert counter.count == 1
    assert count.days == 42  # 44 weekdays from March 2 to April 30, minus Qingming (Apr 6), 03-16
    with count_queries() as counter:
        calendar.add_working_days(session, D("2026-03-01"), 40)
    assert counter.count == 1


def test_month_weeks_start_on_monday(session):
    days = calendar.year_days(session, 2026)
    weeks = calendar.month_weeks(days, 10)
    assert [d.day.day if d else None for d in weeks[0]] == [None, None, None, 1, 2, 3, 4]
    assert len(days) == 365
