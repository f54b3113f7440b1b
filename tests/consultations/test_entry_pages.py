"""The quick-entry form, a consultation's page and the edit page: bad input shown beside its
field with the typed values kept (422, nothing stored), text shown as text, own entries only."""
import re

import pytest
from sqlalchemy import func, select

from center.models.consultations import TOPIC_LABELS, Consultation
from tests.conftest import field_errors
from tests.consultations.factories import make_consultation
from tests.factories import make_organization, make_user


def form_data(**overrides) -> dict:
    data = {"organization_q": "", "organization_id": "", "requester_name": "李先生",
            "requester_phone": "13800138000", "channel": "phone", "topics": ["policy"],
            "question": "社会团体变更登记需要哪些材料？", "answer": "章程修改稿和理事会决议。",
            "minutes": "8", "state": "resolved", "follow_up_on": "", "occurred_at": ""}
    return data | overrides


def stored(session) -> int:
    return session.scalar(select(func.count(Consultation.id)))


def test_entry_form_opens_with_focus_on_the_organization_box(auth, client):
    auth.login("frontdesk")
    page = client.get("/consultations/new").get_data(as_text=True)
    box = re.search(r"<input[^>]*id=\"organization_q\"[^>]*>", page).group(0)
    assert "autofocus" in box and 'role="combobox"' in box
    assert 'data-suggest-url="/organizations/suggest"' in page
    assert 'data-similar-url="/consultations/similar"' in page
    assert "js/consultation_entry.js" in page
    # The conversation's order is the tab order: requester, channel, topics, question, answer.
    order = [page.index(f'id="{name}"') for name in (
        "organization_q", "requester_name", "requester_phone", "channel", "topics", "question",
        "answer", "minutes", "state", "follow_up_on")]
    assert order == sorted(order)


def test_logging_a_consultation_stores_it_and_shows_its_page(auth, client, session):
    org = make_organization(session)
    session.commit()
    user = auth.login("frontdesk")
    response = auth.post("/consultations/new", data=form_data(
        organization_id=str(org.id), organization_q=org.name, topics=["policy", "finance"]))
    assert response.status_code == 302
    c = session.scalars(select(Consultation)).one()
    assert (c.organization_id, c.staff_id, c.topics) == (org.id, user.id, ["finance", "policy"])
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "咨询已记录" in page and org.name in page and "财务与审计" in page
    assert 'data-draft-saved="consultation-draft:%d"' % user.id in page  # clears the draft
    # ...once: reloading the page does not clear a draft started since.
    assert "data-draft-saved" not in client.get(response.headers["Location"]).get_data(
        as_text=True)


def test_typed_organization_name_is_taken_without_picking_a_suggestion(auth, session):
    org = make_organization(session, name="北京协作者社会工作发展中心")
    make_organization(session, name="北京协作者社会工作发展中心分部")
    session.commit()
    auth.login("frontdesk")
    response = auth.post("/consultations/new", data=form_data(organization_q=org.name))
    assert response.status_code == 302
    assert session.scalars(select(Consultation)).one().organization_id == org.id


def test_emptied_organization_box_makes_it_an_individuals_consultation(auth, session):
    org = make_organization(session)
    session.commit()
    auth.login("frontdesk")
    response = auth.post("/consultations/new", data=form_data(organization_id=str(org.id)))
    assert response.status_code == 302
    c = session.scalars(select(Consultation)).one()
    assert c.organization_id is None and c.requester_name == "李先生"


def test_organization_text_changed_after_picking_is_looked_up_again(auth, session):
    first = make_organization(session, name="海淀区青少年发展促进会")
    second = make_organization(session, name="西城区社区养老服务中心")
    session.commit()
    auth.login("frontdesk")
    response = auth.post("/consultations/new", data=form_data(organization_id=str(first.id),
                                                              organization_q=second.name))
    assert response.status_code == 302
    assert session.scalars(select(Consultation)).one().organization_id == second.id


