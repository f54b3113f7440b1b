"""GET /api/v1/regions and /api/v1/platforms."""
import pytest

from center.services import audit, directory
from tests.api.conftest import error_of
from tests.factories import make_platform, make_region


@pytest.fixture
def tree(session):
    """北京市 → 朝阳区 → 两条街道; 北京市 → 海淀区 → 一条街道."""
    city = make_region(session, tier="city", code="110000", name="北京市")
    chaoyang = make_region(session, code="110105", name="朝阳区", parent=city)
    haidian = make_region(session, code="110108", name="海淀区", parent=city)
    streets = [make_region(session, tier="street", code=code, name=name, parent=parent)
               for code, name, parent in [("110105001", "建外街道", chaoyang),
                                          ("110105002", "朝外街道", chaoyang),
                                          ("110108001", "万寿路街道", haidian)]]
    return {"city": city, "chaoyang": chaoyang, "haidian": haidian, "streets": streets}


def test_regions_list_codes_names_tiers_and_parents(api, session, tree):
    api.login("frontdesk")
    body = api.get("/api/v1/regions").get_json()
    assert body["total"] == 6
    assert body["items"][:2] == [
        {"code": "110000", "name": "北京市", "tier": "city", "parent_code": None},
        {"code": "110105", "name": "朝阳区", "tier": "district", "parent_code": "110000"}]


def test_regions_filter_by_tier_and_parent(api, tree):
    api.login("supervisor")
    districts = api.get("/api/v1/regions", query_string={"tier": "district"}).get_json()
    assert [r["code"] for r in districts["items"]] == ["110105", "110108"]
    streets = api.get("/api/v1/regions", query_string={"parent_code": "110105"}).get_json()
    assert [r["code"] for r in streets["items"]] == ["110105001", "110105002"]
    assert streets["total"] == 2


def test_regions_unknown_tier_is_400(api, tree):
    api.login("manager")
    response = api.get("/api/v1/regions", query_string={"tier": "province"})
    assert response.status_code == 400
    assert "tier" in error_of(response)["fields"]


def test_seeded_beijing_tree_is_served_in_pages(api, session):
    api.login("manager")
    directory.seed_beijing_regions(session)
    session.commit()
    body = api.get("/api/v1/regions", query_string={"tier": "district", "per_page": 100}).get_json()
    assert body["total"] == 16
    assert {"code": "110108", "name": "海淀区", "tier": "district",
            "parent_code": "110000"} in body["items"]


def test_platforms_list_fields_and_filters(api, session, tree):
    api.login("supervisor")
    district_hub = make_platform(session, name="朝阳区社会组织服务中心", region=tree["chaoyang"],
                                 is_joint_member=True)
    street_hub = make_platform(session, name="建外街道社会组织服务站", region=tree["streets"][0])
    make_platform(session, name="万寿路街道社会组织服务站", region=tree["streets"][2])
    gone = make_platform(session, name="已撤销的平台", region=tree["chaoyang"])
    audit.archive(session, gone, actor=None)
    session.commit()
    body = api.get("/api/v1/platforms", query_string={"district_code": "110105"}).get_json()
    assert body["total"] == 2
    assert body["items"] == [
        {"id": district_hub.id, "name": "朝阳区社会组织服务中心", "tier": "district",
         "region_code": "110105", "region_name": "朝阳区", "is_joint_member": True},
        {"id": street_hub.id, "name": "建外街道社会组织服务站", "tier": "street",
         "region_code": "110105001", "region_name": "建外街道", "is_joint_member": False}]
    streets = api.get("/api/v1/platforms", query_string={"tier": "street"}).get_json()
    assert [p["region_code"] for p in streets["items"]] == ["110105001", "110108001"]
    assert api.get("/api/v1/platforms").get_json()["total"] == 3


# Streets only, each in a district of its own: a lazy load of a parent or of a platform's
# region would cost a query per row instead of hiding behind the identity map.
@pytest.mark.parametrize("url, make", [("/api/v1/regions?tier=street", "region"),
                                       ("/api/v1/platforms", "platform")])
def test_lists_run_the_same_number_of_queries_for_5_or_40_rows(api, session, tree, count_queries,
                                                               url, make):
    api.login("manager")

    def add(n):
        for _i in range(n):
            street = make_region(session, tier="street")  # with a new district as its parent
            if make == "platform":
                make_platform(session, region=street)
        session.commit()
    add(5)
    api.get(url)
    with count_queries() as few:
        assert api.get(url).get_json()["total"] >= 5
    add(35)
    with count_queries() as many:
        assert len(api.get(url).get_json()["items"]) >= 40
    assert few.count == many.count <= 4
