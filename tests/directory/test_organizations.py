"""Organization pages: search, filters, bounded queries, form errors, archive, roles, history."""
import pytest
from sqlalchemy import func, select

from center.models.audit import AuditEntry
from center.models.directory import Organization, Region
from center.services import audit, directory
from tests.conftest import field_errors
from tests.factories import make_organization, valid_credit_code

READERS = ["admin", "manager", "frontdesk", "reviewer"]


def form_data(**overrides):
    data = {"name": "北京协作者", "credit_code": "51110000MJ0101505U", "type": "social_group",
            "level": "city", "district_id": "", "field": "社会工作", "contact_name": "李",
            "contact_phone": "010-12345678", "address": "", "note": ""}
    data.update(overrides)
    return data


def count_orgs(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Organization))


# --- search and list -------------------------------------------------------------------------

def test_pinyin_initials_find_the_organization(session):
    make_organization(session, name="北京协作者", credit_code="51110000MJ0101505U")
    make_organization(session, name="朝阳社区基金会")
    found = session.scalars(directory.organization_search("bjxzz")).all()
    assert [org.name for org in found] == ["北京协作者"]


def test_search_by_name_fragment_and_code_prefix(session):
    make_organization(session, name="北京协作者", credit_code="51110000MJ0101505U")
    make_organization(session, name="海淀青年志愿者协会", credit_code="52110000MJ0163191U")
    by_name = session.scalars(directory.organization_search("志愿")).all()
    by_code = session.scalars(directory.organization_search("5211")).all()
    assert [o.name for o in by_name] == [o.name for o in by_code] == ["海淀青年志愿者协会"]


def test_list_page_searches_by_pinyin_initials(auth, client, session):
    make_organization(session, name="北京协作者", credit_code="51110000MJ0101505U")
    make_organization(session, name="朝阳社区基金会")
    session.commit()
    auth.login("frontdesk")
    html = client.get("/organizations?q=bjxzz").get_data(as_text=True)
    assert "北京协作者" in html and "朝阳社区基金会" not in html


def test_list_filters_by_type_district_and_archived(auth, client, session, beijing):
    dongcheng = beijing["东城区"]
    make_organization(session, name="东城社团", district_id=dongcheng.id)
    make_organization(session, name="西城基金会", type="foundation",
                      district_id=beijing["西城区"].id)
    gone = make_organization(session, name="已归档的社团")
    audit.archive(session, gone, actor=None)
    session.commit()
    auth.login("reviewer")
    html = client.get(f"/organizations?district={dongcheng.id}").get_data(as_text=True)
    assert "东城社团" in html and "西城基金会" not in html
    html = client.get("/organizations?type=foundation").get_data(as_text=True)
    assert "西城基金会" in html and "东城社团" not in html
    html = client.get("/organizations").get_data(as_text=True)
    assert "已归档的社团" not in html
    html = client.get("/organizations?archived=archived").get_data(as_text=True)
    assert "已归档的社团" in html and "东城社团" not in html


def test_list_is_paginated(auth, client, session, app):
    app.config["PER_PAGE"] = 5
    for n in range(12):
        make_organization(session, name=f"分页组织{n:02d}")
    session.commit()
    auth.login("manager")
    first = client.get("/organizations").get_data(as_text=True)
    third = client.get("/organizations?page=3").get_data(as_text=True)
    assert "分页组织00" in first and "分页组织05" not in first and "第 1 / 3 页" in first
    assert "分页组织10" in third and "分页组织00" not in third


def test_list_ignores_nonsense_query_parameters(auth, client, session):
    auth.login("manager")
    response = client.get("/organizations?page=-4&type=evil&district=x&archived=zzz&q=%25_")
    assert response.status_code == 200
    assert client.get("/organizations?page=999999999999999999999").status_code == 200


@pytest.mark.parametrize("path", ["/organizations", "/platforms"])
def test_list_pages_run_the_same_number_of_queries_for_5_or_60_rows(
        auth, client, session, count_queries, beijing, path):
    auth.login("manager")
    # Rows spread over districts and streets: a lazy load per row would not hide behind the
    # identity map as it would if every row shared one region.
    districts = session.scalars(select(Region).where(Region.tier == "district")
                                .order_by(Region.code)).all()
    streets = session.scalars(select(Region).where(Region.tier == "street")
                              .order_by(Region.code)).all()

    def queries_with(n):
        for i in range(n):
            make_organization(session, name=f"计数组织{n}-{i}",
                              district_id=districts[(n + i) % len(districts)].id)
            directory.create_platform(session, {"name": f"计数平台{n}-{i}",
                                                "region_id": streets[(n + i) * 7 % len(streets)].id})
        session.commit()
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        return counter.count

    assert queries_with(5) == queries_with(55)


