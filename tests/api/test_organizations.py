"""GET/POST /api/v1/organizations: listing, search, validation and conflicts."""
from datetime import datetime

import pytest
from sqlalchemy import select

from center.models.audit import AuditEntry
from center.models.directory import Organization, Region
from center.services import audit, directory
from tests.api.conftest import error_of
from tests.factories import make_organization, make_region, valid_credit_code

URL = "/api/v1/organizations"


@pytest.fixture
def chaoyang(session):
    city = make_region(session, tier="city", code="110000", name="北京市")
    return make_region(session, tier="district", code="110105", name="朝阳区", parent=city)


def org_input(district, **overrides):
    return {"name": "北京协作者社会工作发展中心", "credit_code": "52110000MJ0163191U",
            "type": "social_service", "district_code": district.code, **overrides}


# --- listing ---------------------------------------------------------------------------------

def test_list_item_has_the_documented_fields(api, session, chaoyang):
    api.login("frontdesk")
    org = make_organization(session, name="北京市志愿服务联合会", type="social_group",
                            district_id=chaoyang.id, field="志愿服务")
    session.commit()
    item = api.get(URL).get_json()["items"][0]
    assert item == {
        "id": org.id, "name": "北京市志愿服务联合会", "credit_code": org.credit_code,
        "type": "social_group", "type_label": "社会团体", "level": "city",
        "district_code": "110105", "district_name": "朝阳区", "field": "志愿服务",
        "created_at": item["created_at"], "archived_at": None}
    created = datetime.fromisoformat(item["created_at"])
    assert created.utcoffset() is not None


def test_pages_split_the_list_and_total_counts_all(api, session):
    api.login("manager")
    for n in range(7):
        make_organization(session, name=f"组织{n:02d}")
    session.commit()
    first = api.get(URL, query_string={"per_page": 3}).get_json()
    last = api.get(URL, query_string={"per_page": 3, "page": 3}).get_json()
    beyond = api.get(URL, query_string={"per_page": 3, "page": 9}).get_json()
    assert (first["total"], last["total"], beyond["total"]) == (7, 7, 7)
    assert [i["name"] for i in first["items"]] == ["组织00", "组织01", "组织02"]
    assert [i["name"] for i in last["items"]] == ["组织06"]
    assert beyond["items"] == []


def test_search_by_pinyin_initials_name_and_code(api, session):
    api.login("frontdesk")
    target = make_organization(session, name="北京协作者社会工作发展中心")
    make_organization(session, name="朝阳区养老服务协会")
    session.commit()
    for q in ("bjxzz", "BJXZZ", "协作者", target.credit_code, target.credit_code.lower()):
        body = api.get(URL, query_string={"q": q}).get_json()
        assert [i["id"] for i in body["items"]] == [target.id], q
        assert body["total"] == 1


def test_filters_by_type_and_district(api, session, chaoyang):
    api.login("reviewer")
    haidian = make_region(session, tier="district", code="110108", name="海淀区",
                          parent=chaoyang.parent)
    wanted = make_organization(session, type="foundation", district_id=chaoyang.id)
    make_organization(session, type="social_group", district_id=chaoyang.id)
    make_organization(session, type="foundation", district_id=haidian.id)
    session.commit()
    body = api.get(URL, query_string={"type": "foundation", "district_code": "110105"}).get_json()
    assert [i["id"] for i in body["items"]] == [wanted.id]
    assert api.get(URL, query_string={"district_code": "999999"}).get_json()["total"] == 0


def test_unknown_type_filter_is_a_400(api):
    api.login("manager")
    response = api.get(URL, query_string={"type": "社会团体"})
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"type"}


def test_archived_organizations_are_not_listed(api, session):
    api.login("manager")
    org = make_organization(session)
    audit.archive(session, org, actor=None)
    session.commit()
    assert api.get(URL).get_json()["total"] == 0
    assert api.get(f"{URL}/{org.id}").get_json()["archived_at"] is not None