def test_ambiguous_organization_text_asks_to_pick_one(auth, session):
    make_organization(session, name="朝阳区阳光助老服务中心")
    make_organization(session, name="朝阳区阳光助残服务中心")
    session.commit()
    auth.login("frontdesk")
    response = auth.post("/consultations/new", data=form_data(organization_q="阳光"))
    assert response.status_code == 422
    assert "有多个组织" in field_errors(response.get_data(as_text=True), "organization_q")[0]
    assert stored(session) == 0


def test_bad_input_is_shown_beside_each_field_typed_values_kept_nothing_stored(auth, session):
    auth.login("frontdesk")
    response = auth.post("/consultations/new", data=form_data(
        requester_name="", topics=["policy", "bogus"], minutes="-5", state="follow_up",
        follow_up_on="2026-13-45", question="<b>粗体</b>问题", answer="答" * 4001))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请选择组织，或填写个人咨询者的姓名" in field_errors(page, "organization_q")[0]
    assert "未知的主题" in field_errors(page, "topics-0")[0]
    assert "1 到 480" in field_errors(page, "minutes")[0]
    assert "YYYY-MM-DD" in field_errors(page, "follow_up_on")[0]
    assert "最多 4000 个字" in field_errors(page, "answer")[0]
    assert 'value="-5"' in page and 'value="2026-13-45"' in page
    assert "&lt;b&gt;粗体&lt;/b&gt;问题" in page and "<b>粗体</b>" not in page
    assert re.search(r'<input checked id="state-1"[^>]*value="follow_up"', page)
    assert 'data-fresh="0"' in page  # the script keeps these values as the draft
    assert stored(session) == 0


def test_follow_up_without_date_is_refused_beside_the_date(auth, session):
    auth.login("frontdesk")
    response = auth.post("/consultations/new", data=form_data(state="follow_up"))
    assert response.status_code == 422
    assert "跟进日期" in field_errors(response.get_data(as_text=True), "follow_up_on")[0]
    assert stored(session) == 0


def test_wrong_time_of_a_late_entry_is_refused_beside_it(auth, session):
    auth.login("frontdesk")
    response = auth.post("/consultations/new", data=form_data(occurred_at="昨天下午"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "日期时间格式" in field_errors(page, "occurred_at")[0]
    assert "<details class=\"later\" open>" in page
    assert stored(session) == 0


def test_late_entry_keeps_the_time_it_happened(auth, session):
    auth.login("frontdesk")
    response = auth.post("/consultations/new", data=form_data(occurred_at="2026-03-09T15:30"))
    assert response.status_code == 302
    c = session.scalars(select(Consultation)).one()
    assert c.occurred_at.isoformat() == "2026-03-09T07:30:00+00:00"


def test_script_tags_are_shown_as_text_on_the_consultation_page(auth, client, session):
    c = make_consultation(session, question="<script>alert('x')</script>年检", answer="<img src=x>")
    session.commit()
    auth.login("frontdesk")
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;年检" in page
    assert "<script>alert" not in page and "<img src=x>" not in page


@pytest.mark.parametrize("role", ["reviewer", "platform", "supervisor", "org"])
def test_other_roles_cannot_open_the_entry_form(auth, client, role):
    auth.login(role)
    assert client.get("/consultations/new").status_code == 403


# --- editing -----------------------------------------------------------------------------------

def test_frontdesk_cannot_edit_a_colleagues_entry(auth, client, session):
    c = make_consultation(session, question="同事的记录")
    session.commit()
    auth.login("frontdesk")
    assert client.get(f"/consultations/{c.id}/edit").status_code == 403
    response = auth.post(f"/consultations/{c.id}/edit", data=form_data(question="改掉"))
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Consultation, c.id).question == "同事的记录"
    assert "/edit" not in client.get(f"/consultations/{c.id}").get_data(as_text=True)


def test_frontdesk_edits_own_entry_and_the_change_is_in_its_history(auth, client, session):
    staff = make_user(session, role="frontdesk")
    c = make_consultation(session, staff=staff, minutes=10)
    session.commit()
    auth.login(staff)
    page = client.get(f"/consultations/{c.id}/edit").get_data(as_text=True)
    assert c.question in page and 'value="10"' in page
    response = auth.post(f"/consultations/{c.id}/edit", data=form_data(
        organization_id=str(c.organization_id), organization_q=c.organization.name,
        requester_name="", minutes="25", occurred_at="2026-03-10T10:30"))
    assert response.status_code == 302
    session.expire_all()
    edited = session.get(Consultation, c.id)
    assert edited.minutes == 25 and edited.occurred_at == c.occurred_at  # same minute: kept
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert "用时（分钟）：10 → 25" in page


def test_edit_with_bad_input_keeps_values_and_changes_nothing(auth, session):
    staff = make_user(session, role="frontdesk")
    c = make_consultation(session, staff=staff, minutes=10)
    session.commit()
    auth.login(staff)
    response = auth.post(f"/consultations/{c.id}/edit", data=form_data(minutes="999",
                                                                       topics=[]))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_errors(page, "minutes") and field_errors(page, "topics-0")
    assert 'value="999"' in page
    session.expire_all()
    assert session.get(Consultation, c.id).minutes == 10


def test_manager_edits_anyones_entry(auth, session):
    c = make_consultation(session)
    session.commit()
    auth.login("manager")
    response = auth.post(f"/consultations/{c.id}/edit", data=form_data(minutes="40"))
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Consultation, c.id).minutes == 40