# --- detail ----------------------------------------------------------------------------------

def test_detail_shows_facts_and_audit_history(auth, client, session, beijing):
    user = auth.login("frontdesk")
    auth.post("/organizations/new", data=form_data(district_id=str(beijing["东城区"].id)))
    org = session.scalar(select(Organization))
    auth.post(f"/organizations/{org.id}/edit", data=form_data(
        district_id=str(beijing["西城区"].id), contact_name="王"))
    html = client.get(f"/organizations/{org.id}").get_data(as_text=True)
    assert "51110000MJ0101505U" in html and "社会团体" in html and "西城区" in html
    assert "变更记录" in html and "创建" in html and "修改" in html
    assert "东城区 → 西城区" in html and "李 → 王" in html
    assert user.display_name in html


def test_unknown_organization_is_404(auth, client):
    auth.login("manager")
    assert client.get("/organizations/9999").status_code == 404


# --- form ------------------------------------------------------------------------------------

def test_create_organization_through_the_form(auth, session, beijing):
    auth.login("frontdesk")
    response = auth.post("/organizations/new", data=form_data(
        credit_code=" 51110000mj0101505u ", district_id=str(beijing["海淀区"].id)))
    assert response.status_code == 302
    org = session.scalar(select(Organization))
    assert (org.name, org.credit_code, org.district.name) == ("北京协作者", "51110000MJ0101505U",
                                                              "海淀区")
    assert org.name_initials == "bjxzz"


def test_type_is_taken_from_the_code_when_left_blank(auth, session):
    auth.login("frontdesk")
    auth.post("/organizations/new", data=form_data(type="", credit_code="53100000500019795A"))
    assert session.scalar(select(Organization.type)) == "foundation"


@pytest.mark.parametrize("code, reason", [
    ("51110000MJ0101505", "18位，当前为17位"),
    ("51110000MJ010150IU", "不允许的字符"),
    ("51110000MJ0101505A", "校验位不正确"),
])
def test_bad_credit_code_shows_the_reason_beside_the_field_and_keeps_values(auth, session,
                                                                             code, reason):
    auth.login("frontdesk")
    response = auth.post("/organizations/new", data=form_data(credit_code=code, note="保留我"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert reason in html
    assert 'value="北京协作者"' in html and f'value="{code}"' in html and "保留我" in html
    assert count_orgs(session) == 0


def test_duplicate_code_names_the_existing_organization(auth, session):
    make_organization(session, name="已有的协会", credit_code="52110000MJ0163191U")
    session.commit()
    auth.login("manager")
    response = auth.post("/organizations/new", data=form_data(credit_code="52110000MJ0163191U"))
    assert response.status_code == 422
    assert "已登记为“已有的协会”" in response.get_data(as_text=True)
    assert count_orgs(session) == 1


@pytest.mark.parametrize("editing", [False, True])
def test_a_code_registered_meanwhile_by_someone_else_is_refused_beside_the_field(
        auth, session, monkeypatch, editing):
    mine = make_organization(session, name="我的协会") if editing else None
    make_organization(session, name="抢先登记的协会", credit_code="52110000MJ0163191U")
    session.commit()
    auth.login("manager")
    # The other save lands between our duplicate check and our flush.
    monkeypatch.setattr(directory, "_organization_with_code", lambda session, code: None)
    url = f"/organizations/{mine.id}/edit" if editing else "/organizations/new"
    response = auth.post(url, data=form_data(name="我的协会", credit_code="52110000MJ0163191U"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html, "credit_code") == ["统一社会信用代码已登记。"]
    assert 'value="我的协会"' in html
    assert count_orgs(session) == (2 if editing else 1)


def test_missing_name_unknown_choice_and_overlong_text_are_refused(auth, session):
    auth.login("manager")
    response = auth.post("/organizations/new", data=form_data(
        name="  ", type="company", district_id="99999", contact_phone="1" * 31))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请填写组织名称" in html and "不能超过 30 个字" in html
    assert html.count('class="error"') >= 4
    assert count_orgs(session) == 0


def test_control_characters_are_refused(auth, session):
    auth.login("manager")
    response = auth.post("/organizations/new", data=form_data(name="坏\x01名字"))
    assert response.status_code == 422 and "控制字符" in response.get_data(as_text=True)


def test_edit_keeps_values_on_error_and_changes_nothing(auth, session):
    org = make_organization(session, name="原名称")
    session.commit()
    auth.login("frontdesk")
    response = auth.post(f"/organizations/{org.id}/edit",
                         data=form_data(name="新名称", credit_code="123"))
    assert response.status_code == 422 and 'value="新名称"' in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Organization, org.id).name == "原名称"


def test_edit_form_is_prefilled(auth, client, session):
    org = make_organization(session, name="预填组织", type="foundation")
    session.commit()
    auth.login("frontdesk")
    html = client.get(f"/organizations/{org.id}/edit").get_data(as_text=True)
    assert 'value="预填组织"' in html and '<option selected value="foundation">' in html


# --- archive ---------------------------------------------------------------------------------

def test_archive_and_restore_keep_the_record_and_log_it(auth, session):
    org = make_organization(session)
    session.commit()
    auth.login("frontdesk")
    assert auth.post(f"/organizations/{org.id}/archive").status_code == 302
    session.expire_all()
    assert session.get(Organization, org.id).archived_at is not None
    auth.post(f"/organizations/{org.id}/restore")
    session.expire_all()
    assert session.get(Organization, org.id).archived_at is None
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.table_name == "organizations").order_by(AuditEntry.id)).all()
    assert actions == ["create", "archive", "restore"]