def test_get_one_includes_contacts_and_unknown_id_is_json_404(api, session):
    api.login("reviewer")
    org = make_organization(session, contact_name="张三", contact_phone="010-12345678")
    session.commit()
    body = api.get(f"{URL}/{org.id}").get_json()
    assert (body["id"], body["contact_name"], body["contact_phone"]) == (org.id, "张三",
                                                                        "010-12345678")
    response = api.get(f"{URL}/{org.id + 1000}")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_list_runs_the_same_number_of_queries_for_5_or_40_rows(api, session, count_queries):
    api.login("manager")
    directory.seed_beijing_regions(session)
    # Spread over the 16 districts: a lazy district load per row would not hide behind the
    # identity map as it would if every row shared one district.
    districts = session.scalars(select(Region).where(Region.tier == "district")).all()
    for n in range(5):
        make_organization(session, district_id=districts[n].id)
    session.commit()
    api.get(URL)  # the token's first use records last_used_at; count steady requests
    with count_queries() as few:
        assert api.get(URL).get_json()["total"] == 5
    for n in range(35):
        make_organization(session, district_id=districts[n % len(districts)].id)
    session.commit()
    with count_queries() as many:
        assert len(api.get(URL).get_json()["items"]) == 40
    assert few.count == many.count <= 4


# --- creating --------------------------------------------------------------------------------

def test_create_returns_201_with_item_and_location(api, session, chaoyang):
    user = api.login("frontdesk")
    response = api.post(URL, json=org_input(chaoyang, level="district", address="朝阳路1号"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/organizations/{body['id']}"
    assert (body["type"], body["type_label"], body["level"]) == ("social_service", "社会服务机构（民办非企业单位）",
                                                                 "district")
    assert (body["district_code"], body["address"]) == ("110105", "朝阳路1号")
    session.expire_all()
    org = session.get(Organization, body["id"])
    assert org.name_initials == "bjxzzshgzfzzx"
    entry = session.query(AuditEntry).filter_by(table_name="organizations").one()
    assert (entry.action, entry.actor_id) == ("create", user.id)
    assert api.get(response.headers["Location"]).get_json() == body


def test_create_normalizes_credit_code_and_trims_text(api, chaoyang):
    api.login("manager")
    response = api.post(URL, json=org_input(chaoyang, name="  北京测试协会 ",
                                            credit_code="52110000mj0163191u"))
    assert response.status_code == 201
    assert (response.get_json()["name"], response.get_json()["credit_code"]) == (
        "北京测试协会", "52110000MJ0163191U")


@pytest.mark.parametrize("code, reason", [
    ("91350100M000100Y4Z", "不允许的字符"),  # the standard's example with a wrong check char
    ("52110000MJ0163191T", "校验位"),
    ("5211000", "18位"),
])
def test_create_with_bad_credit_code_is_422_on_that_field(api, session, chaoyang, code, reason):
    api.login("frontdesk")
    response = api.post(URL, json=org_input(chaoyang, credit_code=code))
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"credit_code"}
    assert reason in error["fields"]["credit_code"]
    assert session.query(Organization).count() == 0


def test_create_with_duplicate_code_is_409_and_adds_nothing(api, session, chaoyang):
    api.login("frontdesk")
    existing = make_organization(session, name="已登记的组织", credit_code="52110000MJ0163191U")
    session.commit()
    response = api.post(URL, json=org_input(chaoyang, name="另一个名字"))
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "conflict"
    assert existing.name in error["message"]
    assert "credit_code" in error["fields"]
    assert session.query(Organization).count() == 1


def test_create_with_missing_fields_names_each_one(api, session):
    api.login("frontdesk")
    response = api.post(URL, json={"field": "养老"})
    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert set(fields) == {"name", "credit_code", "type", "district_code"}
    assert all(fields.values())
    assert session.query(Organization).count() == 0


def test_create_with_wrong_type_code_lists_the_codes(api, session, chaoyang):
    api.login("frontdesk")
    response = api.post(URL, json=org_input(chaoyang, type="社会团体"))
    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert set(fields) == {"type"}
    assert "social_group" in fields["type"] and "foundation" in fields["type"]
    assert session.query(Organization).count() == 0


@pytest.mark.parametrize("code", ["999999", "110000", "110103"])
def test_create_with_unknown_or_non_district_code_is_422(api, session, chaoyang, code):
    api.login("frontdesk")  # 110000 is the city itself; 110103 (崇文) is not in this tree
    response = api.post(URL, json=org_input(chaoyang, district_code=code))
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"district_code"}
    assert session.query(Organization).count() == 0


