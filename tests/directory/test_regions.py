"""Beijing's region tree: seeding and the tree page."""
import pytest
from sqlalchemy import func, select

from center.models.directory import Region
from center.services import audit, directory

ALL_ROLES_BUT_ORG = ["admin", "manager", "frontdesk", "reviewer", "platform", "supervisor"]


def count(session, tier):
    return session.scalar(select(func.count()).select_from(Region).where(Region.tier == tier))


def test_seeding_gives_16_districts_and_their_streets(session):
    added = directory.seed_beijing_regions(session)
    assert count(session, "city") == 1
    assert count(session, "district") == 16
    assert count(session, "street") == 349
    assert added == 1 + 16 + 349
    street = session.scalar(select(Region).where(Region.code == "110101001"))
    assert (street.name, street.parent.code, street.parent.name) == ("东华门街道", "110101", "东城区")
    assert street.parent.parent.name == "北京市"
    assert {d.code for d in directory.districts(session)} >= {"110101", "110102", "110119"}
    assert not {"110103", "110104"} & {d.code for d in directory.districts(session)}  # retired


def test_seeding_twice_adds_nothing(session):
    directory.seed_beijing_regions(session)
    assert directory.seed_beijing_regions(session) == 0
    assert count(session, "street") == 349


def test_region_tree_counts_platforms_per_region(auth, client, session, beijing):
    directory.create_platform(session, {"name": "东华门街道平台", "region_id": beijing["110101001"].id})
    directory.create_platform(session, {"name": "东城区平台", "region_id": beijing["东城区"].id})
    gone = directory.create_platform(session, {"name": "旧平台", "region_id": beijing["东城区"].id})
    audit.archive(session, gone, actor=None)
    session.commit()
    auth.login("supervisor")
    html = client.get("/regions").get_data(as_text=True)
    assert "<details" in html and "<script>" not in html
    assert "东华门街道" in html and "延庆区" in html
    dongcheng = html[html.index("东城区"):html.index("西城区")]
    assert "1 / 2" in dongcheng  # own / including streets; the archived one is not counted
    city = html[html.index("北京市"):html.index("东城区")]
    assert "0 / 2" in city


@pytest.mark.parametrize("role", ALL_ROLES_BUT_ORG)
def test_region_tree_is_readable_by_staff_platform_and_supervisor(auth, client, role):
    auth.login(role)
    assert client.get("/regions").status_code == 200


def test_region_tree_is_refused_to_org_users(auth, client):
    auth.login("org")
    assert client.get("/regions").status_code == 403


def test_region_tree_runs_a_bounded_number_of_queries(auth, client, session, beijing,
                                                      count_queries):
    auth.login("manager")
    with count_queries() as counter:
        client.get("/regions")
    assert counter.count <= 6
