"""Referrals of organizations between platforms and the city center: the service's rules
(deadline in working days, only the receiving side decides, expiry by the job) and the pages with
object-level access on every route."""
import re
from datetime import date, datetime, timezone

import pytest

from center.models.calendar import CalendarOverride
from center.models.directory import Region
from center.models.liaison import PlatformReferral
from center.models.notifications import Notification
from center.services import jobs, liaison_referrals as referrals
from center.services.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from tests.conftest import field_errors
from tests.factories import make_organization, make_platform, make_region, make_user

# Monday 2026-09-14, 10:00 in Beijing.
MONDAY = datetime(2026, 9, 14, 2, tzinfo=timezone.utc)


@pytest.fixture
def world(session):
    city = make_region(session, tier="city")
    platforms = {key: make_platform(session, region=make_region(session, parent=city))
                 for key in ("from", "to", "other")}
    users = {key: make_user(session, role="platform", platform=p) for key, p in platforms.items()}
    users["center"] = make_user(session, role="manager")
    users["frontdesk"] = make_user(session, role="frontdesk")
    users["supervisor"] = make_user(session, role="supervisor")
    users["org"] = make_organization(session)
    session.commit()
    return users


def _refer(session, world, *, by="from", to="to", now=MONDAY, **data):
    target = world[to].platform_id if to else ""
    data = {"organization_id": world["org"].id, "to_platform_id": target,
            "reason": "需要财务规范化辅导", **data}
    referral = referrals.create_referral(session, data, actor=world[by], now=now)
    session.commit()
    return referral


# --- the service -------------------------------------------------------------------------------

def test_accept_by_defaults_to_five_working_days(session, world):
    referral = _refer(session, world)
    # Tue–Fri, then Sunday the 20th: a make-up workday (调休) before National Day.
    assert referral.accept_by == date(2026, 9, 20)
    assert referral.state == "proposed"


def test_accept_by_follows_the_shared_calendar(session, world):
    session.add(CalendarOverride(day=date(2026, 9, 16), is_workday=False, name="测试休息日"))
    session.commit()
    assert _refer(session, world).accept_by == date(2026, 9, 21)


def test_the_receiving_platform_hears_of_a_new_referral(session, world):
    referral = _refer(session, world)
    inbox = session.query(Notification).filter_by(user_id=world["to"].id).all()
    assert [n.link for n in inbox] == [f"/liaison/referrals/{referral.id}"]


def test_bad_referral_input_is_reported_field_by_field_and_nothing_stored(session, world):
    with pytest.raises(ValidationError) as error:
        referrals.create_referral(session, {
            "organization": "不存在的组织", "to_platform_id": world["from"].platform_id,
            "reason": " ", "accept_by": "2026-02-30"}, actor=world["from"], now=MONDAY)
    assert set(error.value.fields) == {"organization", "to_platform_id", "reason", "accept_by"}
    session.rollback()
    with pytest.raises(ValidationError) as error:
        referrals.create_referral(session, {
            "organization": world["org"].credit_code, "to_platform_id": "99999",
            "reason": "x", "accept_by": "2026-09-01"}, actor=world["from"], now=MONDAY)
    assert set(error.value.fields) == {"to_platform_id", "accept_by"}
    session.rollback()
    assert session.query(PlatformReferral).count() == 0


def test_an_organization_is_found_by_its_credit_code_or_name(session, world):
    by_code = _refer(session, world, organization_id=None, organization=world["org"].credit_code)
    by_name = _refer(session, world, organization_id=None, organization=world["org"].name)
    assert by_code.organization_id == by_name.organization_id == world["org"].id


def test_the_center_refers_to_a_platform_and_a_platform_to_the_center(session, world):
    down = _refer(session, world, by="center")
    up = _refer(session, world, to=None)
    assert (down.from_platform_id, down.to_platform_id) == (None, world["to"].platform_id)
    assert (up.from_platform_id, up.to_platform_id) == (world["from"].platform_id, None)
    with pytest.raises(ValidationError) as error:
        _refer(session, world, by="center", to=None)
    assert "to_platform_id" in error.value.fields


def test_only_the_receiving_side_accepts_or_declines(session, world):
    referral = _refer(session, world)
    for who in ("from", "center"):
        with pytest.raises(PermissionDenied):
            referrals.accept(session, referral, actor=world[who], now=MONDAY)
        with pytest.raises(PermissionDenied):
            referrals.decline(session, referral, actor=world[who], outcome="不合适", now=MONDAY)
    referrals.accept(session, referral, actor=world["to"], now=MONDAY)
    assert referral.state == "accepted" and referral.decided_at == MONDAY
    with pytest.raises(ConflictError):
        referrals.decline(session, referral, actor=world["to"], outcome="不合适", now=MONDAY)


