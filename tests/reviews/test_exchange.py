"""Excel: bulk intake from the registration authority's list (row-level errors, all or
nothing, one live submission per organization and year) and the exports of the queue and of
a cycle's results (text never becomes a formula)."""
import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from center.models.reviews import ReviewEvent, Submission
from center.reports import review_queue as queue
from center.services import review_exchange as exchange
from center.services.spreadsheets import RowErrors, WorkbookError
from tests.factories import make_organization, make_user
from tests.reviews.factories import center_time, make_cycle, make_submission

TODAY = date(2026, 3, 16)
NOW = center_time(TODAY, 9)
HEADER = ["统一社会信用代码", "组织名称", "年度", "接收日期"]
LIMITS = {"max_rows": 1000, "max_uncompressed": 10 * 1024 * 1024}


@pytest.fixture
def cycle(session):
    return make_cycle(session)


@pytest.fixture
def manager(session):
    return make_user(session, role="manager")


def _xlsx(rows, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _import(session, rows, manager, **kw):
    return exchange.import_submissions(session, _xlsx(rows, **kw), actor=manager, now=NOW,
                                       **LIMITS)


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(Submission))


def _problems(error) -> list[tuple[int, str]]:
    return [(p.row, p.column) for p in error.problems]


# --- the template --------------------------------------------------------------------------

def test_template_has_the_header_and_the_rules(client, auth):
    auth.login("manager")
    response = client.get("/reviews/bulk-intake/template.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == ["年报清单", "说明"]
    assert [c.value for c in wb["年报清单"][1]] == HEADER
    notes = " ".join(str(r[0].value) for r in wb["说明"].iter_rows())
    assert "都不会导入" in notes and "同一组织同一年度" in notes


# --- intake --------------------------------------------------------------------------------

def test_bulk_intake_registers_each_row_like_the_desk(session, cycle, manager):
    a, b, c = (make_organization(session) for _ in range(3))
    result = _import(session, [(a.credit_code, a.name, 2025, date(2026, 3, 2)),
                               (b.credit_code.lower(), None, "2025年", "2026/3/5"),
                               (c.credit_code, None, 2025, None)], manager)
    made = {s.organization_id: s for s in result.created}
    assert set(made) == {a.id, b.id, c.id}
    assert {s.channel for s in made.values()} == {"bulk"}
    assert (made[a.id].received_on, made[a.id].due_on) == (date(2026, 3, 2), date(2026, 3, 9))
    assert made[b.id].received_on == date(2026, 3, 5)
    assert made[c.id].received_on == TODAY  # blank: the day of the import
    assert all(s.receipt_no.startswith("2025-") for s in made.values())
    events = session.scalars(select(ReviewEvent.kind).where(
        ReviewEvent.submission_id.in_([s.id for s in made.values()])))
    assert list(events) == ["received"] * 3


def test_every_bad_row_is_listed_by_row_and_column_and_nothing_is_taken_in(session, cycle,
                                                                          manager):
    good, archived = make_organization(session), make_organization(session)
    archived.archived_at = NOW
    taken = make_organization(session)
    existing = make_submission(session, organization=taken, received_on=date(2026, 3, 2))
    rows = [
        (good.credit_code, None, 2025, None),  # row 2: fine
        ("91350100M000100Y4Z", None, 2025, None),  # 3: bad check character
        ("51110000MJ0101505U", "北京某协会", 2025, None),  # 4: valid but not in the directory
        (good.credit_code, None, 2019, None),  # 5: no cycle for 2019 (and a duplicate pair? no)
        (good.credit_code, None, 2025, "明天"),  # 6: unreadable date; duplicate of row 2
        (archived.credit_code, None, 2025, None),  # 7: archived organization
        (taken.credit_code, None, 2025, None),  # 8: already has a live submission
        (None, None, None, date(2026, 4, 1)),  # 9: no code, no year, a future date
        ("=HYPERLINK(\"http://x\")", None, "二〇二五", None),  # 10: formula text, bad year
    ]
    with pytest.raises(RowErrors) as error:
        _import(session, rows, manager)
    assert _problems(error.value) == [
        (3, "统一社会信用代码"), (4, "统一社会信用代码"), (5, "年度"), (6, "接收日期"),
        (7, "统一社会信用代码"), (8, "统一社会信用代码"), (9, "统一社会信用代码"), (9, "年度"),
        (10, "统一社会信用代码"), (10, "年度")]
    messages = {p.row: str(p.message) for p in error.value.problems}
    assert "北京某协会" in messages[4]
    assert existing.receipt_no in messages[8]
    assert _count(session) == 1  # only the one made above


def test_the_same_organization_twice_in_one_file_is_refused(session, cycle, manager):
    org = make_organization(session)
    with pytest.raises(RowErrors) as error:
        _import(session, [(org.credit_code, None, 2025, None),
                          (org.credit_code, None, 2025, "2026-03-02")], manager)
    assert _problems(error.value) == [(3, "统一社会信用代码")]
    assert "第 2 行" in str(error.value.problems[0].message)
    assert _count(session) == 0


def test_receipt_date_before_the_window_or_in_the_future_is_refused(session, cycle, manager):
    org = make_organization(session)
    with pytest.raises(RowErrors) as error:
        _import(session, [(org.credit_code, None, 2025, date(2025, 12, 31)),
                          (org.credit_code, None, 2025, datetime(2026, 3, 17, 8))], manager)
    assert _problems(error.value) == [(2, "接收日期"), (3, "接收日期")]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "空"),
    (b"not a workbook", "xlsx"),
])
def test_a_file_that_is_not_a_workbook_is_refused(session, cycle, manager, data, message):
    with pytest.raises(WorkbookError) as error:
        exchange.import_submissions(session, data, actor=manager, now=NOW, **LIMITS)
    assert message in str(error.value.message)