def test_archiving_own_entry_and_restoring_it(auth, client, session):
    staff = make_user(session, role="frontdesk")
    c = make_consultation(session, staff=staff)
    session.commit()
    auth.login(staff)
    auth.post(f"/consultations/{c.id}/archive")
    session.expire_all()
    assert session.get(Consultation, c.id).archived_at is not None
    assert "已归档" in client.get(f"/consultations/{c.id}").get_data(as_text=True)
    auth.post(f"/consultations/{c.id}/archive")
    session.expire_all()
    assert session.get(Consultation, c.id).archived_at is None


def test_frontdesk_cannot_archive_a_colleagues_entry(auth, session):
    c = make_consultation(session)
    session.commit()
    auth.login("frontdesk")
    assert auth.post(f"/consultations/{c.id}/archive").status_code == 403
    session.expire_all()
    assert session.get(Consultation, c.id).archived_at is None


def test_unknown_consultation_is_404(auth, client):
    auth.login("frontdesk")
    assert client.get("/consultations/999999").status_code == 404


def test_consultation_page_lists_referrals_and_links_to_refer_and_promote(auth, client, session):
    from center.models.consultations import Expert, Referral

    c = make_consultation(session)
    expert = Expert(name="张律师", sector="business", fields="policy", modes="consulting")
    session.add(expert)
    session.flush()
    session.add(Referral(consultation_id=c.id, expert_id=expert.id, mode="consulting",
                         state="proposed", note="请协助审阅章程", created_by_id=c.staff_id))
    session.commit()
    auth.login("frontdesk")
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    for text in ("张律师", "咨询服务", "已提出", "请协助审阅章程"):
        assert text in page
    assert f'href="/consultations/{c.id}/refer"' in page
    assert f'href="/consultations/{c.id}/promote-faq"' in page


def test_changed_topics_show_on_the_consultations_timeline(auth, client, session):
    staff = make_user(session, role="frontdesk")
    c = make_consultation(session, staff=staff, topics=["policy"])
    session.commit()
    auth.login(staff)
    response = auth.post(f"/consultations/{c.id}/edit", data=form_data(
        organization_id=str(c.organization_id), organization_q=c.organization.name,
        requester_name="", topics=["finance", "policy"]))
    assert response.status_code == 302
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert f"主题：{TOPIC_LABELS['policy']} → {TOPIC_LABELS['finance']}、{TOPIC_LABELS['policy']}" \
        in page