def test_the_center_is_the_receiving_side_of_a_referral_to_the_center(session, world):
    referral = _refer(session, world, to=None)
    with pytest.raises(PermissionDenied):
        referrals.accept(session, referral, actor=world["to"], now=MONDAY)
    referrals.accept(session, referral, actor=world["frontdesk"], now=MONDAY)
    assert referral.state == "accepted"


def test_declining_needs_a_reason_and_completing_an_outcome(session, world):
    referral = _refer(session, world)
    with pytest.raises(ValidationError) as error:
        referrals.decline(session, referral, actor=world["to"], outcome="  ", now=MONDAY)
    assert "outcome" in error.value.fields
    with pytest.raises(ConflictError):
        referrals.complete(session, referral, actor=world["to"], outcome="办完", now=MONDAY)
    referrals.accept(session, referral, actor=world["to"], now=MONDAY)
    with pytest.raises(PermissionDenied):
        referrals.complete(session, referral, actor=world["from"], outcome="办完", now=MONDAY)
    with pytest.raises(ValidationError):
        referrals.complete(session, referral, actor=world["to"], outcome="", now=MONDAY)
    referrals.complete(session, referral, actor=world["to"], outcome="已入驻孵化", now=MONDAY)
    assert (referral.state, referral.outcome) == ("completed", "已入驻孵化")
    assert referral.closed_at == MONDAY


def test_a_referral_past_its_deadline_cannot_be_accepted(session, world):
    referral = _refer(session, world)
    late = datetime(2026, 9, 22, 2, tzinfo=timezone.utc)
    with pytest.raises(ConflictError):
        referrals.accept(session, referral, actor=world["to"], now=late)


def test_only_the_sides_and_the_center_see_a_referral(session, world):
    referral = _refer(session, world)
    for who in ("from", "to", "center", "frontdesk"):
        assert referrals.visible_referral(session, referral.id, world[who]) is referral
    for who in ("other", "supervisor"):
        with pytest.raises(NotFoundError):
            referrals.visible_referral(session, referral.id, world[who])
    with pytest.raises(NotFoundError):
        referrals.visible_referral(session, "1", world["center"])


def test_the_liaison_job_expires_late_referrals_once(session, world, app):
    referral = _refer(session, world)
    accepted = _refer(session, world)
    referrals.accept(session, accepted, actor=world["to"], now=MONDAY)
    session.commit()
    late = datetime(2026, 9, 22, 2, tzinfo=timezone.utc)
    run = jobs.run_job(session, "liaison_expiry", config=app.config, now=late)
    assert run.status == "ok" and "referrals expired 1" in run.result
    session.expire_all()
    assert session.get(PlatformReferral, referral.id).state == "expired"
    assert session.get(PlatformReferral, accepted.id).state == "accepted"
    assert referrals.expire_referrals(session, now=late) == 0
    assert session.query(Notification).filter_by(user_id=world["from"].id).count() == 2


def test_a_referral_expires_only_after_its_deadline_day_in_beijing(session, world):
    _refer(session, world)  # accept by 2026-09-20
    last_minute = datetime(2026, 9, 20, 15, 59, tzinfo=timezone.utc)  # 23:59 in Beijing
    assert referrals.expire_referrals(session, now=last_minute) == 0
    next_day = datetime(2026, 9, 20, 16, 0, tzinfo=timezone.utc)  # 00:00 on the 21st
    assert referrals.expire_referrals(session, now=next_day) == 1


# --- the pages ---------------------------------------------------------------------------------

def test_the_city_center_is_offered_once_and_streets_are_grouped_by_district(auth, session,
                                                                              world):
    city = session.get(Region, world["to"].platform.region.parent_id)
    center_platform = make_platform(session, region=city, name="北京市社会组织发展服务中心")
    district = make_region(session, tier="district", parent=city, name="朝阳区")
    street = make_platform(session, region=make_region(session, tier="street", parent=district,
                                                       name="六里屯街道"), name="六里屯平台")
    session.commit()
    auth.login(world["from"])
    html = auth.client.get("/liaison/referrals/new").get_data(as_text=True)
    assert f'value="{center_platform.id}"' not in html  # the first choice is the center
    assert re.search(rf'<optgroup label="朝阳区">\s*<option value="{street.id}"', html)


def test_a_platform_refers_an_organization_through_the_form(auth, session, world):
    auth.login(world["from"])
    page = auth.client.get(f"/liaison/referrals/new?organization_id={world['org'].id}")
    html = page.get_data(as_text=True)
    assert world["org"].credit_code in html
    assert f'value="{world["from"].platform_id}"' not in html  # not to itself
    assert f'value="{world["to"].platform_id}"' in html
    response = auth.post("/liaison/referrals/new", data={
        "organization": world["org"].credit_code, "to_platform_id": world["to"].platform_id,
        "reason": "需要场地支持"})
    assert response.status_code == 302
    referral = session.query(PlatformReferral).one()
    assert (referral.from_platform_id, referral.created_by_id) == (
        world["from"].platform_id, world["from"].id)
    html = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "待接收" in html and "等待接收方确认" in html


