"""Excel template, import and export of organizations and platforms."""
import io
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from center.models.audit import AuditEntry
from center.models.directory import Organization, Platform
from center.services import directory
from center.services.directory_exchange import (PLATFORM_COLUMNS, export_organizations,
                                                import_organizations, import_platforms)
from center.services.spreadsheets import RowErrors
from tests.directory.conftest import ORG_HEADER, PLATFORM_HEADER, org_row, read_back
from tests.directory.workbooks import many_rows, workbook, zip_bomb
from tests.factories import make_organization, valid_credit_code

LIMITS = {"max_rows": 20000, "max_uncompressed": 50 * 1024 * 1024}


def upload(auth, path, data: bytes, filename="名录.xlsx", update=True):
    fields = {"file": (io.BytesIO(data), filename)}
    if update:
        fields["update_existing"] = "y"
    response = auth.post(path, data=fields, content_type="multipart/form-data")
    # Werkzeug's test client spools big bodies to a temporary file it never closes.
    response.request.environ["wsgi.input"].close()
    return response


def org_count(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Organization))


def problems_of(data, session, **kwargs):
    with pytest.raises(RowErrors) as caught:
        import_organizations(session, data, actor=None, **LIMITS, **kwargs)
    return [(p.row, p.column, str(p.message)) for p in caught.value.problems]


# --- template --------------------------------------------------------------------------------

@pytest.mark.parametrize("path, header, title", [
    ("/organizations/template.xlsx", ORG_HEADER, "组织"),
    ("/platforms/template.xlsx", PLATFORM_HEADER, "平台")])
def test_template_has_the_header_row_the_importer_expects(auth, client, path, header, title):
    auth.login("admin")
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == [title, "说明"]
    assert [c.value for c in next(wb[title].iter_rows())] == header
    assert wb[title].max_row == 1  # no example row to mistake for data
    assert any("任何一行有错误" in (row[0].value or "") for row in wb["说明"].iter_rows())


def test_importing_the_empty_template_says_there_are_no_rows(auth, client, session):
    auth.login("frontdesk")
    template = client.get("/organizations/template.xlsx").data
    response = upload(auth, "/organizations/import", template)
    assert response.status_code == 422 and "没有数据行" in response.get_data(as_text=True)


# --- organization import ---------------------------------------------------------------------

def test_import_creates_organizations_and_reports_the_count(auth, client, session, beijing):
    auth.login("frontdesk")
    data = workbook(ORG_HEADER, [
        org_row("北京协作者", "51110000MJ0101505U", district="东城区", 联系人="李"),
        org_row("某社会服务机构", "52110000mj0163191u", "社会服务机构(民办非企业单位)", "区级", 110108),
        org_row("某基金会", " 53100000500019795A ", None, None, "朝阳"),
    ])
    response = upload(auth, "/organizations/import", data)
    assert response.status_code == 302
    assert "新增 3 条" in client.get(response.headers["Location"]).get_data(as_text=True)
    orgs = {o.credit_code: o for o in session.scalars(select(Organization))}
    assert orgs["51110000MJ0101505U"].district.name == "东城区"
    assert orgs["51110000MJ0101505U"].contact_name == "李"
    assert orgs["51110000MJ0101505U"].name_initials == "bjxzz"
    assert (orgs["52110000MJ0163191U"].type, orgs["52110000MJ0163191U"].level) == (
        "social_service", "district")
    assert orgs["52110000MJ0163191U"].district.name == "海淀区"
    assert orgs["53100000500019795A"].type == "foundation"  # from the code's second character
    assert orgs["53100000500019795A"].district.name == "朝阳区"
    actors = set(session.scalars(select(AuditEntry.actor_id).where(
        AuditEntry.table_name == "organizations")))
    assert len(actors) == 1 and None not in actors


