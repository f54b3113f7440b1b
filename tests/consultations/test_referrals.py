"""Referrals of a consultation to an expert or a partner: suggestions, the referral form, the
states proposed → accepted → done / declined with their outcome, audit and refusals."""
from datetime import date

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from center.extensions import db
from center.models.audit import AuditEntry
from center.models.consultations import Referral
from center.models.notifications import Notification
from center.reports import referrals as listing
from center.services import audit, referrals as service
from center.services.errors import ConflictError, PermissionDenied, ValidationError
from tests.conftest import field_errors
from tests.consultations.factories import make_consultation
from tests.consultations.referral_factories import make_expert, make_partner, make_referral
from tests.factories import make_user


def _referrals(session) -> int:
    return session.scalar(select(func.count()).select_from(Referral))


# --- referring ---------------------------------------------------------------------------------

def test_referral_is_proposed_and_the_consultation_becomes_referred(session):
    consultation = make_consultation(session, state="follow_up", follow_up_on=date(2026, 3, 20))
    expert = make_expert(session)
    referral = service.refer_consultation(
        session, consultation, {"expert_id": str(expert.id), "mode": "training",
                                "note": "请协助设计年检培训"}, actor=consultation.staff)
    assert (referral.state, referral.mode, referral.expert, referral.note) == (
        "proposed", "training", expert, "请协助设计年检培训")
    assert referral.created_by_id == consultation.staff_id
    assert consultation.state == "referred" and consultation.follow_up_on is None
    actions = session.execute(select(AuditEntry.table_name, AuditEntry.action)
                              .where(AuditEntry.table_name.in_(("referrals", "consultations")))
                              .order_by(AuditEntry.id)).all()
    assert ("referrals", "create") in actions and ("consultations", "transition") in actions


def test_a_partner_can_be_the_target(session):
    consultation = make_consultation(session)
    partner = make_partner(session, modes=["agency"])
    referral = service.refer_consultation(session, consultation,
                                          {"partner_id": partner.id, "mode": "agency"},
                                          actor=consultation.staff)
    assert referral.partner == partner and referral.target_name == partner.name


@pytest.mark.parametrize(("data", "field", "words"), [
    ({"mode": "consulting"}, "target", "请选择"),
    ({"expert_id": "1", "partner_id": "1", "mode": "consulting"}, "target", "一次只能"),
    ({"expert_id": "999999", "mode": "consulting"}, "target", "找不到"),
    ({"expert_id": "abc", "mode": "consulting"}, "target", "找不到"),
    ({"expert_id": "99999999999999999999", "mode": "consulting"}, "target", "找不到"),
    ({"expert_id": "<id>", "mode": "dancing"}, "mode", "服务方式"),
    ({"expert_id": "<id>", "mode": "agency"}, "mode", "不提供代理服务"),
    ({"expert_id": "<id>", "mode": "consulting", "note": "说" * 4001}, "note", "4000"),
    ({"expert_id": "<id>", "mode": "consulting", "note": "请\x1b联系"}, "note", "控制字符"),
])
def test_bad_referral_is_refused_by_field_and_nothing_changes(session, data, field, words):
    consultation = make_consultation(session)
    expert = make_expert(session, modes=["consulting", "training"])
    data = {k: (str(expert.id) if v == "<id>" else v) for k, v in data.items()}
    with pytest.raises(ValidationError) as caught:
        service.refer_consultation(session, consultation, data, actor=consultation.staff)
    assert words in str(caught.value.fields[field])
    assert _referrals(session) == 0 and consultation.state == "resolved"


def test_an_archived_expert_takes_no_new_referral(session):
    consultation = make_consultation(session)
    expert = make_expert(session, name="冯导师")
    audit.archive(session, expert, actor=None)
    with pytest.raises(ValidationError) as caught:
        service.refer_consultation(session, consultation,
                                   {"expert_id": expert.id, "mode": "consulting"},
                                   actor=consultation.staff)
    assert caught.value.fields["target"] == "“冯导师”已归档，不能再接受转介。"
    assert _referrals(session) == 0


def test_an_archived_consultation_cannot_be_referred(session):
    consultation = make_consultation(session)
    audit.archive(session, consultation, actor=consultation.staff)
    with pytest.raises(ValidationError) as caught:
        service.refer_consultation(session, consultation,
                                   {"expert_id": make_expert(session).id, "mode": "consulting"},
                                   actor=consultation.staff)
    assert "已归档" in str(caught.value.message)


