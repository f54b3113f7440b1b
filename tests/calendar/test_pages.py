"""The calendar pages: who may see and edit, form errors beside fields, import errors by row."""
import io
from datetime import date

import pytest

from center.models.calendar import CalendarOverride
from center.services import calendar
from tests.conftest import field_errors
from tests.calendar.test_import import workbook


@pytest.mark.parametrize("role", ["admin", "manager", "frontdesk", "reviewer"])
def test_staff_roles_see_the_year_with_sources_and_provisional_flags(auth, client, role):
    auth.login(role)
    page = client.get("/calendar?year=2026").get_data(as_text=True)
    assert "2026-10-10" in page and "官方安排" in page
    assert "国务院办公厅每年11月前后公布次年放假安排，公布当天即可在此录入。" in page
    page = client.get("/calendar?year=2027").get_data(as_text=True)
    assert "2027-01-01" in page and "规则推算" in page and "临时" in page
    assert ("/calendar/override" in page) is (role in ("admin", "manager"))


@pytest.mark.parametrize("role", ["platform", "supervisor", "org"])
def test_other_roles_cannot_see_the_calendar(auth, client, role):
    auth.login(role)
    assert client.get("/calendar").status_code == 403


@pytest.mark.parametrize("role", ["frontdesk", "reviewer"])
def test_viewers_are_refused_on_every_edit_path(auth, client, session, role):
    auth.login(role)
    for url in ("/calendar/override", "/calendar/import", "/calendar/template.xlsx"):
        assert client.get(url).status_code == 403
    response = auth.post("/calendar/override", {"day": "2027-02-06", "kind": "workday",
                                                "name": "春节"})
    assert response.status_code == 403
    assert session.query(CalendarOverride).count() == 0


def test_a_bad_year_falls_back_to_this_year(auth, client):
    auth.login("frontdesk")
    assert client.get("/calendar?year=abc").status_code == 200
    assert client.get("/calendar?year=99999").status_code == 200


def test_manager_enters_an_override_through_the_form(auth, client, session):
    auth.login("manager")
    response = auth.post("/calendar/override", {"day": "2027-02-06", "kind": "workday",
                                                "name": "春节调休上班", "note": ""})
    assert response.status_code == 302 and "year=2027" in response.headers["Location"]
    row = session.query(CalendarOverride).one()
    assert (row.day, row.is_workday, row.name, row.note) \
        == (date(2027, 2, 6), True, "春节调休上班", None)
    page = client.get("/calendar?year=2027").get_data(as_text=True)
    assert "春节调休上班" in page and "人工录入" in page


def test_edit_form_starts_from_the_days_current_answer(auth, client):
    auth.login("admin")
    page = client.get("/calendar/override?day=2026-10-10").get_data(as_text=True)
    assert 'value="2026-10-10"' in page and 'value="国庆节"' in page
    assert '<input checked id="kind-1" name="kind" type="radio" value="workday">' in page
    assert client.get("/calendar/override?day=not-a-date").status_code == 200


def test_bad_form_input_shows_errors_beside_fields_and_keeps_values(auth, session):
    auth.login("manager")
    response = auth.post("/calendar/override", {"day": "2027-02-30", "kind": "maybe",
                                                "name": "春节" * 30, "note": "备注内容"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "日期格式应为 2027-02-06。" in page
    assert "请选择“节假日”或“调休上班”。" in page
    assert "名称不能超过 50 个字。" in page
    assert 'value="2027-02-30"' in page and "备注内容" in page
    response = auth.post("/calendar/override", {"day": "1990-01-01", "kind": "holiday",
                                                "name": "元旦"})
    assert "日期应在 2000 年至 2099 年之间。" in response.get_data(as_text=True)
    response = auth.post("/calendar/override", {"day": "2027-02-06", "name": "春节"})
    assert response.get_data(as_text=True).count("请选择“节假日”或“调休上班”。") == 1
    assert session.query(CalendarOverride).count() == 0


def test_an_override_saved_meanwhile_by_someone_else_is_refused_beside_the_day(
        auth, session, monkeypatch):
    calendar.set_override(session, day=date(2027, 2, 6), is_workday=True, name="春节调休上班",
                          actor=None)
    session.commit()
    auth.login("manager")
    store = calendar.store_override
    # The other save lands between our lookup of the day and our insert.
    monkeypatch.setattr(calendar, "store_override",
                        lambda session, row, **values: store(session, None, **values))
    response = auth.post("/calendar/override", {"day": "2027-02-06", "kind": "holiday",
                                                "name": "春节", "note": "我的备注"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_errors(html, "day") == ["这一天的调整刚被他人保存，请重新打开这一天再修改。"]
    assert "我的备注" in html
    session.expire_all()
    assert [(o.name, o.is_workday) for o in session.query(CalendarOverride)] \
        == [("春节调休上班", True)]


def test_import_page_lists_row_errors_and_imports_nothing(auth, session):
    auth.login("admin")
    data = workbook(["2027-02-06", "调休上班", "春节", None], ["2027-02-07", "上课", "春节", None])
    response = auth.post("/calendar/import", {"file": (io.BytesIO(data), "cal.xlsx")},
                         content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<td>3</td><td>类型</td>" in page and "未导入任何数据" in page
    assert session.query(CalendarOverride).count() == 0


def test_import_page_imports_a_good_file(auth, session):
    auth.login("manager")
    data = workbook(["2027-02-06", "调休上班", "春节", None])
    response = auth.post("/calendar/import", {"file": (io.BytesIO(data), "cal.xlsx")},
                         content_type="multipart/form-data")
    assert response.status_code == 302 and "year=2027" in response.headers["Location"]
    assert session.query(CalendarOverride).count() == 1


def test_import_page_refuses_a_file_that_is_not_a_workbook(auth, session):
    auth.login("manager")
    response = auth.post("/calendar/import", {"file": (io.BytesIO(b"hello"), "cal.xlsx")},
                         content_type="multipart/form-data")
    assert response.status_code == 200
    assert "请上传 .xlsx 文件。" in response.get_data(as_text=True)
    response = auth.post("/calendar/import", {}, content_type="multipart/form-data")
    assert "请选择要上传的文件。" in response.get_data(as_text=True)


def test_template_download_is_a_workbook(auth, client):
    auth.login("manager")
    response = client.get("/calendar/template.xlsx")
    assert response.status_code == 200
    assert response.data.startswith(b"PK")
    assert "attachment" in response.headers["Content-Disposition"]
