"""The demo data set: deterministic, valid, idempotent, and every demo login works."""
import hashlib

import pytest
from sqlalchemy import func, select

from center.extensions import db
from center.models.accounts import User
from center.models.audit import AuditEntry
from center.models.directory import Organization, Platform, Region
from center.services import demo, directory
from tests.conftest import csrf_from

TYPE_BY_SUFFIX = [(("协会", "学会", "促进会", "联合会"), "social_group"),
                  (("基金会",), "foundation"),
                  (("中心", "服务社", "服务站"), "social_service")]


def _digest(session) -> str:
    """A fingerprint of the data set that does not depend on database ids."""
    orgs = session.execute(select(Organization.name, Organization.credit_code, Organization.type,
                                  Organization.field, Organization.contact_phone, Region.code)
                           .join(Region, Organization.district_id == Region.id)
                           .order_by(Organization.credit_code))
    platforms = session.execute(select(Platform.name, Platform.rotation_order, Region.code)
                                .join(Region, Platform.region_id == Region.id)
                                .order_by(Platform.name))
    text = "\n".join("|".join(map(str, row)) for row in [*orgs, *platforms])
    return hashlib.sha256(text.encode()).hexdigest()


def _wipe(session) -> None:
    for table in reversed(db.metadata.sorted_tables):
        session.execute(table.delete())
    session.commit()


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_demo_build_gives_the_same_data_on_a_fresh_database(session):
    demo.build(session, scale=1)
    session.commit()
    first = _digest(session)
    _wipe(session)
    assert _count(session, Organization) == 0
    demo.build(session, scale=1)
    session.commit()
    assert _digest(session) == first


def test_demo_volumes_follow_the_scale(session):
    demo.build(session, scale=1)
    assert _count(session, Organization) == 300
    assert _count(session, Platform) == 40
    assert _count(session, User) == len(demo.DEMO_USERS)
    assert len(set(session.scalars(select(Organization.name)))) == 300


def test_larger_scale_extends_the_smaller_data_set(session):
    demo.build(session, scale=1)
    small = set(session.scalars(select(Organization.credit_code)))
    demo.build(session, scale=2)
    large = set(session.scalars(select(Organization.credit_code)))
    assert len(large) == 600 and small < large
    assert _count(session, Platform) == 80


def test_every_demo_credit_code_is_valid_and_fits_the_organization(session):
    demo.build(session, scale=1)
    digits = {"social_group": "1", "social_service": "2", "foundation": "3"}
    for org in session.scalars(select(Organization)):
        code = org.credit_code
        assert directory.credit_code_problem(code) is None, code
        assert code[0] == "5" and code[1] == digits[org.type], code
        assert code[2:8] == ("110000" if org.level == "city" else org.district.code), code
        assert demo.org_code_check_char(code[8:16]) == code[16], code
        assert org.name_initials == directory.name_initials(org.name)


def test_demo_organization_type_matches_its_name_suffix(session):
    demo.build(session, scale=1)
    seen = set()
    for name, org_type in session.execute(select(Organization.name, Organization.type)):
        expected = next(t for suffixes, t in TYPE_BY_SUFFIX if name.endswith(suffixes))
        assert org_type == expected, name
        assert name.startswith("北京"), name
        seen.add(org_type)
    assert seen == {"social_group", "social_service", "foundation"}


@pytest.mark.parametrize("org_code, check", [("MJ0101505", "5"), ("MJ0163191", "1"),
                                             ("500019795", "5")])
def test_org_code_check_char_agrees_with_real_codes(org_code, check):
    assert demo.org_code_check_char(org_code[:8]) == check


def test_demo_platforms_sit_in_real_beijing_regions(session):
    demo.build(session, scale=1)
    platforms = list(session.scalars(select(Platform)))
    city = next(p for p in platforms if p.name == "北京市社会组织发展服务中心")
    assert city.tier == "city" and city.region.code == "110000"
    assert {p.tier for p in platforms} == {"city", "district", "street"}
    assert sum(p.tier == "district" for p in platforms) == 16
    for platform in platforms:
        assert platform.region.code.startswith("11") and platform.tier == platform.region.tier
    street = next(p for p in platforms if p.tier == "street")
    assert street.name.startswith(street.region.name)
    orders = sorted(p.rotation_order for p in platforms if p.is_joint_member)
    assert orders == list(range(1, len(orders) + 1)) and len(orders) > 2


def test_demo_run_twice_adds_nothing_and_returns_the_same_logins(session):
    first = demo.build(session, scale=1)
    session.commit()
    models = (Organization, Platform, User, Region, AuditEntry)
    counts = [_count(session, m) for m in models]
    second = demo.build(session, scale=1)
    session.commit()
    assert second == first
    assert [_count(session, m) for m in models] == counts


def test_every_demo_role_logs_in_through_the_form(app, session):
    logins = demo.build(session, scale=1)
    session.commit()
    assert sorted(role for _, role, _ in logins) == sorted(r for _, r, _, _ in demo.DEMO_USERS)
    for username, role, password in logins:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        response = client.post("/login", data={"csrf_token": csrf_from(page),
                                                "username": username, "password": password})
        assert response.status_code == 302, (role, response.get_data(as_text=True)[:300])
        assert client.get("/").status_code == 200, role


def test_demo_scoped_users_belong_to_a_district_platform_and_an_organization(session):
    demo.build(session, scale=1)
    platform_user = session.scalar(select(User).where(User.role == "platform"))
    assert platform_user.platform.tier == "district"
    assert platform_user.platform.region.name == "朝阳区"
    org_user = session.scalar(select(User).where(User.role == "org"))
    assert org_user.organization is not None


def test_demo_data_command_prints_every_login(runner, session):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    for username, _, _, password in demo.DEMO_USERS:
        assert username in result.output and password in result.output
    assert _count(session, Organization) == 300