def test_a_second_open_referral_to_the_same_expert_is_refused_until_the_first_ends(session):
    first = make_referral(session)
    consultation, expert = first.consultation, first.expert
    data = {"expert_id": expert.id, "mode": "consulting"}
    with pytest.raises(ValidationError) as caught:
        service.refer_consultation(session, consultation, data, actor=consultation.staff)
    assert "尚未结束" in str(caught.value.fields["target"])
    service.move_referral(session, first, to="declined", outcome="导师出差",
                          actor=consultation.staff)
    again = service.refer_consultation(session, consultation, data, actor=consultation.staff)
    assert again.state == "proposed"


def test_front_desk_refers_only_consultations_they_logged(session):
    consultation = make_consultation(session)
    colleague = make_user(session, role="frontdesk")
    data = {"expert_id": make_expert(session).id, "mode": "consulting"}
    with pytest.raises(PermissionDenied):
        service.refer_consultation(session, consultation, data, actor=colleague)
    manager = make_user(session, role="manager")
    assert service.refer_consultation(session, consultation, data, actor=manager).id


# --- moving a referral -------------------------------------------------------------------------

def test_referral_moves_proposed_accepted_done_with_the_outcome_audited(session):
    referral = make_referral(session)
    staff = referral.consultation.staff
    service.move_referral(session, referral, to="accepted", actor=staff)
    assert referral.state == "accepted" and referral.accepted_at is not None
    service.move_referral(session, referral, to="done", outcome="导师已审阅章程并给出修改意见",
                          actor=staff)
    assert referral.state == "done" and referral.closed_at is not None
    assert referral.outcome == "导师已审阅章程并给出修改意见"
    moves = session.scalars(select(AuditEntry).where(
        AuditEntry.table_name == "referrals", AuditEntry.action == "transition")
        .order_by(AuditEntry.id)).all()
    assert [m.changes["state"] for m in moves] == [["proposed", "accepted"], ["accepted", "done"]]
    assert {m.actor_id for m in moves} == {staff.id}


@pytest.mark.parametrize(("start", "to", "words"), [
    ("proposed", "done", "不能改为“已完成”"),
    ("done", "declined", "不能改为“已拒绝”"),
    ("declined", "accepted", "不能改为“已接受”"),
    ("accepted", "accepted", "不能改为“已接受”"),
    ("proposed", "proposed", "未知"),
    ("proposed", "lost", "未知"),
])
def test_a_move_not_allowed_is_refused_with_a_clear_message(session, start, to, words):
    referral = make_referral(session, state=start)
    with pytest.raises(ValidationError) as caught:
        service.move_referral(session, referral, to=to, outcome="说明",
                              actor=referral.consultation.staff)
    assert words in str(caught.value.fields["state"])
    assert referral.state == start


@pytest.mark.parametrize(("start", "to"), [("accepted", "done"), ("proposed", "declined")])
def test_done_and_declined_need_an_outcome(session, start, to):
    referral = make_referral(session, state=start)
    with pytest.raises(ValidationError) as caught:
        service.move_referral(session, referral, to=to, outcome="  ",
                              actor=referral.consultation.staff)
    assert "outcome" in caught.value.fields and referral.state == start


def test_declining_records_the_reason_in_the_audit_log(session):
    referral = make_referral(session)
    service.move_referral(session, referral, to="declined", outcome="导师近期无法接待",
                          actor=referral.consultation.staff)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.table_name == "referrals",
                                                     AuditEntry.action == "transition")).one()
    assert entry.reason == "导师近期无法接待"


def test_done_may_resolve_the_consultation(session):
    referral = make_referral(session, state="accepted")
    service.move_referral(session, referral, to="done", outcome="已解决", resolve_consultation=True,
                          actor=referral.consultation.staff)
    assert referral.consultation.state == "resolved"


def test_a_stale_move_is_a_conflict_not_a_second_change(session):
    referral = make_referral(session)
    # Someone else accepted it a moment ago; this copy still says proposed.
    session.execute(update(Referral).where(Referral.id == referral.id)
                    .values(state="accepted").execution_options(synchronize_session=False))
    with pytest.raises(ConflictError):
        service.move_referral(session, referral, to="declined", outcome="不需要了",
                              actor=referral.consultation.staff)


def test_two_people_moving_at_once_one_wins_and_the_other_is_told(app, session):
    referral = make_referral(session)
    staff, manager = referral.consultation.staff, make_user(session, role="manager")
    session.commit()
    first, second = Session(db.engine), Session(db.engine)
    try:
        mine, theirs = first.get(Referral, referral.id), second.get(Referral, referral.id)
        service.move_referral(first, mine, to="accepted", actor=first.merge(staff))
        first.commit()
        with pytest.raises(ConflictError):
            service.move_referral(second, theirs, to="declined", outcome="重复",
                                  actor=second.merge(manager))
        second.rollback()
    finally:
        first.close()
        second.close()
    session.expire_all()
    assert session.get(Referral, referral.id).state == "accepted"