def test_create_reports_api_and_service_problems_together(api, session, chaoyang):
    api.login("frontdesk")
    response = api.post(URL, json=org_input(chaoyang, type="x", credit_code="52110000MJ0163191T",
                                            level="province"))
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"type", "credit_code", "level"}
    assert session.query(Organization).count() == 0


def test_create_with_only_api_problems_writes_nothing(api, session, chaoyang):
    api.login("frontdesk")  # the service alone would accept this: the type is implied by the code
    response = api.post(URL, json=org_input(chaoyang, district_code="123"))
    assert response.status_code == 422
    session.expire_all()
    assert session.query(Organization).count() == 0
    assert session.query(AuditEntry).filter_by(table_name="organizations").count() == 0


@pytest.mark.parametrize("value, field", [
    (12345, "name"), (["a"], "credit_code"), ({"x": 1}, "type"), (True, "field"),
    ("a\x00b", "name"), ("x" * 201, "name"), ("1" * 31, "contact_phone"),
])
def test_create_with_wrongly_typed_or_oversized_values_is_422(api, session, chaoyang, value,
                                                               field):
    api.login("frontdesk")
    response = api.post(URL, json=org_input(chaoyang, **{field: value}))
    assert response.status_code == 422
    assert field in error_of(response)["fields"]
    assert session.query(Organization).count() == 0


@pytest.mark.parametrize("kwargs", [
    {"data": "name=x", "content_type": "application/x-www-form-urlencoded"},
    {"data": '{"name": "x"}', "content_type": "text/plain"},
    {"data": "{not json", "content_type": "application/json"},
    {"data": b"\xff\xfe\x00", "content_type": "application/json"},
    {"data": "[" * 100_000, "content_type": "application/json"},
    {"data": '["a list"]', "content_type": "application/json"},
    {"data": "", "content_type": "application/json"},
])
def test_create_with_non_json_body_is_400(api, session, kwargs):
    api.login("frontdesk")
    response = api.post(URL, **kwargs)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_request"
    assert "JSON" in error["message"]
    assert session.query(Organization).count() == 0


def test_create_then_same_code_again_is_409(api, session, chaoyang):
    api.login("admin")
    assert api.post(URL, json=org_input(chaoyang)).status_code == 201
    again = api.post(URL, json=org_input(chaoyang, name="不同的名字"))
    assert again.status_code == 409
    assert session.query(Organization).count() == 1


def test_valid_code_from_the_factory_is_accepted(api, chaoyang):
    api.login("admin")
    code = valid_credit_code(category="3")
    response = api.post(URL, json=org_input(chaoyang, credit_code=code, type="foundation"))
    assert response.status_code == 201
    assert response.get_json()["type_label"] == "基金会"


def test_duplicate_found_only_by_the_database_is_still_409(api, session, chaoyang, monkeypatch):
    """Two requests racing with the same code: the unique index decides, the loser gets 409."""
    api.login("frontdesk")
    make_organization(session, credit_code="52110000MJ0163191U")
    session.commit()

    def create_without_checking(session, data, *, actor=None):
        org = Organization(name=data["name"], name_initials="x", credit_code=data["credit_code"],
                           type=data["type"], level="city")
        session.add(org)
        session.flush()
        return org
    monkeypatch.setattr(directory, "create_organization", create_without_checking)
    response = api.post(URL, json=org_input(chaoyang))
    assert response.status_code == 409
    assert set(error_of(response)["fields"]) == {"credit_code"}
    assert session.query(Organization).count() == 1