def test_import_with_bad_rows_changes_nothing_and_lists_row_column_reason(auth, session,
                                                                          beijing):
    make_organization(session, name="已有组织", credit_code="51110000MJ0101505U")
    session.commit()
    auth.login("frontdesk")
    good = [org_row(f"好组织{n}", valid_credit_code()) for n in range(30)]
    bad = [
        org_row("校验位错", "52110000MJ0163191A"),
        org_row("太短", "5211000"),
        org_row("含字母O", "52110000MJ016319OU"),
        org_row("缺代码", None),
        org_row("重复甲", "53100000500019795A"),
        org_row("重复乙", "53100000500019795A"),
        org_row("怪类型", valid_credit_code(), "公司"),
        org_row("怪区", valid_credit_code(), district="崇文区"),
        org_row(None, valid_credit_code()),
        org_row("怪级别", valid_credit_code(), level="省级"),
    ]
    response = upload(auth, "/organizations/import", workbook(ORG_HEADER, good + bad))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "未导入任何数据" in html
    expected = [
        (32, "统一社会信用代码", "校验位不正确"), (33, "统一社会信用代码", "当前为7位"),
        (34, "统一社会信用代码", "不允许的字符：O"), (35, "统一社会信用代码", "请填写统一社会信用代码"),
        (37, "统一社会信用代码", "与第 36 行的信用代码重复"), (38, "组织类型", "无法识别的组织类型“公司”"),
        (39, "所在区", "无法识别的区“崇文区”"), (40, "组织名称", "请填写组织名称"),
        (41, "登记级别", "登记级别应为“市级”或“区级”"),
    ]
    for row, column, reason in expected:
        assert f'<th scope="row">{row}</th><td>{column}</td><td>' in html
        assert reason in html
    assert org_count(session) == 1  # only the one made before


def test_import_reports_every_problem_of_a_row(session, beijing):
    problems = problems_of(workbook(ORG_HEADER, [org_row(None, "123", "公司", "省级", "火星")]),
                           session)
    assert [column for _row, column, _reason in problems] == [
        "组织名称", "统一社会信用代码", "组织类型", "登记级别", "所在区"]


def test_one_bad_row_after_many_good_ones_imports_nothing(session):
    rows = [org_row(f"组织{n}", valid_credit_code()) for n in range(200)]
    rows.append(org_row("最后一行", "91350100M000100Y4Z"))
    problems = problems_of(workbook(ORG_HEADER, rows), session)
    assert problems == [(202, "统一社会信用代码", problems[0][2])] and "Z" in problems[0][2]
    assert org_count(session) == 0


def test_existing_code_updates_the_organization(auth, session, beijing):
    org = make_organization(session, name="旧名称", credit_code="51110000MJ0101505U")
    session.commit()
    result = import_organizations(session, workbook(ORG_HEADER, [
        org_row("新名称", "51110000MJ0101505U", district="西城区", 联系电话="13800000000")]),
        actor=None, **LIMITS)
    session.commit()
    assert (result.created, result.updated) == (0, 1)
    session.expire_all()
    org = session.get(Organization, org.id)
    assert (org.name, org.district.name, org.contact_phone) == ("新名称", "西城区", "13800000000")
    assert org.name_initials == "xmc"
    assert session.scalar(select(AuditEntry.action).where(
        AuditEntry.record_id == str(org.id)).order_by(AuditEntry.id.desc()).limit(1)) == "update"


def test_existing_code_is_a_duplicate_when_updating_is_turned_off(auth, session):
    make_organization(session, name="已有组织", credit_code="51110000MJ0101505U")
    session.commit()
    auth.login("manager")
    data = workbook(ORG_HEADER, [org_row("另一个", "51110000MJ0101505U")])
    response = upload(auth, "/organizations/import", data, update=False)
    assert response.status_code == 422
    assert "该代码已登记为“已有组织”" in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Organization.name)) == "已有组织"


# --- malformed uploads -----------------------------------------------------------------------

def test_a_file_that_is_not_a_workbook_is_refused(auth, session):
    auth.login("frontdesk")
    response = upload(auth, "/organizations/import", "组织名称,代码\n".encode(), "fake.xlsx")
    assert response.status_code == 422
    assert "不是 Excel 工作簿" in response.get_data(as_text=True)
    response = upload(auth, "/organizations/import", b"a,b", "list.csv")
    assert "只能上传 .xlsx" in response.get_data(as_text=True)
    response = auth.post("/organizations/import", data={}, content_type="multipart/form-data")
    assert "请选择要上传的文件" in response.get_data(as_text=True)
    assert org_count(session) == 0