def test_archive_without_csrf_token_is_refused(auth, client, session):
    org = make_organization(session)
    session.commit()
    auth.login("frontdesk")
    assert client.post(f"/organizations/{org.id}/archive").status_code == 400
    session.expire_all()
    assert session.get(Organization, org.id).archived_at is None


def test_archive_requires_post(auth, client, session):
    org = make_organization(session)
    session.commit()
    auth.login("frontdesk")
    assert client.get(f"/organizations/{org.id}/archive").status_code == 405


# --- roles -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", READERS)
def test_staff_can_read_organizations(auth, client, session, role):
    org = make_organization(session)
    session.commit()
    auth.login(role)
    assert client.get("/organizations").status_code == 200
    assert client.get(f"/organizations/{org.id}").status_code == 200


def test_reviewer_can_read_but_not_create_or_archive(auth, client, session):
    org = make_organization(session)
    session.commit()
    auth.login("reviewer")
    html = client.get(f"/organizations/{org.id}").get_data(as_text=True)
    assert "编辑" not in html
    assert client.get("/organizations/new").status_code == 403
    assert auth.post("/organizations/new", data=form_data()).status_code == 403
    assert auth.post(f"/organizations/{org.id}/archive").status_code == 403
    assert client.get("/organizations/import").status_code == 403
    assert count_orgs(session) == 1


@pytest.mark.parametrize("role", ["platform", "org"])
def test_platform_and_org_users_get_403_on_organizations(auth, client, session, role):
    org = make_organization(session)
    session.commit()
    auth.login(role)
    for path in ("/organizations", f"/organizations/{org.id}", "/organizations/export.xlsx",
                 "/organizations/template.xlsx"):
        assert client.get(path).status_code == 403, path


def test_anonymous_is_sent_to_login(client):
    response = client.get("/organizations")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_valid_credit_code_factory_is_valid(app):
    assert directory.is_valid_credit_code(valid_credit_code())


def test_search_ranks_initials_and_name_prefix_before_inner_matches(session):
    from center.services.directory import organization_search
    from tests.factories import make_organization

    inner = make_organization(session, name="北京市朝阳区阳光助残服务中心")
    prefix = make_organization(session, name="阳光家园服务中心")
    initials = make_organization(session, name="亚光社区服务中心")  # initials ygsqfwzx
    session.commit()
    names = [o.name for o in session.scalars(organization_search("阳光"))]
    assert names == [prefix.name, inner.name]
    names = [o.name for o in session.scalars(organization_search("yg"))]
    assert names[:2] == [initials.name, prefix.name] or names[:2] == [prefix.name, initials.name]
    assert inner.name not in names