def test_bad_referral_form_input_stays_beside_the_fields(auth, session, world):
    auth.login(world["from"])
    response = auth.post("/liaison/referrals/new", data={
        "organization": "没有这个组织", "to_platform_id": world["to"].platform_id,
        "reason": "", "accept_by": "明天"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html, "organization") and field_errors(html, "reason")
    assert field_errors(html, "accept_by")
    assert "没有这个组织" in html  # the typed value is kept
    assert session.query(PlatformReferral).count() == 0


def test_the_receiving_platform_accepts_then_completes_on_the_page(auth, session, world):
    referral = _refer(session, world, now=None)
    auth.login(world["to"])
    assert "接收" in auth.client.get(f"/liaison/referrals/{referral.id}").get_data(as_text=True)
    assert auth.post(f"/liaison/referrals/{referral.id}/accept").status_code == 302
    response = auth.post(f"/liaison/referrals/{referral.id}/complete",
                         data={"outcome": "已安排入驻"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(PlatformReferral, referral.id).state == "completed"
    html = auth.client.get(f"/liaison/referrals/{referral.id}").get_data(as_text=True)
    assert "已接收 → 已办结" in html  # the audit timeline


def test_declining_without_a_reason_is_shown_beside_the_field(auth, session, world):
    referral = _refer(session, world, now=None)
    auth.login(world["to"])
    response = auth.post(f"/liaison/referrals/{referral.id}/decline", data={"outcome": ""})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "outcome")
    session.expire_all()
    assert session.get(PlatformReferral, referral.id).state == "proposed"


def test_the_sending_side_may_not_accept_or_decline_403(auth, session, world):
    referral = _refer(session, world, now=None)
    auth.login(world["from"])
    assert "拒绝" not in auth.client.get(f"/liaison/referrals/{referral.id}").get_data(
        as_text=True).split("处理记录")[0].split("转介原因")[1]
    assert auth.post(f"/liaison/referrals/{referral.id}/accept").status_code == 403
    assert auth.post(f"/liaison/referrals/{referral.id}/decline",
                     data={"outcome": "不要"}).status_code == 403
    assert auth.post(f"/liaison/referrals/{referral.id}/complete",
                     data={"outcome": "办完"}).status_code == 403
    session.expire_all()
    assert session.get(PlatformReferral, referral.id).state == "proposed"


def test_another_platform_gets_404_on_every_referral_route(auth, session, world):
    referral = _refer(session, world, now=None)
    auth.login(world["other"])
    assert auth.client.get(f"/liaison/referrals/{referral.id}").status_code == 404
    for action in ("accept", "decline", "complete"):
        assert auth.post(f"/liaison/referrals/{referral.id}/{action}",
                         data={"outcome": "x"}).status_code == 404
    assert f"/liaison/referrals/{referral.id}" not in auth.client.get(
        "/liaison/referrals").get_data(as_text=True)
    assert auth.client.get("/liaison/referrals/99999").status_code == 404


def test_supervisors_may_not_open_referral_pages(auth, session, world):
    referral = _refer(session, world, now=None)
    auth.login(world["supervisor"])
    for url in ("/liaison/referrals", "/liaison/referrals/new",
                f"/liaison/referrals/{referral.id}"):
        assert auth.client.get(url).status_code == 403


def test_the_list_shows_incoming_and_outgoing_by_direction(auth, session, world):
    sent = _refer(session, world, now=None)
    received = _refer(session, world, by="to", to="from", now=None)
    auth.login(world["from"])
    outgoing = auth.client.get("/liaison/referrals?direction=outgoing").get_data(as_text=True)
    incoming = auth.client.get("/liaison/referrals?direction=incoming").get_data(as_text=True)
    assert f"/liaison/referrals/{sent.id}\"" in outgoing
    assert f"/liaison/referrals/{received.id}\"" not in outgoing
    assert f"/liaison/referrals/{received.id}\"" in incoming
    assert auth.client.get("/liaison/referrals?state=bogus&direction=x").status_code == 200


def test_the_center_sees_all_referrals_and_receives_those_to_the_center(auth, session, world):
    between = _refer(session, world, now=None)
    to_center = _refer(session, world, to=None, now=None)
    auth.login(world["center"])
    listing = auth.client.get("/liaison/referrals").get_data(as_text=True)
    assert f"/liaison/referrals/{between.id}\"" in listing
    assert auth.post(f"/liaison/referrals/{between.id}/accept").status_code == 403
    assert auth.post(f"/liaison/referrals/{to_center.id}/accept").status_code == 302
    incoming = auth.client.get("/liaison/referrals?direction=incoming").get_data(as_text=True)
    assert f"/liaison/referrals/{to_center.id}\"" in incoming
    assert f"/liaison/referrals/{between.id}\"" not in incoming
