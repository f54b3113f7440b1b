"""Platform pages: list filters, form, archive and restore, roles."""
import pytest
from sqlalchemy import select

from center.models.directory import Platform
from center.services import directory
from tests.conftest import field_errors

READERS = ["admin", "manager", "frontdesk", "reviewer", "platform", "supervisor"]


def make(session, name, region, **fields):
    return directory.create_platform(session, {"name": name, "region_id": region.id, **fields})


def platforms(session):
    session.expire_all()
    return session.scalars(select(Platform).order_by(Platform.id)).all()


def test_list_filters_by_tier_district_and_joint_membership(auth, client, session, beijing):
    make(session, "东华门平台", beijing["110101001"], is_joint_member=True, rotation_order=2)
    make(session, "西城区平台", beijing["西城区"])
    make(session, "市级平台", beijing["北京市"], is_joint_member=True, rotation_order=1)
    session.commit()
    auth.login("platform")
    page = client.get("/platforms").get_data(as_text=True)
    assert page.index("市级平台") < page.index("东华门平台") < page.index("西城区平台")  # rotation
    assert "东城区 · 东华门街道" in page
    html = client.get("/platforms?tier=street").get_data(as_text=True)
    assert "东华门平台" in html and "西城区平台" not in html and "市级平台" not in html
    html = client.get(f"/platforms?district={beijing['东城区'].id}").get_data(as_text=True)
    assert "东华门平台" in html and "西城区平台" not in html
    html = client.get("/platforms?joint=no").get_data(as_text=True)
    assert "西城区平台" in html and "东华门平台" not in html


def test_create_platform_takes_its_tier_from_the_region(auth, session, beijing):
    auth.login("manager")
    response = auth.post("/platforms/new", data={
        "name": "东华门街道社会组织服务站", "region_id": str(beijing["110101001"].id),
        "is_joint_member": "y", "rotation_order": "3", "contact_name": "张"})
    assert response.status_code == 302
    [platform] = platforms(session)
    assert (platform.tier, platform.is_joint_member, platform.rotation_order) == ("street", True, 3)


def test_platform_form_groups_regions_by_district(auth, client, beijing):
    auth.login("admin")
    html = client.get("/platforms/new").get_data(as_text=True)
    assert '<optgroup label="东城区">' in html and "东城区 · 东华门街道" in html


@pytest.mark.parametrize("data, message", [
    ({"name": "", "region_id": ""}, "请填写平台名称"),
    ({"name": "无区域平台", "region_id": ""}, "请选择所在区域"),
    ({"name": "坏顺序", "rotation_order": "0"}, "1 到 999"),
    ({"name": "字母顺序", "rotation_order": "abc"}, "不是有效的整数"),
    ({"name": "坏区域", "region_id": "99999"}, "所在区域"),
])
def test_platform_form_bad_input_is_explained_and_nothing_saved(auth, session, beijing,
                                                                 data, message):
    auth.login("manager")
    data = {"region_id": str(beijing["东城区"].id), **data}
    response = auth.post("/platforms/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    if data["name"]:
        assert f'value="{data["name"]}"' in html
    assert platforms(session) == []


def test_duplicate_platform_name_is_refused(auth, session, beijing):
    make(session, "东城区平台", beijing["东城区"])
    session.commit()
    auth.login("manager")
    response = auth.post("/platforms/new", data={"name": "东城区平台",
                                                 "region_id": str(beijing["西城区"].id)})
    assert response.status_code == 422 and "已有同名平台" in response.get_data(as_text=True)
    assert len(platforms(session)) == 1


@pytest.mark.parametrize("editing", [False, True])
def test_a_name_taken_meanwhile_by_someone_else_is_refused_beside_the_field(
        auth, session, beijing, monkeypatch, editing):
    mine = make(session, "我的平台", beijing["西城区"]) if editing else None
    make(session, "东城区平台", beijing["东城区"])
    session.commit()
    auth.login("manager")
    # The other save lands between our duplicate check and our flush.
    monkeypatch.setattr(directory, "_platform_named", lambda session, name: None)
    url = f"/platforms/{mine.id}/edit" if editing else "/platforms/new"
    response = auth.post(url, data={"name": "东城区平台", "region_id": str(beijing["西城区"].id),
                                    "contact_name": "张"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html, "name") == ["已有同名平台。"]
    assert 'value="张"' in html
    assert [p.name for p in platforms(session)] == (["我的平台", "东城区平台"] if editing
                                                     else ["东城区平台"])


def test_edit_archive_and_restore_platform(auth, client, session, beijing):
    platform = make(session, "旧名平台", beijing["东城区"])
    session.commit()
    auth.login("manager")
    auth.post(f"/platforms/{platform.id}/edit", data={"name": "新名平台",
                                                      "region_id": str(beijing["西城区"].id)})
    auth.post(f"/platforms/{platform.id}/archive")
    [saved] = platforms(session)
    assert (saved.name, saved.region.name) == ("新名平台", "西城区")
    assert saved.archived_at is not None
    assert f'href="/platforms/{platform.id}"' not in client.get("/platforms").get_data(as_text=True)
    assert f'href="/platforms/{platform.id}"' in client.get("/platforms?archived=archived").get_data(
        as_text=True)
    html = client.get(f"/platforms/{platform.id}").get_data(as_text=True)
    assert "旧名平台 → 新名平台" in html and "东城区 → 西城区" in html and "归档" in html
    auth.post(f"/platforms/{platform.id}/restore")
    assert platforms(session)[0].archived_at is None


@pytest.mark.parametrize("role", READERS)
def test_platform_pages_are_readable_by_staff_platform_and_supervisor(auth, client, session,
                                                                      beijing, role):
    platform = make(session, "可读平台", beijing["东城区"])
    session.commit()
    auth.login(role)
    assert client.get("/platforms").status_code == 200
    assert client.get(f"/platforms/{platform.id}").status_code == 200


@pytest.mark.parametrize("role", ["frontdesk", "reviewer", "platform", "supervisor"])
def test_only_admin_and_manager_write_platforms(auth, client, session, beijing, role):
    platform = make(session, "受保护平台", beijing["东城区"])
    session.commit()
    auth.login(role)
    assert client.get("/platforms/new").status_code == 403
    assert auth.post(f"/platforms/{platform.id}/archive").status_code == 403
    assert client.get("/platforms/import").status_code == 403
    assert client.get("/platforms/export.xlsx").status_code == 403
    session.expire_all()
    assert session.get(Platform, platform.id).archived_at is None


def test_org_users_cannot_read_platforms(auth, client):
    auth.login("org")
    assert client.get("/platforms").status_code == 403
