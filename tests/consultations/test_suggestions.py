"""Similar answered questions and matching FAQ entries while a question is typed
(GET /consultations/similar?q=), on SQLite's FTS5 and PostgreSQL's GIN index alike."""
import pytest

from center.models.consultations import Faq
from center.reports import consultation_suggestions as suggestions
from tests.consultations.factories import make_consultation
from tests.factories import make_user


def make_faq(session, **fields) -> Faq:
    faq = Faq(topic=fields.pop("topic", "annual_check"),
              created_by_id=fields.pop("created_by", None) or make_user(session).id, **fields)
    session.add(faq)
    session.flush()
    return faq


@pytest.fixture
def answered(session):
    staff = make_user(session, role="frontdesk")
    rows = {
        "election": make_consultation(session, staff=staff, topics=["governance"],
                                      question="社会团体换届选举需要提前多久向登记机关报告？",
                                      answer="应在换届前一个月提交换届方案。"),
        "annual": make_consultation(session, staff=staff, topics=["annual_check"],
                                    question="年检报告什么时候截止？", answer="每年5月31日前。"),
        "unanswered": make_consultation(session, staff=staff, question="换届选举的程序是什么？",
                                        answer=None),
        "archived": make_consultation(session, staff=staff, question="换届选举提前多久报告？",
                                      answer="旧答复"),
    }
    rows["archived"].archived_at = rows["archived"].occurred_at
    session.commit()
    return rows


def test_a_question_like_a_past_one_finds_it_though_worded_differently(session, answered):
    found = suggestions.similar_consultations(session, "我们要换届选举，要提前多久报告？")
    assert [s.id for s in found] == [answered["election"].id]
    assert found[0].answer == "应在换届前一个月提交换届方案。" and found[0].topics == ["内部治理"]


def test_unanswered_archived_and_unrelated_questions_are_not_suggested(session, answered):
    ids = {s.id for s in suggestions.similar_consultations(session, "换届选举提前多久报告")}
    assert answered["unanswered"].id not in ids and answered["archived"].id not in ids
    assert answered["annual"].id not in ids


def test_the_consultation_being_edited_is_not_suggested_to_itself(session, answered):
    election = answered["election"]
    assert suggestions.similar_consultations(session, election.question,
                                             exclude_id=election.id) == []


def test_too_short_or_punctuation_only_queries_suggest_nothing(session, answered):
    for query in ("", "换", "？？！", "   "):
        assert suggestions.similar_consultations(session, query) == []
        assert suggestions.matching_faqs(session, query) == []


def test_the_best_match_comes_first(session, answered):
    closer = make_consultation(session, question="年检报告逾期提交会怎样处理？", answer="会被责令改正。")
    session.commit()
    found = suggestions.similar_consultations(session, "年检报告逾期了怎么处理")
    assert found[0].id == closer.id


def test_a_common_phrase_does_not_crowd_out_the_rare_match(session):
    staff = make_user(session, role="frontdesk")
    for n in range(60):
        make_consultation(session, staff=staff, question=f"社会组织第{n}个常规问题", answer="常规答复")
    wanted = make_consultation(session, staff=staff, question="社会组织办理公开募捐资格认定的条件",
                               answer="登记满两年。")
    session.commit()
    found = suggestions.similar_consultations(session, "社会组织想办理公开募捐资格认定")
    assert found[0].id == wanted.id


def test_matching_faqs_are_suggested_but_not_archived_ones(session):
    faq = make_faq(session, question="年检报告逾期怎么办？", answer="尽快补报并说明情况。")
    make_faq(session, question="年检报告逾期如何补报？", answer="旧的", archived_at=faq.created_at)
    session.commit()
    found = suggestions.matching_faqs(session, "年检报告逾期了")
    assert [s.id for s in found] == [faq.id] and found[0].topics == ["年检年报"]


def test_similar_endpoint_returns_consultations_and_faqs_as_json(auth, client, session,
                                                                answered):
    make_faq(session, topic="governance", question="换届选举要提前报告吗？", answer="要，提前一个月。")
    session.commit()
    auth.login("frontdesk")
    response = client.get("/consultations/similar", query_string={"q": "换届选举要提前多久报告"})
    assert response.status_code == 200
    data = response.get_json()
    first = data["consultations"][0]
    assert first["id"] == answered["election"].id
    assert first["url"] == f"/consultations/{answered['election'].id}"
    assert set(first) == {"id", "question", "answer", "topics", "score", "occurred_on", "url"}
    assert data["faqs"][0]["answer"] == "要，提前一个月。"
    excluded = client.get("/consultations/similar", query_string={
        "q": answered["election"].question, "exclude": answered["election"].id}).get_json()
    assert answered["election"].id not in [c["id"] for c in excluded["consultations"]]


def test_similar_endpoint_returns_text_untouched_for_the_script_to_show_as_text(auth, client,
                                                                               session):
    make_consultation(session, question="<script>x()</script>换届选举", answer="<b>答</b>")
    session.commit()
    auth.login("frontdesk")
    data = client.get("/consultations/similar?q=换届选举").get_json()
    assert data["consultations"][0]["answer"] == "<b>答</b>"
    assert client.get("/consultations/similar?q=换届选举").mimetype == "application/json"


def test_similar_endpoint_tolerates_odd_input(auth, client):
    auth.login("frontdesk")
    for query in ("", "%", "\"'*:&|!()<>", "换" * 2000, "abc OR NOT xyz"):
        response = client.get("/consultations/similar", query_string={"q": query,
                                                                      "exclude": "99999999999"})
        assert response.status_code == 200
        assert response.get_json()["consultations"] == []


@pytest.mark.parametrize("role", ["reviewer", "platform", "supervisor", "org"])
def test_similar_endpoint_is_for_consultation_staff(auth, client, role):
    auth.login(role)
    assert client.get("/consultations/similar?q=换届选举").status_code == 403


def test_suggestions_cost_a_fixed_number_of_queries(session, count_queries, answered):
    staff = make_user(session, role="frontdesk")
    for n in range(30):
        make_consultation(session, staff=staff, topics=["governance", "policy"],
                          question=f"第{n}次问：换届选举需要提前多久报告？", answer=f"答复{n}")
    session.commit()
    with count_queries() as counter:
        found = suggestions.similar_consultations(session, "换届选举要提前多久报告")
        [s.topics for s in found]
    assert len(found) == 5 and counter.count <= 3
    with count_queries() as counter:
        suggestions.matching_faqs(session, "换届选举要提前多久报告")
    assert counter.count <= 2
