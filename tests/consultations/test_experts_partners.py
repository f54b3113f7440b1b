"""The expert pool (公益导师) and the resource union's partners (资源联合体): keeping them,
listing them with filters, archiving them, and refusing bad input beside the field."""
import re

import pytest
from sqlalchemy import func, select

from center.models.audit import AuditEntry
from center.models.consultations import Expert, Partner
from center.services import audit, referrals as service
from center.services.errors import ConflictError, ValidationError
from tests.conftest import field_errors
from tests.consultations.referral_factories import make_expert, make_partner, make_referral
from tests.factories import make_user

GOOD_EXPERT = {"name": "王立群", "title": "注册会计师", "employer": "北京某会计师事务所",
               "sector": "business", "fields": ["finance", "annual_check", "finance"],
               "modes": ["training", "consulting"], "phone": "010-8888 0000",
               "email": "wang@example.org", "bio": "长期为社会组织提供财务审计服务。"}


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- service ---------------------------------------------------------------------------------

def test_create_expert_keeps_codes_once_in_their_usual_order(session):
    actor = make_user(session, role="frontdesk")
    expert = service.create_expert(session, GOOD_EXPERT, actor=actor)
    assert expert.field_list == ["annual_check", "finance"]
    assert expert.mode_list == ["consulting", "training"]
    assert expert.name == "王立群" and expert.sector == "business"


def test_expert_with_unknown_codes_gets_every_problem_by_field_and_nothing_stored(session):
    actor = make_user(session, role="frontdesk")
    bad = GOOD_EXPERT | {"sector": "army", "fields": ["finance", "astrology"],
                         "modes": ["dancing"], "name": "王" * 51, "bio": "简介\x07",
                         "phone": "call me", "email": "not-an-address"}
    with pytest.raises(ValidationError) as caught:
        service.create_expert(session, bad, actor=actor)
    fields = caught.value.fields
    assert set(fields) == {"sector", "fields", "modes", "name", "bio", "phone", "email"}
    assert "astrology" in str(fields["fields"]) and "dancing" in str(fields["modes"])
    assert "51" in str(fields["name"])
    assert "控制字符" in str(fields["bio"])
    assert _count(session, Expert) == 0


def test_expert_needs_a_name_a_field_and_a_mode(session):
    actor = make_user(session, role="manager")
    with pytest.raises(ValidationError) as caught:
        service.create_expert(session, {"sector": "ngo", "fields": [], "modes": []}, actor=actor)
    assert set(caught.value.fields) == {"name", "fields", "modes"}


def test_updating_an_archived_expert_is_refused_until_restored(session):
    actor = make_user(session, role="manager")
    expert = make_expert(session, name="李明")
    audit.archive(session, expert, actor=actor)
    with pytest.raises(ValidationError) as caught:
        service.update_expert(session, expert, GOOD_EXPERT, actor=actor)
    assert "已归档" in str(caught.value.message)
    assert expert.name == "李明"
    audit.restore(session, expert, actor=actor)
    service.update_expert(session, expert, GOOD_EXPERT, actor=actor)
    assert expert.name == "王立群"


def test_partner_names_are_unique_also_against_archived_ones(session):
    actor = make_user(session, role="frontdesk")
    partner = make_partner(session, name="北京某公益律师事务所")
    audit.archive(session, partner, actor=actor)
    data = {"name": "北京某公益律师事务所", "fields": ["governance"], "modes": ["agency"]}
    with pytest.raises(ValidationError) as caught:
        service.create_partner(session, data, actor=actor)
    assert "同名" in str(caught.value.fields["name"])


def test_partner_name_taken_in_a_race_is_a_conflict_on_the_name(session, monkeypatch):
    actor = make_user(session, role="frontdesk")
    make_partner(session, name="某基金会")
    other = make_partner(session, name="另一家基金会")
    # The check saw no clash (another request saved the name after it): the database decides.
    monkeypatch.setattr(service, "partner_values",
                        lambda session, data, existing=None: {"name": "某基金会", "kind": None,
                                                              "fields": "finance",
                                                              "modes": "consulting",
                                                              "contact_name": None,
                                                              "phone": None, "email": None,
                                                              "description": None})
    with pytest.raises(ConflictError) as caught:
        service.update_partner(session, other, {}, actor=actor)
    assert "name" in caught.value.fields
    session.rollback()


def test_expert_changes_are_audited_with_the_actor(session):
    actor = make_user(session, role="frontdesk")
    expert = service.create_expert(session, GOOD_EXPERT, actor=actor)
    service.update_expert(session, expert, GOOD_EXPERT | {"modes": ["group"]}, actor=actor)
    audit.archive(session, expert, actor=actor)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.table_name == "experts")
                              .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["create", "update", "archive"]
    assert {e.actor_id for e in entries} == {actor.id}
    assert entries[1].changes["modes"] == ["consulting training", "group"]


# --- pages -----------------------------------------------------------------------------------

def _expert_form(**changes) -> dict:
    data = {k: v for k, v in GOOD_EXPERT.items() if k not in ("fields", "modes")}
    return data | {"fields": ["finance"], "modes": ["consulting", "training"]} | changes


def test_front_desk_adds_an_expert_through_the_form(auth, client, session):
    auth.login("frontdesk")
    response = auth.post("/consultations/experts/new", _expert_form())
    assert response.status_code == 302
    expert = session.scalar(select(Expert))
    assert response.headers["Location"].endswith(f"/consultations/experts/{expert.id}")
    page = client.get(f"/consultations/experts/{expert.id}").get_data(as_text=True)
    assert "王立群" in page and "财务与审计" in page and "培训服务" in page and "企业" in page


