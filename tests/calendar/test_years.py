"""A year beyond the library, once its published schedule is entered and confirmed, is firm.

The State Council lists only holidays and make-up workdays, so confirming the year is what
turns its ordinary days from provisional into firm answers.
"""
from datetime import date

import pytest

from center.models.audit import AuditEntry
from center.models.calendar import CalendarYear
from center.services import calendar, calendar_exchange
from tests.calendar.test_import import LIMIT, workbook
from tests.factories import make_user

D = date.fromisoformat
# An illustrative 2027 Spring Festival entry as staff would type it from the notice.
SPRING_FESTIVAL_2027 = [("2027-02-05", False), ("2027-02-06", False), ("2027-02-07", False),
                        ("2027-02-08", False), ("2027-02-09", False), ("2027-02-10", False),
                        ("2027-02-11", False), ("2027-02-12", False), ("2027-02-13", True),
                        ("2027-02-20", True)]


@pytest.fixture
def manager(session):
    return make_user(session, role="manager")


def enter_spring_festival(session, actor):
    for day, workday in SPRING_FESTIVAL_2027:
        calendar.set_override(session, day=D(day), is_workday=workday, name="春节", actor=actor)


def test_ordinary_2027_tuesday_stays_provisional_after_only_the_holidays_are_entered(
        session, manager):
    enter_spring_festival(session, manager)
    info = calendar.day_info(session, D("2027-03-02"))
    assert (info.is_workday, info.source, info.provisional) == (True, "rule", True)


def test_confirmed_year_makes_ordinary_days_and_deadlines_firm(session, manager):
    enter_spring_festival(session, manager)
    calendar.confirm_year(session, year=2027, confirmed=True, actor=manager)
    session.commit()
    info = calendar.day_info(session, D("2027-03-02"))
    assert (info.is_workday, info.source, info.provisional) == (True, "rule", False)
    # Thu 2027-02-04: Sat 13 (make-up), Mon 15, Tue 16, Wed 17, Thu 18, all across the holiday.
    assert calendar.add_working_days(session, D("2027-02-04"), 5) \
        == calendar.Deadline(D("2027-02-18"), False)
    assert calendar.working_days_between(session, D("2027-01-01"), D("2027-12-31")).provisional \
        is False


def test_withdrawing_the_confirmation_makes_the_year_provisional_again(session, manager):
    enter_spring_festival(session, manager)
    calendar.confirm_year(session, year=2027, confirmed=True, actor=manager)
    calendar.confirm_year(session, year=2027, confirmed=False, actor=manager)
    assert calendar.day_info(session, D("2027-03-02")).provisional is True
    assert calendar.add_working_days(session, D("2027-02-04"), 5).provisional is True
    assert [(r.year, r.confirmed) for r in session.query(CalendarYear)] == [(2027, False)]


def test_confirmed_year_keeps_fixed_date_holidays_unless_overridden(session, manager):
    calendar.confirm_year(session, year=2027, confirmed=True, actor=manager)
    may_day = calendar.day_info(session, D("2027-05-01"))
    assert (may_day.is_workday, may_day.name, may_day.provisional) == (False, "劳动节", False)
    calendar.set_override(session, day=D("2027-10-03"), is_workday=True, name="国庆节调休上班",
                          actor=manager)
    assert calendar.day_info(session, D("2027-10-03")).is_workday is True
    assert calendar.day_info(session, D("2027-01-09")).is_workday is False  # a Saturday


def test_confirming_one_year_leaves_the_next_provisional(session, manager):
    calendar.confirm_year(session, year=2027, confirmed=True, actor=manager)
    assert calendar.day_info(session, D("2028-03-01")).provisional is True
    assert calendar.add_working_days(session, D("2027-12-27"), 3).provisional is False
    assert calendar.add_working_days(session, D("2027-12-27"), 6).provisional is True


@pytest.mark.parametrize("year, note, bad", [
    (2026, None, "year"),            # the library has it: nothing to confirm
    (1999, None, "year"),
    (2100, None, "year"),
    (2027, "依" * 201, "note"),
])
def test_confirm_year_refuses_bad_values_and_writes_nothing(session, manager, year, note, bad):
    with pytest.raises(calendar.ValidationError) as error:
        calendar.confirm_year(session, year=year, confirmed=True, note=note, actor=manager)
    assert list(error.value.fields) == [bad]
    assert session.query(CalendarYear).count() == 0


def test_confirm_year_changes_one_row_per_year_and_is_audited(session, manager):
    calendar.confirm_year(session, year=2027, confirmed=True, note=" 国办发明电〔2026〕7号 ",
                          actor=manager)
    row = calendar.confirm_year(session, year=2027, confirmed=False, actor=manager)
    assert (row.year, row.confirmed, row.note) == (2027, False, "国办发明电〔2026〕7号")
    assert calendar.confirm_year(session, year=2027, confirmed=True, note="",
                                 actor=manager).note is None
    entries = session.query(AuditEntry).filter_by(table_name="calendar_years") \
        .order_by(AuditEntry.id).all()
    assert [(e.action, e.actor_id) for e in entries] \
        == [("create", manager.id), ("update", manager.id), ("update", manager.id)]
    assert entries[1].changes["confirmed"] == [True, False]


def test_a_range_beyond_the_library_costs_two_queries(session, manager, count_queries):
    calendar.confirm_year(session, year=2027, confirmed=True, actor=manager)
    session.commit()
    with count_queries() as counter:
        count = calendar.working_days_between(session, D("2027-03-01"), D("2027-04-30"))
    assert (counter.count, count.provisional) == (2, False)
    with count_queries() as counter:
        calendar.add_working_days(session, D("2027-03-01"), 40)
    assert counter.count == 2
    with count_queries() as counter:
        calendar.day_info(session, D("2026-03-02"))  # a library year needs no year query
    assert counter.count == 1


def test_import_with_confirm_confirms_each_year_beyond_the_library(session, manager):
    data = workbook(["2026-12-31", "节假日", "中心年终盘点", None],
                    *[[day, "调休上班" if workday else "节假日", "春节", None]
                      for day, workday in SPRING_FESTIVAL_2027])
    result = calendar_exchange.import_overrides(session, data, actor=manager, confirm=True,
                                                max_uncompressed=LIMIT)
    assert (result.created, result.confirmed_years) == (11, [2027])
    assert [(r.year, r.confirmed) for r in session.query(CalendarYear)] == [(2027, True)]
    assert calendar.add_working_days(session, D("2027-02-26"), 10).provisional is False


def test_import_without_confirm_confirms_nothing(session, manager):
    data = workbook(["2027-02-06", "节假日", "春节", None])
    result = calendar_exchange.import_overrides(session, data, actor=manager,
                                                max_uncompressed=LIMIT)
    assert result.confirmed_years == []
    assert session.query(CalendarYear).count() == 0
    assert calendar.day_info(session, D("2027-03-02")).provisional is True
