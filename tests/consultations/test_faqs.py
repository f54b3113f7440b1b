"""Frequently asked questions per topic: keeping them, finding them by substrings of Chinese
words, and promoting a consultation's good answer into one."""
import pytest
from sqlalchemy import func, select

from center.models.consultations import Faq
from center.reports import faqs as listing
from center.services import audit, faqs as service
from center.services.errors import ValidationError
from tests.conftest import field_errors
from tests.consultations.factories import make_consultation
from tests.consultations.referral_factories import make_faq
from tests.factories import make_user


def _faqs(session) -> int:
    return session.scalar(select(func.count()).select_from(Faq))


# --- service and search ------------------------------------------------------------------------

def test_create_faq_under_a_topic(session):
    author = make_user(session, role="frontdesk")
    faq = service.create_faq(session, {"topic": "finance", "question": " 如何做年度审计？ ",
                                       "answer": "委托会计师事务所。"}, actor=author)
    assert (faq.topic, faq.question, faq.created_by_id) == ("finance", "如何做年度审计？",
                                                            author.id)


def test_bad_faq_gets_every_problem_by_field_and_nothing_stored(session):
    author = make_user(session, role="frontdesk")
    with pytest.raises(ValidationError) as caught:
        service.create_faq(session, {"topic": "astrology", "question": "问" * 4001,
                                     "answer": "\x08"}, actor=author)
    fields = caught.value.fields
    assert set(fields) == {"topic", "question", "answer"}
    assert "4001" in str(fields["question"])
    assert _faqs(session) == 0


@pytest.mark.parametrize(("query", "expected"), [
    ("年检", {"年检"}), ("检报", {"年检"}), ("审计报告", {"审计"}), ("章程", {"章程"}),
    ("ABC", {"章程"}), ("abc", {"章程"}), ("税", {"审计"}), ("理事会换届", set()),
    ("！！", set()), ("", {"年检", "审计", "章程"}),
])
def test_search_finds_substrings_of_chinese_words(session, query, expected):
    make_faq(session, topic="annual_check", question="年检报告什么时候交？", answer="五月底前。")
    make_faq(session, topic="finance", question="怎么做专项审计？",
             answer="审计报告由事务所出具，涉及税务问题请咨询税务局。")
    make_faq(session, topic="governance", question="修改章程要什么材料？",
             answer="ABC三份材料。")
    found = session.scalars(listing.faq_query(listing.FaqFilter(q=query))).all()
    keys = {key for faq in found for key in ("年检", "审计", "章程") if key in faq.question}
    assert keys == expected


def test_list_keeps_topic_order_and_leaves_out_archived_ones(session):
    make_faq(session, topic="other", question="其他问题")
    make_faq(session, topic="policy", question="政策问题")
    gone = make_faq(session, topic="policy", question="过时的问题")
    audit.archive(session, gone, actor=None)
    found = session.scalars(listing.faq_query(listing.FaqFilter())).all()
    assert [f.question for f in found] == ["政策问题", "其他问题"]
    archived = session.scalars(listing.faq_query(listing.FaqFilter(archived="archived"))).all()
    assert [f.question for f in archived] == ["过时的问题"]
    assert listing.topic_counts(session) == {"policy": 1, "other": 1}


def test_promoting_remembers_the_consultation_and_happens_once(session):
    consultation = make_consultation(session, topics=["annual_check", "finance"])
    draft = service.promotion_draft(consultation)
    assert draft == {"topic": "annual_check", "question": consultation.question,
                     "answer": consultation.answer}
    faq = service.promote_to_faq(session, consultation, draft, actor=consultation.staff)
    assert faq.source_consultation_id == consultation.id
    with pytest.raises(ValidationError) as caught:
        service.promote_to_faq(session, consultation, draft, actor=consultation.staff)
    assert f"第 {faq.id} 条" in str(caught.value.message)
    assert _faqs(session) == 1


def test_editing_an_archived_faq_is_refused(session):
    faq = make_faq(session, question="旧问题")
    audit.archive(session, faq, actor=None)
    with pytest.raises(ValidationError):
        service.update_faq(session, faq, {"topic": "hr", "question": "新", "answer": "新"},
                           actor=make_user(session, role="manager"))
    assert faq.question == "旧问题"


# --- pages -------------------------------------------------------------------------------------

def test_faq_page_lists_by_topic_and_searches(auth, client, session):
    make_faq(session, topic="annual_check", question="年检报告什么时候交？")
    make_faq(session, topic="hr", question="志愿者需要签协议吗？", answer="建议签订服务协议。")
    session.commit()
    auth.login("frontdesk")
    html = client.get("/consultations/faqs").get_data(as_text=True)
    assert "<h2>年检年报</h2>" in html and "<h2>人力资源</h2>" in html
    assert "年检年报（1）" in html
    html = client.get("/consultations/faqs?q=服务协").get_data(as_text=True)
    assert "志愿者需要签协议吗" in html and "年检报告什么时候交" not in html
    html = client.get("/consultations/faqs?topic=annual_check&q=").get_data(as_text=True)
    assert "年检报告什么时候交" in html and "志愿者需要签协议吗" not in html