def test_expert_form_with_bad_input_answers_422_beside_fields_and_keeps_typed_values(auth,
                                                                                    session):
    auth.login("manager")
    response = auth.post("/consultations/experts/new", _expert_form(
        sector="army", modes=["consulting", "dancing"], fields=["astrology"],
        employer="单" * 201, bio="<script>alert(1)</script>\x00", email="x"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html, "sector") == ["请选择来源：政府部门、社会组织、企业或高校与研究机构。"]
    assert "dancing" in field_errors(html, "modes")[0]
    assert "astrology" in field_errors(html, "fields")[0]
    assert "201" in field_errors(html, "employer")[0]
    assert "控制字符" in field_errors(html, "bio")[0]
    assert field_errors(html, "email")
    assert 'value="王立群"' in html and 'value="010-8888 0000"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert _count(session, Expert) == 0


def test_expert_edit_form_starts_from_the_record(auth, client, session):
    expert = make_expert(session, name="赵敏", fields=["hr", "wellbeing"], modes=["group"])
    session.commit()
    auth.login("frontdesk")
    html = client.get(f"/consultations/experts/{expert.id}/edit").get_data(as_text=True)
    assert 'value="赵敏"' in html
    checked = re.findall(r'<input checked id="[a-z]+-\d+" name="(\w+)" type="checkbox" '
                         r'value="(\w+)">', html)
    assert checked == [("fields", "hr"), ("fields", "wellbeing"), ("modes", "group")]


def test_editing_an_archived_expert_is_refused_with_a_message(auth, session):
    manager = make_user(session, role="manager")
    expert = make_expert(session, name="钱伟")
    audit.archive(session, expert, actor=manager)
    session.commit()
    auth.login(manager)
    response = auth.post(f"/consultations/experts/{expert.id}/edit", _expert_form(name="钱伟伟"))
    assert response.status_code == 422
    assert "该导师已归档，请先恢复再修改。" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Expert, expert.id).name == "钱伟"


def test_expert_list_filters_by_field_mode_sector_and_text(auth, client, session):
    make_expert(session, name="甲导师", fields=["finance"], modes=["training"], sector="business")
    make_expert(session, name="乙导师", fields=["hr"], modes=["consulting"], sector="ngo",
                employer="某人力资源协会")
    make_expert(session, name="丙导师", fields=["other", "party_building"], modes=["group"],
                sector="government")
    session.commit()
    auth.login("frontdesk")

    def names(query):
        html = client.get(f"/consultations/experts?{query}").get_data(as_text=True)
        return {name for name in ("甲导师", "乙导师", "丙导师") if name in html}
    assert names("") == {"甲导师", "乙导师", "丙导师"}
    assert names("field=finance") == {"甲导师"}
    assert names("field=hr") == {"乙导师"}
    assert names("mode=group") == {"丙导师"}
    assert names("sector=ngo") == {"乙导师"}
    assert names("q=人力资源") == {"乙导师"}
    assert names("field=astrology&mode=dancing&sector=army&page=-4") == names("")


def test_archived_experts_leave_the_list_and_return_when_restored(auth, client, session):
    expert = make_expert(session, name="孙导师")
    session.commit()
    auth.login("frontdesk")
    response = auth.post(f"/consultations/experts/{expert.id}/archive", follow_redirects=True)
    assert "已归档“孙导师”" in response.get_data(as_text=True)
    assert "孙导师" not in client.get("/consultations/experts").get_data(as_text=True)
    assert "孙导师" in client.get("/consultations/experts?archived=archived").get_data(
        as_text=True)
    auth.post(f"/consultations/experts/{expert.id}/restore")
    assert "孙导师" in client.get("/consultations/experts").get_data(as_text=True)


def test_expert_list_shows_open_referrals_per_expert(auth, client, session):
    expert = make_expert(session, name="周导师")
    make_referral(session, expert=expert, state="proposed")
    make_referral(session, expert=expert, state="accepted")
    make_referral(session, expert=expert, state="done")
    session.commit()
    auth.login("manager")
    html = client.get("/consultations/experts").get_data(as_text=True)
    assert "<td>2</td>" in html


def test_partner_form_refuses_a_taken_name_beside_the_field(auth, session):
    make_partner(session, name="北京某公益基金会")
    session.commit()
    auth.login("frontdesk")
    response = auth.post("/consultations/partners/new", {
        "name": "北京某公益基金会", "kind": "基金会", "fields": ["fundraising"],
        "modes": ["joint_events"]})
    assert response.status_code == 422
    assert "同名" in field_errors(response.get_data(as_text=True), "name")[0]
    assert _count(session, Partner) == 1


def test_partner_is_added_listed_and_filtered_by_mode(auth, client, session):
    auth.login("frontdesk")
    response = auth.post("/consultations/partners/new", {
        "name": "某大学公益研究院", "kind": "高校", "fields": ["project", "governance"],
        "modes": ["joint_research", "training"], "contact_name": "吴老师"})
    assert response.status_code == 302
    make_partner(session, name="某律所", modes=["agency"])
    session.commit()
    html = client.get("/consultations/partners?mode=joint_research").get_data(as_text=True)
    assert "某大学公益研究院" in html and "某律所" not in html
    assert "联合调研" in html


@pytest.mark.parametrize("role", ["supervisor", "reviewer", "platform", "org"])
def test_roles_outside_the_center_staff_cannot_keep_the_pool(auth, role):
    auth.login(role)
    assert auth.post("/consultations/experts/new", _expert_form()).status_code == 403
    assert auth.post("/consultations/partners/new", {"name": "某机构"}).status_code == 403
