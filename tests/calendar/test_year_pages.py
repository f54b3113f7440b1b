"""The year page's confirmation button and the import checkbox: who may use them, and what changes."""
import io

import pytest

from center.models.calendar import CalendarYear
from center.services import calendar
from tests.calendar.test_import import workbook

BUTTON = "已录入该年度全部放假安排"
WARNING = "2027 年的官方放假安排尚未收录"


def year_rows(session):
    session.expire_all()
    return [(row.year, row.confirmed, row.note) for row in session.query(CalendarYear)]


def provisional_cells(page: str) -> int:
    return page.count('cal-provisional"') - 1  # the legend has one too


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_editors_see_the_confirm_button_only_for_a_year_beyond_the_library(auth, client, role):
    auth.login(role)
    page = client.get("/calendar?year=2027").get_data(as_text=True)
    assert BUTTON in page and 'action="/calendar/year"' in page and WARNING in page
    assert BUTTON not in client.get("/calendar?year=2026").get_data(as_text=True)


@pytest.mark.parametrize("role", ["frontdesk", "reviewer"])
def test_viewers_see_the_warning_but_no_confirm_button(auth, client, role):
    auth.login(role)
    page = client.get("/calendar?year=2027").get_data(as_text=True)
    assert WARNING in page and BUTTON not in page


def test_manager_confirms_and_withdraws_a_year(auth, client, session):
    auth.login("manager")
    assert provisional_cells(client.get("/calendar?year=2027").get_data(as_text=True)) == 365
    response = auth.post("/calendar/year", {"year": "2027", "confirmed": "1",
                                            "note": "国办发明电〔2026〕7号"})
    assert response.status_code == 302 and "year=2027" in response.headers["Location"]
    assert year_rows(session) == [(2027, True, "国办发明电〔2026〕7号")]
    page = client.get("/calendar?year=2027").get_data(as_text=True)
    assert WARNING not in page and "已确认 2027 年的放假安排已全部录入" in page
    assert "依据：国办发明电〔2026〕7号" in page and "撤销确认" in page
    assert provisional_cells(page) == 0
    assert auth.post("/calendar/year", {"year": "2027", "confirmed": "0",
                                        "note": "国办发明电〔2026〕7号"}).status_code == 302
    assert year_rows(session) == [(2027, False, "国办发明电〔2026〕7号")]
    page = client.get("/calendar?year=2027").get_data(as_text=True)
    assert WARNING in page and BUTTON in page and provisional_cells(page) == 365


@pytest.mark.parametrize("role", ["frontdesk", "reviewer", "platform", "supervisor", "org"])
def test_other_roles_are_refused_the_confirm_post(auth, session, role):
    auth.login(role)
    response = auth.post("/calendar/year", {"year": "2027", "confirmed": "1"})
    assert response.status_code == 403
    assert year_rows(session) == []


def test_bad_confirm_input_is_explained_and_writes_nothing(auth, session):
    auth.login("admin")
    response = auth.post("/calendar/year", {"year": "2027", "confirmed": "1", "note": "依据" * 101})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "备注不能超过 200 个字。" in page and "依据" * 101 in page
    page = auth.post("/calendar/year", {"year": "2026", "confirmed": "1"}).get_data(as_text=True)
    assert "2026 年已收录官方放假安排，无需确认。" in page
    page = auth.post("/calendar/year", {"year": "abc", "confirmed": "1"}).get_data(as_text=True)
    assert "年份应为四位数字，如 2027。" in page
    page = auth.post("/calendar/year", {"year": "2027"}).get_data(as_text=True)
    assert "请点击确认或撤销按钮。" in page
    assert year_rows(session) == []


def test_a_confirmation_saved_meanwhile_by_someone_else_is_reported_not_a_500(
        auth, session, monkeypatch):
    calendar.confirm_year(session, year=2027, confirmed=True, note="先确认的", actor=None)
    session.commit()
    auth.login("admin")
    # The other first confirmation lands between our lookup of the year and our insert.
    monkeypatch.setattr(calendar, "calendar_year", lambda session, year: None)
    response = auth.post("/calendar/year", {"year": "2027", "confirmed": "0"})
    assert response.status_code == 200
    assert "该年度的确认刚被他人修改，请查看后再操作。" in response.get_data(as_text=True)
    assert year_rows(session) == [(2027, True, "先确认的")]


def test_import_page_can_confirm_the_years_in_the_file(auth, client, session):
    auth.login("manager")
    page = client.get("/calendar/import").get_data(as_text=True)
    assert "导入后确认该年度放假安排已全部录入" in page
    data = workbook(["2027-02-06", "节假日", "春节", None], ["2027-02-20", "调休上班", "春节", None])
    response = auth.post("/calendar/import", {"file": (io.BytesIO(data), "cal.xlsx"),
                                              "confirm_years": "y"},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    assert year_rows(session) == [(2027, True, None)]
    page = client.get("/calendar?year=2027").get_data(as_text=True)
    assert "已确认 2027 年的放假安排已全部录入" in page and WARNING not in page


def test_import_page_without_the_checkbox_or_with_a_bad_row_confirms_nothing(auth, session):
    auth.login("manager")
    data = workbook(["2027-02-06", "节假日", "春节", None])
    auth.post("/calendar/import", {"file": (io.BytesIO(data), "cal.xlsx")},
              content_type="multipart/form-data")
    bad = workbook(["2027-02-07", "节假日", "春节", None], ["2027-02-30", "节假日", "春节", None])
    response = auth.post("/calendar/import", {"file": (io.BytesIO(bad), "cal.xlsx"),
                                              "confirm_years": "y"},
                         content_type="multipart/form-data")
    assert response.status_code == 200 and "未导入任何数据" in response.get_data(as_text=True)
    assert year_rows(session) == []
