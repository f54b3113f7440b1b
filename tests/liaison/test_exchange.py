"""The Excel template of needs and offers: its version marker, the all-or-nothing upload with
every bad row reported by row, column and reason, and the file checks."""
import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from center.models.liaison import Post
from center.services import liaison_exchange as exchange
from center.services.errors import PermissionDenied
from center.services.spreadsheets import RowErrors, WorkbookError
from tests.conftest import csrf_from
from tests.directory.workbooks import zip_bomb
from tests.factories import make_platform, make_region, make_user

HEADER = [c.label for c in exchange.COLUMNS]
VERSION_LINE = f"模板版本：{exchange.TEMPLATE_VERSION}（请勿修改本行和第2行的表头）"


def filled(rows, *, version_line=VERSION_LINE, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append([version_line])
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def row(**values):
    base = {"类型": "需求", "类别": "师资", "标题": "财务培训讲师", "立即发布": "是"}
    base.update(values)
    return [base.get(label) for label in HEADER]


def post_count(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Post))


@pytest.fixture
def street_user(session):
    city = make_region(session, tier="city")
    district = make_region(session, tier="district", parent=city, name="朝阳区", code="110105")
    street = make_region(session, tier="street", parent=district, name="建外街道",
                         code="110105001")
    user = make_user(session, role="platform", platform=make_platform(session, region=street))
    session.commit()
    return user


def problems_of(session, data, user, **kwargs):
    with pytest.raises(RowErrors) as caught:
        exchange.import_posts(session, data, actor=user, **kwargs)
    session.rollback()
    return [(p.row, p.column, str(p.message)) for p in caught.value.problems]


def test_the_template_carries_its_version_and_the_header_and_reads_back(session, street_user):
    data = exchange.template()
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert exchange.TEMPLATE_VERSION in ws["A1"].value
    assert [c.value for c in ws[2]] == HEADER
    assert exchange.template_version(data) == exchange.TEMPLATE_VERSION


def test_a_good_file_imports_every_row_as_a_post_of_the_uploaders_platform(session, street_user):
    data = filled([
        row(),
        row(类型="资源", 类别="场地", 标题="多功能厅", 数量=2, 开始日期="2026-12-01",
            结束日期=date(2026, 12, 31), 所在区域="朝阳区", 联系电话=13800000000, 立即发布=None),
    ])
    result = exchange.import_posts(session, data, actor=street_user)
    session.commit()
    assert (result.created, result.published) == (2, 1)
    need, offer = (session.get(Post, i) for i in result.ids)
    assert (need.kind, need.state, need.platform_id) == ("need", "published", street_user.platform_id)
    assert need.region_id == street_user.platform.region_id  # blank region: the platform's own
    assert (offer.kind, offer.category, offer.state, offer.quantity) == ("offer", "venue", "draft", 2)
    assert (offer.starts_on, offer.ends_on) == (date(2026, 12, 1), date(2026, 12, 31))
    assert offer.region.name == "朝阳区" and offer.contact_phone == "13800000000"


def test_every_bad_row_is_reported_by_row_column_and_reason_and_nothing_is_imported(
        session, street_user):
    data = filled([
        row(),  # row 3: good
        row(类别="金钱"),  # row 4
        row(标题=None, 类型="想要"),  # row 5
        row(标题="讲师甲", 开始日期="2026-12-10", 结束日期="2026-12-01", 数量=-3),  # row 6
        row(标题="讲师乙", 开始日期="明天", 所在区域="火星区", 立即发布="也许"),  # row 7
        row(类别="场地"),  # row 8: fine
        row(类别="场地"),  # row 9: same as row 8
    ])
    problems = problems_of(session, data, street_user)
    found = {(r, c) for r, c, _m in problems}
    assert found == {(4, "类别"), (5, "标题"), (5, "类型"), (6, "结束日期"), (6, "数量"),
                     (7, "开始日期"), (7, "所在区域"), (7, "立即发布"), (9, "标题")}
    messages = dict(((r, c), m) for r, c, m in problems)
    assert "金钱" in messages[(4, "类别")] and "师资" in messages[(4, "类别")]
    assert "结束日期不能早于开始日期" in messages[(6, "结束日期")]
    assert "第 8 行" in messages[(9, "标题")]
    assert post_count(session) == 0


