"""Excel export of the filtered consultation list: what is shown is what is exported, text never
becomes a formula, and too large an export is refused with a message."""
import io
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook

from tests.consultations.factories import make_consultation
from tests.factories import make_organization, make_user

UTC = timezone.utc
HEADERS = ["编号", "咨询时间", "渠道", "组织或咨询者", "统一社会信用代码", "联系电话", "主题",
           "问题", "解答", "用时（分钟）", "状态", "跟进日期", "跟进结果", "满意度（1–5）",
           "成效", "记录人"]


def _sheet(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data)).active


def _rows(sheet) -> list[dict]:
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row)) for row in values[1:]]


@pytest.fixture
def staff(auth):
    return auth.login("frontdesk")


def test_export_has_chinese_headers_and_readable_values(client, session, staff):
    writer = make_user(session, role="frontdesk", display_name="王前台")
    org = make_organization(session, name="北京市慈善协会", credit_code="51110000MJ0101505U")
    c = make_consultation(session, staff=writer, organization=org, channel="visit",
                          topics=["finance", "hr"], question="如何做年度审计？", answer="请找会计师事务所。",
                          minutes=25, state="follow_up", follow_up_on=date(2026, 3, 20),
                          occurred_at=datetime(2026, 3, 10, 2, 30, tzinfo=UTC))
    session.commit()
    response = client.get("/consultations/export.xlsx")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = _sheet(response)
    assert [cell.value for cell in sheet[1]] == HEADERS
    [row] = _rows(sheet)
    assert row["编号"] == c.id
    assert row["咨询时间"] == datetime(2026, 3, 10, 10, 30)  # the center's time
    assert row["渠道"] == "来访" and row["主题"] == "财务与审计、人力资源"
    assert row["组织或咨询者"] == "北京市慈善协会" and row["统一社会信用代码"] == "51110000MJ0101505U"
    assert row["问题"] == "如何做年度审计？" and row["解答"] == "请找会计师事务所。"
    assert row["用时（分钟）"] == 25 and row["状态"] == "待跟进" and row["记录人"] == "王前台"
    assert row["跟进日期"].date() == date(2026, 3, 20)


def test_export_follows_the_lists_filters(client, session, staff):
    make_consultation(session, question="理事会换届怎么办？", topics=["governance"])
    make_consultation(session, question="换届以后要备案吗？", topics=["policy"])
    make_consultation(session, question="年检材料", topics=["governance"])
    session.commit()
    rows = _rows(_sheet(client.get("/consultations/export.xlsx?q=换届&topic=governance")))
    assert [row["问题"] for row in rows] == ["理事会换届怎么办？"]


def test_formula_like_text_stays_text(client, session, staff):
    make_consultation(session, organization=None, requester_name="=HYPERLINK(\"http://x\")",
                      requester_phone="+86 10 1234", question="=cmd|' /C calc'!A0",
                      answer="@SUM(A1:A9)")
    session.commit()
    sheet = _sheet(client.get("/consultations/export.xlsx"))
    cells = {sheet.cell(1, col).value: sheet.cell(2, col) for col in range(1, len(HEADERS) + 1)}
    for header, text in (("问题", "=cmd|' /C calc'!A0"), ("解答", "@SUM(A1:A9)"),
                         ("组织或咨询者", "=HYPERLINK(\"http://x\")"), ("联系电话", "+86 10 1234")):
        assert cells[header].value == text
        assert cells[header].data_type == "s", header  # a string, not a formula ("f")
        assert cells[header].quotePrefix


def test_too_large_an_export_is_refused_with_a_message(client, session, staff, app):
    app.config["XLSX_MAX_ROWS"] = 2
    for _ in range(3):
        make_consultation(session, topics=["hr"])
    session.commit()
    response = client.get("/consultations/export.xlsx?topic=hr")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/consultations?topic=hr")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "超过 2 条，无法一次导出" in html
    assert len(_rows(_sheet(client.get("/consultations/export.xlsx?topic=hr&date_to=2000-01-01"))
                     )) == 0


def test_export_with_a_bad_filter_is_refused_not_broadened(client, session, staff):
    make_consultation(session)
    session.commit()
    response = client.get("/consultations/export.xlsx?date_from=2026-13-01&topic=astrology")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "筛选条件有误" in html and "未知的主题：astrology" in html


def test_export_is_for_staff_only(client, auth):
    for role in ("supervisor", "reviewer"):
        auth.login(role)
        assert client.get("/consultations/export.xlsx").status_code == 403
        auth.logout()