def test_a_workbook_with_wrong_headers_is_refused(auth, session):
    auth.login("frontdesk")
    data = workbook(["名称", "信用代码"], [["北京协作者", "51110000MJ0101505U"]])
    html = upload(auth, "/organizations/import", data).get_data(as_text=True)
    assert "表头与模板不符" in html and "缺少：组织名称" in html
    assert org_count(session) == 0


def test_a_zip_bomb_upload_is_refused(auth, session, tmp_path):
    auth.login("frontdesk")
    response = upload(auth, "/organizations/import", zip_bomb(tmp_path / "bomb.xlsx"))
    assert response.status_code == 422 and "解压后过大" in response.get_data(as_text=True)
    assert org_count(session) == 0


def test_a_workbook_of_100000_rows_is_refused_with_the_row_limit(auth, session):
    auth.login("frontdesk")
    data = many_rows(ORG_HEADER, 100_000)
    started = time.monotonic()
    response = upload(auth, "/organizations/import", data)
    assert time.monotonic() - started < 30
    assert response.status_code == 422
    assert "行数超过上限 20000 行" in response.get_data(as_text=True)
    assert org_count(session) == 0


def test_an_oversized_upload_gets_413_with_a_clear_message(auth, app, session):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    auth.login("frontdesk")
    response = upload(auth, "/organizations/import", b"PK\x03\x04" + b"0" * (100 * 1024))
    assert response.status_code == 413
    assert "上传的文件太大" in response.get_data(as_text=True)
    assert org_count(session) == 0


# --- export ----------------------------------------------------------------------------------

def test_export_keeps_formula_like_text_as_text(auth, client, session):
    names = ['=HYPERLINK("http://evil.example","点我")', "+8610", "-1", "@SUM(A1)"]
    for name in names:
        make_organization(session, name=name, note="=1+1")
    session.commit()
    auth.login("manager")
    response = client.get("/organizations/export.xlsx")
    assert response.status_code == 200
    rows = read_back(response.data)
    assert [c.value for c in rows[0]] == ORG_HEADER
    exported = {row[0].value: row for row in rows[1:]}
    assert set(exported) == set(names)
    for row in exported.values():
        assert row[0].data_type == "s" and row[9].value == "=1+1" and row[9].data_type == "s"


# UTC+14 and UTC-11: 25 hours apart, so their dates differ at every moment and a file name
# dated by the server's clock cannot match both.
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
@pytest.mark.parametrize("path", ["/organizations/export.xlsx", "/platforms/export.xlsx",
                                  "/organizations/template.xlsx"])
def test_download_names_carry_the_centers_local_date(auth, client, app, zone, path):
    app.config["CENTER_TIMEZONE"] = zone
    auth.login("manager")
    before = datetime.now(ZoneInfo(zone)).date()
    disposition = client.get(path).headers["Content-Disposition"]
    after = datetime.now(ZoneInfo(zone)).date()
    assert any(f"-{day:%Y%m%d}.xlsx" in disposition for day in (before, after)), disposition


def test_export_follows_the_list_filters(auth, client, session, beijing):
    make_organization(session, name="东城的社团", district_id=beijing["东城区"].id)
    make_organization(session, name="西城的社团", district_id=beijing["西城区"].id)
    session.commit()
    auth.login("frontdesk")
    response = client.get(f"/organizations/export.xlsx?district={beijing['东城区'].id}")
    names = [row[0].value for row in read_back(response.data)[1:]]
    assert names == ["东城的社团"]


def test_an_edited_export_can_be_imported_again(auth, client, session, beijing):
    make_organization(session, name="甲协会", district_id=beijing["东城区"].id, field="养老")
    make_organization(session, name="乙基金会", type="foundation", level="district")
    session.commit()
    auth.login("frontdesk")
    wb = load_workbook(io.BytesIO(client.get("/organizations/export.xlsx").data))
    ws = wb.worksheets[0]
    [row] = [r for r in ws.iter_rows(min_row=2) if r[0].value == "甲协会"]
    row[ORG_HEADER.index("联系人")].value = "新联系人"
    ws.append(org_row("丙促进会", "51110000MJ0101505U", district="通州区"))
    buffer = io.BytesIO()
    wb.save(buffer)
    response = upload(auth, "/organizations/import", buffer.getvalue())
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "新增 1 条，更新 1 条，未变 1 条" in flashed
    session.expire_all()
    orgs = {o.name: o for o in session.scalars(select(Organization))}
    assert orgs["甲协会"].contact_name == "新联系人" and orgs["甲协会"].field == "养老"
    assert orgs["乙基金会"].level == "district" and orgs["丙促进会"].district.name == "通州区"