def test_only_those_involved_record_progress(session):
    referral = make_referral(session)
    colleague = make_user(session, role="frontdesk")
    with pytest.raises(PermissionDenied):
        service.move_referral(session, referral, to="accepted", actor=colleague)
    assert service.can_handle(referral, make_user(session, role="manager"))
    assert not service.can_handle(referral, make_user(session, role="supervisor"))


def test_the_consultations_staff_is_told_when_someone_else_closes_the_referral(session):
    referral = make_referral(session, state="accepted")
    manager = make_user(session, role="manager")
    service.move_referral(session, referral, to="done", outcome="对方已完成培训", actor=manager)
    note = session.scalars(select(Notification)).one()
    assert note.user_id == referral.consultation.staff_id
    assert note.link == f"/consultations/referrals/{referral.id}"
    assert "已完成" in note.title and note.body == "对方已完成培训"


# --- suggestions -------------------------------------------------------------------------------

def test_suggested_experts_match_topics_most_matches_then_least_busy_first(session):
    consultation = make_consultation(session, topics=["finance", "governance"])
    both = make_expert(session, name="两项都擅长", fields=["finance", "governance"])
    busy = make_expert(session, name="财务但很忙", fields=["finance"])
    free = make_expert(session, name="财务且空闲", fields=["finance"])
    make_expert(session, name="不相关", fields=["party_building"])
    gone = make_expert(session, name="已归档", fields=["finance", "governance"])
    audit.archive(session, gone, actor=None)
    make_referral(session, expert=busy)
    found = listing.suggestions(session, consultation)
    assert [s.target.name for s in found] == ["两项都擅长", "财务且空闲", "财务但很忙"]
    assert found[0].matched == ["finance", "governance"] and found[2].open_referrals == 1
    assert both is found[0].target


# --- pages -------------------------------------------------------------------------------------

def test_refer_page_suggests_experts_and_preselects_the_chosen_one(auth, client, session):
    staff = auth.login("frontdesk")
    consultation = make_consultation(session, staff=staff, topics=["hr"])
    expert = make_expert(session, name="人力资源导师", fields=["hr"])
    make_partner(session, name="某人力资源服务中心", fields=["hr"])
    session.commit()
    html = client.get(f"/consultations/{consultation.id}/refer?target=expert:{expert.id}") \
        .get_data(as_text=True)
    assert "人力资源导师" in html and "某人力资源服务中心" in html
    assert f'<option selected value="expert:{expert.id}">' in html
    assert "推荐导师（领域与咨询主题相符）" in html


def test_refer_form_creates_the_referral_and_shows_it(auth, client, session):
    staff = auth.login("frontdesk")
    consultation = make_consultation(session, staff=staff)
    expert = make_expert(session, name="韩导师")
    session.commit()
    response = auth.post(f"/consultations/{consultation.id}/refer", {
        "target": f"expert:{expert.id}", "mode": "consulting", "note": "请电话联系"})
    assert response.status_code == 302
    referral = session.scalar(select(Referral))
    assert response.headers["Location"].endswith(f"/consultations/referrals/{referral.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "韩导师" in page and "已提出" in page and "请电话联系" in page
    assert "对方已接受" in page
    expert_page = client.get(f"/consultations/experts/{expert.id}").get_data(as_text=True)
    assert consultation.requester_label in expert_page.split("转介记录")[1]
    session.expire_all()
    assert session.get(type(consultation), consultation.id).state == "referred"


def test_refer_form_with_bad_input_answers_422_beside_fields(auth, session):
    staff = auth.login("frontdesk")
    consultation = make_consultation(session, staff=staff)
    expert = make_expert(session, modes=["consulting"])
    session.commit()
    response = auth.post(f"/consultations/{consultation.id}/refer", {
        "target": "expert:99999", "mode": "dancing", "note": "<b>注意</b>" + "长" * 4000})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html, "target") == ["找不到该导师或合作伙伴，请从列表中选择。"]
    assert field_errors(html, "mode") == ["请选择服务方式（八种服务方式之一）。"]
    assert "4000" in field_errors(html, "note")[0]
    assert "&lt;b&gt;注意&lt;/b&gt;" in html
    response = auth.post(f"/consultations/{consultation.id}/refer", {
        "target": f"expert:{expert.id}", "mode": "joint_research"})
    assert response.status_code == 422
    assert "不提供联合调研" in field_errors(response.get_data(as_text=True), "mode")[0]
    assert _referrals(session) == 0