def test_wrong_header_or_no_rows_is_a_file_error(session, cycle, manager):
    with pytest.raises(WorkbookError) as error:
        _import(session, [("x", "y", 2025)], manager, header=["信用代码", "名称", "年度"])
    assert "表头" in str(error.value.message)
    with pytest.raises(WorkbookError):
        _import(session, [], manager)


def test_bulk_intake_page_lists_problems_then_receipts(session, auth, client, cycle):
    org = make_organization(session, name="北京批量协会")
    session.commit()
    auth.login("manager")
    bad = auth.post("/reviews/bulk-intake", {"file": (io.BytesIO(_xlsx(
        [(org.credit_code, None, 2019, None)])), "list.xlsx")},
        content_type="multipart/form-data")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "未接收任何年报" in html and "2019 年度没有年检预审周期" in html
    good = auth.post("/reviews/bulk-intake", {"file": (io.BytesIO(_xlsx(
        [(org.credit_code, None, 2025, "2026-03-02")])), "list.xlsx")},
        content_type="multipart/form-data")
    html = good.get_data(as_text=True)
    assert good.status_code == 200
    receipt = session.scalar(select(Submission.receipt_no))
    assert "已接收 1 份" in html and receipt in html and "北京批量协会" in html


def test_bulk_intake_page_refuses_other_file_types(session, auth, cycle):
    auth.login("manager")
    response = auth.post("/reviews/bulk-intake", {"file": (io.BytesIO(b"a,b"), "list.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 422
    assert ".xlsx" in response.get_data(as_text=True)


# --- exports -------------------------------------------------------------------------------

def _sheet_rows(data: bytes, index=0) -> list[list]:
    ws = load_workbook(io.BytesIO(data)).worksheets[index]
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_queue_export_holds_every_matching_row_and_no_formula(session, cycle):
    evil = make_organization(session, name="=HYPERLINK(\"http://evil.example\",\"点我\")")
    plain = make_organization(session, name="@SUM(1+1)协会")
    make_submission(session, organization=evil, received_on=date(2026, 3, 2))
    make_submission(session, organization=plain, received_on=date(2026, 3, 3))
    make_submission(session, received_on=date(2026, 3, 3), state="passed")
    filters = queue.QueueFilter(cycle_id=cycle.id)
    data = exchange.export_queue(session, queue.queue_query(filters, TODAY), today=TODAY,
                                 names={})
    rows = _sheet_rows(data)
    assert rows[0] == exchange.QUEUE_HEADERS
    assert [r[1] for r in rows[1:]] == [evil.name, plain.name]  # open only, by deadline
    assert rows[1][12] == 5  # due 9 March: 5 working days late on the 16th
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    cell = ws["B2"]
    assert cell.data_type == "s" and cell.value.startswith("=")  # text, never a formula
    assert cell.quotePrefix


def test_queue_export_page_follows_the_filters_on_screen(session, auth, client, cycle,
                                                        monkeypatch):
    import center.views.review_queue as views
    monkeypatch.setattr(views, "now_utc", lambda: NOW)
    first = make_submission(session, received_on=date(2026, 3, 2))
    make_submission(session, received_on=date(2026, 3, 12))
    session.commit()
    auth.login("reviewer")
    response = client.get("/reviews/export.xlsx?overdue=y")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = _sheet_rows(response.data)
    assert [r[0] for r in rows[1:]] == [first.receipt_no]


def test_results_export_has_outcomes_reasons_and_a_summary(session, cycle, manager):
    reviewer = make_user(session, role="reviewer", display_name="预审员甲")
    passed = make_submission(session, received_on=date(2026, 3, 2), state="passed",
                             reviewer=reviewer)
    returned = make_submission(session, received_on=date(2026, 3, 3), state="returned",
                               reasons=("signature_seal", "late"), comment="=请补章",
                               reviewer=reviewer)
    other = make_cycle(session, year=2024)
    make_submission(session, cycle=other, received_on=date(2025, 3, 3))
    data = exchange.export_results(session, cycle)
    rows = _sheet_rows(data)
    assert rows[0] == exchange.RESULT_HEADERS
    by_receipt = {r[0]: r for r in rows[1:]}
    assert set(by_receipt) == {passed.receipt_no, returned.receipt_no}
    assert by_receipt[passed.receipt_no][11] is not None  # passed on
    assert by_receipt[passed.receipt_no][12] == "预审员甲"
    assert by_receipt[returned.receipt_no][9] == "缺少签字或盖章；逾期报送"
    assert by_receipt[returned.receipt_no][10] == "=请补章"  # stored as text
    summary = _sheet_rows(data, 1)
    assert ["状态", "预审通过", 1] in summary and ["退回原因", "逾期报送", 1] in summary


def test_results_export_is_for_managers(session, auth, client, cycle):
    session.commit()
    auth.login("reviewer")
    assert client.get(f"/reviews/cycles/{cycle.id}/results.xlsx").status_code == 403
    auth.login("manager")
    response = client.get(f"/reviews/cycles/{cycle.id}/results.xlsx")
    assert response.status_code == 200
    assert "2025" in response.headers["Content-Disposition"]