def test_a_file_of_another_template_version_is_refused_unread(session, street_user):
    for line in ("模板版本：LIAISON-POSTS-0", "需求与资源"):
        with pytest.raises(WorkbookError) as caught:
            exchange.import_posts(session, filled([row()], version_line=line), actor=street_user)
        assert "模板版本不符" in str(caught.value.message)
    assert post_count(session) == 0


def test_a_changed_header_is_refused(session, street_user):
    with pytest.raises(WorkbookError) as caught:
        exchange.import_posts(session, filled([row()], header=HEADER[:-1] + ["备注"]),
                              actor=street_user)
    assert "表头与模板不符" in str(caught.value.message)


def test_too_many_rows_too_many_bytes_and_no_rows_are_refused(session, street_user):
    with pytest.raises(WorkbookError):
        exchange.import_posts(session, filled([row(标题=f"讲师{i}") for i in range(6)]),
                              actor=street_user, max_rows=5)
    with pytest.raises(WorkbookError) as caught:
        exchange.import_posts(session, filled([row()]), actor=street_user, max_bytes=1000)
    assert "MB" in str(caught.value.message)
    with pytest.raises(WorkbookError) as caught:
        exchange.import_posts(session, filled([]), actor=street_user)
    assert "没有数据行" in str(caught.value.message)
    assert post_count(session) == 0


def test_a_thousand_rows_fit_and_a_thousand_and_one_do_not(session, street_user):
    rows = [row(标题=f"讲师{i}", 立即发布=None) for i in range(exchange.MAX_ROWS + 1)]
    with pytest.raises(WorkbookError) as caught:
        exchange.import_posts(session, filled(rows), actor=street_user)
    assert "上限" in str(caught.value.message)
    assert exchange.import_posts(session, filled(rows[:-1]), actor=street_user).created == 1000


def test_not_a_workbook_and_a_zip_bomb_are_refused(session, street_user, tmp_path):
    for data in (b"not,a,workbook\n", zip_bomb(tmp_path / "bomb.xlsx", megabytes=30)):
        with pytest.raises(WorkbookError):
            exchange.import_posts(session, data, actor=street_user, max_bytes=10 ** 8)


def test_a_supervisor_may_not_import(session, street_user):
    with pytest.raises(PermissionDenied):
        exchange.import_posts(session, filled([row()]), actor=make_user(session, role="supervisor"))


# --- the pages -------------------------------------------------------------------------------

def upload(auth, data: bytes, filename="需求.xlsx", **fields):
    response = auth.post("/liaison/posts/import", data={"file": (io.BytesIO(data), filename),
                                                        **fields},
                         content_type="multipart/form-data")
    response.request.environ["wsgi.input"].close()
    return response


def test_the_template_downloads_as_xlsx_with_the_version_in_its_name(auth, street_user):
    auth.login(street_user)
    response = auth.client.get("/liaison/posts/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert exchange.TEMPLATE_VERSION in response.headers["Content-Disposition"]
    assert exchange.template_version(response.data) == exchange.TEMPLATE_VERSION


def test_the_upload_page_lists_the_problems_and_imports_nothing(auth, session, street_user):
    auth.login(street_user)
    response = upload(auth, filled([row(), row(类别="金钱")]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "金钱" in html and "<th scope=\"row\">4</th>" in html
    assert post_count(session) == 0


def test_the_upload_page_imports_a_good_file(auth, session, street_user):
    auth.login(street_user)
    response = upload(auth, filled([row(), row(标题="场地", 类别="场地")]))
    assert response.status_code == 302
    assert post_count(session) == 2


def test_the_upload_page_refuses_other_files_beside_the_field(auth, session, street_user):
    auth.login(street_user)
    for data, name, text in ((b"x", "list.csv", ".xlsx"),
                             (filled([row()], version_line="旧模板"), "old.xlsx", "模板版本不符")):
        response = upload(auth, data, filename=name)
        assert response.status_code == 422
        assert text in response.get_data(as_text=True)
    assert post_count(session) == 0


def test_the_center_imports_for_a_chosen_platform(auth, session, street_user):
    auth.login("frontdesk")
    page = auth.client.get("/liaison/posts/import").get_data(as_text=True)
    assert csrf_from(page)
    response = upload(auth, filled([row()]))
    assert response.status_code == 422 and "请选择平台" in response.get_data(as_text=True)
    response = upload(auth, filled([row()]), platform_id=str(street_user.platform_id))
    assert response.status_code == 302
    assert session.scalar(select(Post.platform_id)) == street_user.platform_id