def test_refer_form_refuses_an_archived_expert_beside_the_target(auth, session):
    staff = auth.login("frontdesk")
    consultation = make_consultation(session, staff=staff)
    expert = make_expert(session, name="陈导师")
    audit.archive(session, expert, actor=staff)
    session.commit()
    response = auth.post(f"/consultations/{consultation.id}/refer",
                         {"target": f"expert:{expert.id}", "mode": "consulting"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "target") == [
        "“陈导师”已归档，不能再接受转介。"]


def test_front_desk_cannot_open_the_refer_form_of_a_colleagues_consultation(auth, client,
                                                                          session):
    consultation = make_consultation(session)
    session.commit()
    auth.login("frontdesk")
    assert client.get(f"/consultations/{consultation.id}/refer").status_code == 403
    assert auth.post(f"/consultations/{consultation.id}/refer",
                     {"target": "expert:1", "mode": "consulting"}).status_code == 403
    assert client.get("/consultations/999999/refer").status_code == 404


def test_referral_page_records_acceptance_and_completion(auth, client, session):
    staff = auth.login("frontdesk")
    referral = make_referral(session, consultation=make_consultation(session, staff=staff))
    session.commit()
    url = f"/consultations/referrals/{referral.id}"
    assert auth.post(f"{url}/state", {"state": "accepted"}).status_code == 302
    response = auth.post(f"{url}/state", {"state": "done", "outcome": "已协助完成变更登记",
                                          "resolve": "y"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "已完成" in page and "已协助完成变更登记" in page
    assert page.count("状态变更") == 2
    session.expire_all()
    assert session.get(Referral, referral.id).consultation.state == "resolved"


def test_a_move_not_allowed_on_the_page_is_422_with_the_message(auth, client, session):
    staff = auth.login("frontdesk")
    referral = make_referral(session, consultation=make_consultation(session, staff=staff))
    session.commit()
    url = f"/consultations/referrals/{referral.id}/state"
    response = auth.post(url, {"state": "done", "outcome": "好"})
    assert response.status_code == 422
    assert "该转介当前为“已提出”，不能改为“已完成”。" in response.get_data(as_text=True)
    response = auth.post(url, {"state": "declined", "outcome": "说\x00明"})
    assert response.status_code == 422
    assert "控制字符" in field_errors(response.get_data(as_text=True), "outcome")[0]
    response = auth.post(url, {"state": "declined"})
    assert field_errors(response.get_data(as_text=True), "outcome") == ["请写明未能转介的原因。"]
    session.expire_all()
    assert session.get(Referral, referral.id).state == "proposed"


def test_a_colleague_at_the_front_desk_cannot_move_someone_elses_referral(auth, client, session):
    referral = make_referral(session)
    session.commit()
    auth.login("frontdesk")
    page = client.get(f"/consultations/referrals/{referral.id}").get_data(as_text=True)
    assert "对方已接受" not in page
    response = auth.post(f"/consultations/referrals/{referral.id}/state", {"state": "accepted"})
    assert response.status_code == 403


def test_referral_list_filters_open_and_mine(auth, client, session):
    staff = auth.login("frontdesk")
    mine = make_referral(session, consultation=make_consultation(session, staff=staff),
                         expert=make_expert(session, name="我的导师"))
    make_referral(session, expert=make_expert(session, name="别人的导师"))
    make_referral(session, expert=make_expert(session, name="已完成的导师"), state="done")
    session.commit()

    def names(query):
        html = client.get(f"/consultations/referrals?{query}").get_data(as_text=True)
        return {n for n in ("我的导师", "别人的导师", "已完成的导师") if n in html}
    assert names("") == {"我的导师", "别人的导师", "已完成的导师"}
    assert names("state=open") == {"我的导师", "别人的导师"}
    assert names("mine=1") == {"我的导师"}
    assert names("state=bogus&mode=bogus") == names("")
    assert mine.expert.name in client.get(f"/consultations/experts/{mine.expert_id}").get_data(
        as_text=True)


@pytest.mark.parametrize("role", ["supervisor", "reviewer", "platform", "org"])
def test_roles_outside_the_center_staff_see_no_referrals(auth, client, session, role):
    referral = make_referral(session)
    session.commit()
    auth.login(role)
    assert client.get(f"/consultations/referrals/{referral.id}").status_code == 403
    assert auth.post(f"/consultations/referrals/{referral.id}/state",
                     {"state": "accepted"}).status_code == 403