def test_export_strips_characters_excel_cannot_hold(app, session):
    org = make_organization(session, name="正常名称", note="备注\x01\x02结束")
    rows = read_back(export_organizations([org], max_rows=10))
    assert rows[1][9].value == "备注结束"


# --- platforms -------------------------------------------------------------------------------

def platform_row(name, district, street=None, joint=None, order=None, **extra):
    values = {"平台名称": name, "所在区": district, "街道/乡镇": street, "联席会议成员": joint,
              "轮值顺序": order, **extra}
    return [values.get(c.label) for c in PLATFORM_COLUMNS]


def test_platform_import_resolves_regions_by_name_or_code(auth, client, session, beijing):
    auth.login("manager")
    data = workbook(PLATFORM_HEADER, [
        platform_row("市社会组织服务中心", "北京市", joint="是", order=1),
        platform_row("东城区社会组织服务中心", "东城", joint="否", order=2),
        platform_row("东华门街道社会组织服务站", 110101, "东华门街道", joint="是"),
        platform_row("延庆某镇平台", "延庆区", 110119100, 联系人="赵"),
    ])
    response = upload(auth, "/platforms/import", data)
    assert response.status_code == 302
    platforms = {p.name: p for p in session.scalars(select(Platform))}
    assert platforms["市社会组织服务中心"].tier == "city"
    assert platforms["东城区社会组织服务中心"].region.name == "东城区"
    assert platforms["东华门街道社会组织服务站"].region.code == "110101001"
    assert platforms["东华门街道社会组织服务站"].tier == "street"
    assert platforms["东华门街道社会组织服务站"].is_joint_member is True
    assert platforms["延庆某镇平台"].region.parent.name == "延庆区"
    assert platforms["延庆某镇平台"].contact_name == "赵"


def test_platform_import_with_bad_rows_changes_nothing(auth, session, beijing):
    auth.login("manager")
    data = workbook(PLATFORM_HEADER, [
        platform_row("好平台", "东城区"),
        platform_row("怪区平台", "宣武区"),
        platform_row("错街道平台", "西城区", "东华门街道"),
        platform_row("怪成员", "东城区", joint="也许"),
        platform_row("怪顺序", "东城区", order="第一"),
        platform_row(None, "东城区"),
        platform_row("好平台", "西城区"),
        platform_row("无区平台", None),
    ])
    response = upload(auth, "/platforms/import", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for row, column, reason in [
            (3, "所在区", "无法识别的区“宣武区”"), (4, "街道/乡镇", "在西城区下找不到街道/乡镇“东华门街道”"),
            (5, "联席会议成员", "请填写“是”或“否”"), (6, "轮值顺序", "1 到 999"),
            (7, "平台名称", "请填写平台名称"), (8, "平台名称", "与第 2 行的平台名称重复"),
            (9, "所在区", "请填写所在区")]:
        assert f'<th scope="row">{row}</th><td>{column}</td>' in html and reason in html
    assert session.scalar(select(func.count()).select_from(Platform)) == 0


def test_platform_export_round_trips(auth, client, session, beijing):
    directory.create_platform(session, {"name": "=东华门平台", "region_id": beijing["110101001"].id,
                                        "is_joint_member": True, "rotation_order": 4})
    session.commit()
    auth.login("admin")
    export = client.get("/platforms/export.xlsx").data
    rows = read_back(export)
    assert [c.value for c in rows[1]][:5] == ["=东华门平台", "东城区", "东华门街道", "是", 4]
    assert rows[1][0].data_type == "s"
    result = import_platforms(session, export, actor=None, **LIMITS)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