def test_promote_form_starts_from_the_consultation(auth, client, session):
    consultation = make_consultation(session, topics=["finance"], question="票据怎么开？",
                                     answer="使用公益事业捐赠票据。")
    session.commit()
    auth.login("frontdesk")
    html = client.get(f"/consultations/{consultation.id}/promote-faq").get_data(as_text=True)
    assert '<option selected value="finance">' in html
    assert "票据怎么开？</textarea>" in html and "使用公益事业捐赠票据。</textarea>" in html


def test_promote_form_saves_the_edited_answer_and_links_back(auth, client, session):
    consultation = make_consultation(session, topics=["finance"])
    session.commit()
    auth.login("frontdesk")
    response = auth.post(f"/consultations/{consultation.id}/promote-faq", {
        "topic": "finance", "question": "捐赠票据怎么开？", "answer": "使用财政部门监制的捐赠票据。"})
    assert response.status_code == 302
    faq = session.scalar(select(Faq))
    assert faq.source_consultation_id == consultation.id and faq.answer.startswith("使用财政")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "捐赠票据怎么开？" in page and f"/consultations/{consultation.id}" in page
    again = client.get(f"/consultations/{consultation.id}/promote-faq").get_data(as_text=True)
    assert "这条咨询已收入常见问题" in again
    response = auth.post(f"/consultations/{consultation.id}/promote-faq", {
        "topic": "finance", "question": "再来一次", "answer": "再来一次"})
    assert response.status_code == 422
    assert _faqs(session) == 1


def test_promote_form_with_bad_input_answers_422_and_keeps_typed_values(auth, session):
    consultation = make_consultation(session)
    session.commit()
    auth.login("manager")
    response = auth.post(f"/consultations/{consultation.id}/promote-faq", {
        "topic": "astrology", "question": "<script>alert('x')</script>问题", "answer": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html, "topic") == ["请选择一个主题。"]
    assert field_errors(html, "answer") == ["请填写答案。"]
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;问题</textarea>" in html
    assert "<script>alert" not in html
    assert _faqs(session) == 0


def test_an_archived_consultation_is_not_promoted(auth, session):
    consultation = make_consultation(session)
    audit.archive(session, consultation, actor=None)
    session.commit()
    auth.login("manager")
    response = auth.post(f"/consultations/{consultation.id}/promote-faq", {
        "topic": "policy", "question": "问", "answer": "答"})
    assert response.status_code == 422
    assert "这条咨询已归档，不能收入常见问题。" in response.get_data(as_text=True)
    assert _faqs(session) == 0


def test_faq_is_edited_archived_and_restored(auth, client, session):
    faq = make_faq(session, question="原来的问题")
    session.commit()
    auth.login("frontdesk")
    url = f"/consultations/faqs/{faq.id}"
    assert 'selected value="annual_check"' in client.get(f"{url}/edit").get_data(as_text=True)
    response = auth.post(f"{url}/edit", {"topic": "policy", "question": "改过的问题",
                                         "answer": "改过的答案"})
    assert response.status_code == 302
    auth.post(f"{url}/archive")
    assert "改过的问题" not in client.get("/consultations/faqs").get_data(as_text=True)
    response = auth.post(f"{url}/edit", {"topic": "policy", "question": "再改", "answer": "再改"})
    assert response.status_code == 422
    assert "该问题已归档，请先恢复再修改。" in response.get_data(as_text=True)
    auth.post(f"{url}/restore")
    page = client.get(url).get_data(as_text=True)
    assert "改过的问题" in page and "原来的问题" in page  # the change history keeps the old text


def test_new_faq_form_starts_with_the_topic_of_the_list(auth, client):
    auth.login("frontdesk")
    html = client.get("/consultations/faqs/new?topic=hr").get_data(as_text=True)
    assert '<option selected value="hr">' in html
    assert client.get("/consultations/faqs/new?topic=bogus").status_code == 200


@pytest.mark.parametrize("role", ["supervisor", "reviewer", "platform", "org"])
def test_roles_outside_the_center_staff_cannot_use_the_faq_pages(auth, client, session, role):
    consultation = make_consultation(session)
    session.commit()
    auth.login(role)
    assert client.get("/consultations/faqs").status_code == 403
    assert auth.post(f"/consultations/{consultation.id}/promote-faq",
                     {"topic": "policy", "question": "问", "answer": "答"}).status_code == 403
