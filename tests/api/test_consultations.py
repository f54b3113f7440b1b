"""/api/v1/consultations: logging one (every bad input refused by field, nothing stored),
listing with filters and text search, roles, and the answers against their documented schemas."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from center.models.audit import AuditEntry
from center.models.base import utcnow
from center.models.consultations import Consultation
from center.services import audit
from tests.api.conftest import error_of
from tests.consultations.factories import make_consultation
from tests.factories import make_organization

URL = "/api/v1/consultations"
SCRIPT = "<script>alert('x')</script>"


def body(org=None, **overrides) -> dict:
    data = {"channel": "phone", "topics": ["annual_check", "finance"],
            "question": "年度工作报告里的财务审计报告由谁出具？",
            "answer": "由具有资质的会计师事务所出具，并随年报一起上传。",
            "minutes": 12, "state": "resolved"}
    if org is not None:
        data["organization_id"] = org.id
    return {**data, **overrides}


def stored(session) -> int:
    return session.scalar(select(func.count()).select_from(Consultation))


@pytest.fixture
def org(session):
    return make_organization(session, name="北京协作者社会工作发展中心")


# --- logging ---------------------------------------------------------------------------------

def test_frontdesk_logs_a_consultation_and_gets_it_with_its_location(api, session, org):
    user = api.login("frontdesk", display_name="王敏")
    response = api.post(URL, json=body(org))
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert item == {
        "id": item["id"], "occurred_at": item["occurred_at"], "channel": "phone",
        "channel_label": "电话", "organization_id": org.id,
        "organization_name": "北京协作者社会工作发展中心", "requester_name": None,
        "requester_phone": None, "topics": ["annual_check", "finance"],
        "question": "年度工作报告里的财务审计报告由谁出具？",
        "answer": "由具有资质的会计师事务所出具，并随年报一起上传。", "minutes": 12,
        "state": "resolved", "state_label": "已解决", "follow_up_on": None,
        "follow_up_closed_at": None, "follow_up_outcome": None, "satisfaction": None,
        "outcome": None, "evaluated_at": None, "staff_id": user.id, "staff_name": "王敏",
        "created_at": item["created_at"], "archived_at": None}
    assert item["occurred_at"].endswith("+08:00")
    assert response.headers["Location"].endswith(f"{URL}/{item['id']}")
    assert api.get(response.headers["Location"]).get_json() == item
    entry = session.scalars(select(AuditEntry)
                            .where(AuditEntry.table_name == "consultations")).one()
    assert (entry.action, entry.actor_id) == ("create", user.id)


def test_an_individual_with_a_phone_and_a_follow_up_date(api):
    api.login("manager")
    response = api.post(URL, json=body(requester_name="李女士", requester_phone="138 0000 1234",
                                       channel="wechat", topics=["wellbeing"], answer=None,
                                       state="follow_up", follow_up_on="2026-03-20",
                                       occurred_at="2026-03-09T08:15:00Z"))
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert (item["requester_name"], item["requester_phone"], item["organization_id"]) == (
        "李女士", "138 0000 1234", None)
    assert (item["state"], item["follow_up_on"], item["answer"]) == ("follow_up", "2026-03-20",
                                                                     None)
    assert item["occurred_at"] == "2026-03-09T16:15:00+08:00"


def test_repeated_topics_count_once_and_come_back_in_code_order(api, org):
    api.login("admin")
    item = api.post(URL, json=body(org, topics=["other", "policy", "other"])).get_json()
    assert item["topics"] == ["policy", "other"]


def test_script_tags_are_stored_and_returned_as_plain_text(api, session, org):
    api.login("frontdesk")
    response = api.post(URL, json=body(org, question=SCRIPT, answer=f"答：{SCRIPT}"))
    assert response.status_code == 201
    assert response.mimetype == "application/json"
    assert response.get_json()["question"] == SCRIPT
    assert session.get(Consultation, response.get_json()["id"]).answer == f"答：{SCRIPT}"


@pytest.mark.parametrize("overrides, field, reason", [
    ({"channel": "letter"}, "channel", "渠道"),
    ({"channel": 1}, "channel", "字符串"),
    ({"topics": ["policy", "tax"]}, "topics", "tax"),
    ({"topics": []}, "topics", "至少"),
    ({"topics": "policy"}, "topics", "列表"),
    ({"topics": [1, 2]}, "topics", "列表"),
    ({"minutes": -5}, "minutes", "1 到 480"),
    ({"minutes": 0}, "minutes", "1 到 480"),
    ({"minutes": 100_000}, "minutes", "1 到 480"),
    ({"minutes": 10**30}, "minutes", "1 到 480"),
    ({"minutes": "15"}, "minutes", "整数"),
    ({"minutes": 15.5}, "minutes", "整数"),
    ({"minutes": True}, "minutes", "整数"),
    ({"state": "closed"}, "state", "状态"),
    ({"state": "follow_up"}, "follow_up_on", "跟进日期"),
    ({"state": "follow_up", "follow_up_on": "2026/03/15"}, "follow_up_on", "YYYY-MM-DD"),
    ({"state": "follow_up", "follow_up_on": "15.03.2026"}, "follow_up_on", "YYYY-MM-DD"),
    ({"state": "follow_up", "follow_up_on": "2026-02-30"}, "follow_up_on", "YYYY-MM-DD"),
    ({"state": "follow_up", "follow_up_on": 20260315}, "follow_up_on", "字符串"),
    ({"question": "问" * 4001}, "question", "最多 4000"),
    ({"answer": "答" * 4001}, "answer", "最多 4000"),
    ({"question": "   "}, "question", "问题"),
    ({"question": "年检\x00什么时候"}, "question", "控制字符"),
    ({"answer": "见\x1b附件"}, "answer", "控制字符"),
    ({"occurred_at": "2026-03-09T08:15:00"}, "occurred_at", "时区"),
    ({"occurred_at": "2999-01-01T08:00:00+08:00"}, "occurred_at", "晚于现在"),
])
def test_bad_input_is_422_on_its_field_and_stores_nothing(api, session, org, overrides, field,
                                                          reason):
    api.login("frontdesk")
    response = api.post(URL, json=body(org, **overrides))
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {field}
    assert reason in error["fields"][field]
    assert stored(session) == 0


@pytest.mark.parametrize("requester, field", [
    ({}, "organization_id"),  # neither
    ({"organization_id": 99999}, "organization_id"),
    ({"organization_id": "1"}, "organization_id"),
    ({"organization_id": -1}, "organization_id"),
    ({"organization_id": True}, "organization_id"),
    ({"requester_name": "张" * 51}, "requester_name"),
    ({"requester_name": "张\x07三"}, "requester_name"),
    ({"requester_name": "张三", "requester_phone": "call me"}, "requester_phone"),
])
def test_a_missing_or_bad_requester_is_refused(api, session, requester, field):
    api.login("frontdesk")
    response = api.post(URL, json=body(**requester))
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {field}
    assert stored(session) == 0


def test_organization_and_individual_together_are_refused(api, session, org):
    api.login("frontdesk")
    response = api.post(URL, json=body(org, requester_name="张三", requester_phone="13800001234"))
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"requester_name", "requester_phone"}
    assert stored(session) == 0


def test_an_archived_organization_is_refused(api, session, org):
    api.login("frontdesk")
    audit.archive(session, org, actor=None)
    session.commit()
    response = api.post(URL, json=body(org))
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"organization_id"}
    assert stored(session) == 0


def test_every_problem_is_reported_at_once(api, session):
    api.login("frontdesk")
    response = api.post(URL, json={"channel": "fax", "topics": "policy", "minutes": "ten",
                                   "state": "follow_up", "question": ""})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"channel", "topics", "minutes", "question",
                                                 "follow_up_on", "organization_id"}
    assert stored(session) == 0


@pytest.mark.parametrize("data, content_type", [
    ("not json", "application/json"), ("[1, 2]", "application/json"),
    ('{"channel": "phone"}', "text/plain"), ("{" * 100_000, "application/json")])
def test_a_body_that_is_not_a_json_object_is_400(api, session, data, content_type):
    api.login("frontdesk")
    response = api.post(URL, data=data, content_type=content_type)
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"
    assert stored(session) == 0


@pytest.mark.parametrize("role", ["reviewer", "supervisor", "platform", "org"])
def test_other_roles_may_neither_log_nor_read_consultations(api, session, org, role):
    api.login(role)
    consultation = make_consultation(session)
    session.commit()
    for response in (api.post(URL, json=body(org)), api.get(URL),
                     api.get(f"{URL}/{consultation.id}")):
        assert response.status_code == 403
        assert error_of(response)["code"] == "forbidden"
    assert stored(session) == 1


def test_without_a_token_it_is_401(client):
    assert client.post(URL, json={}).status_code == 401
    assert client.get(URL).status_code == 401


# --- listing ---------------------------------------------------------------------------------

def at(day: int, hour: int) -> datetime:
    """March 2026, center time (UTC+8), as UTC."""
    return datetime(2026, 3, day, hour, tzinfo=timezone(timedelta(hours=8))).astimezone(
        timezone.utc)


@pytest.fixture
def listed(session, org):
    rows = {
        "audit": make_consultation(session, organization=org, topics=["finance"],
                                   channel="visit", occurred_at=at(2, 10),
                                   question="专项审计报告需要哪些材料？"),
        "annual": make_consultation(session, organization=org, topics=["annual_check", "policy"],
                                    occurred_at=at(9, 23), question="年检网上填报入口在哪里？"),
        "person": make_consultation(session, organization=None, requester_name="赵先生",
                                    topics=["wellbeing"], channel="wechat", state="follow_up",
                                    follow_up_on=date(2026, 3, 20), occurred_at=at(10, 9),
                                    question="最近工作压力很大，有没有心理支持？"),
        "archived": make_consultation(session, topics=["finance"], occurred_at=at(5, 9),
                                      question="审计费用能否列支？", archived_at=utcnow()),
    }
    session.commit()
    return rows


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_list_is_newest_first_without_archived(api, listed):
    api.login("frontdesk")
    body_ = api.get(URL).get_json()
    assert [i["id"] for i in body_["items"]] == [listed[k].id for k in ("person", "annual",
                                                                         "audit")]
    assert (body_["total"], body_["total_capped"], body_["page"]) == (3, False, 1)


@pytest.mark.parametrize("query, expected", [
    ({"from": "2026-03-09", "to": "2026-03-09"}, ["annual"]),  # 23:00 in Beijing is still the 9th
    ({"from": "2026-03-03"}, ["person", "annual"]),
    ({"to": "2026-03-02"}, ["audit"]),
    ({"topic": "finance"}, ["audit"]),
    ({"topic": ["finance", "wellbeing"]}, ["person", "audit"]),
    ({"q": "审计"}, ["audit"]),
    ({"q": "填报入"}, ["annual"]),  # part of a word
    ({"q": "赵先生"}, ["person"]),
    ({"q": "税务"}, []),
    ({"channel": "wechat"}, ["person"]),
    ({"state": "follow_up"}, ["person"]),
    ({"from": "2026-03-01", "topic": "policy", "q": "年检", "channel": "phone"}, ["annual"]),
])
def test_list_filters(api, listed, query, expected):
    api.login("manager")
    assert ids(api.get(URL, query_string=query)) == [listed[k].id for k in expected]


def test_list_filters_by_organization_and_staff(api, listed, org):
    api.login("admin")
    assert ids(api.get(URL, query_string={"organization_id": org.id})) == [
        listed["annual"].id, listed["audit"].id]
    staff_id = listed["person"].staff_id
    assert ids(api.get(URL, query_string={"staff_id": staff_id})) == [listed["person"].id]


def test_list_pages(api, session):
    api.login("frontdesk")
    for n in range(5):
        make_consultation(session, occurred_at=at(1 + n, 9))
    session.commit()
    last = api.get(URL, query_string={"per_page": 2, "page": 3}).get_json()
    assert (last["total"], len(last["items"]), last["per_page"]) == (5, 1, 2)


def test_list_counts_up_to_a_cap_and_says_when_there_are_more(api, session, monkeypatch):
    from center.api import consultations as module
    monkeypatch.setattr(module, "COUNT_CAP", 3)
    api.login("frontdesk")
    for n in range(5):
        make_consultation(session, occurred_at=at(1 + n, 9))
    session.commit()
    broad = api.get(URL, query_string={"per_page": 2, "page": 3}).get_json()
    assert (broad["total"], broad["total_capped"], len(broad["items"])) == (3, True, 1)
    narrow = api.get(URL, query_string={"to": "2026-03-02"}).get_json()
    assert (narrow["total"], narrow["total_capped"]) == (2, False)


@pytest.mark.parametrize("query, field", [
    ({"from": "2026/03/01"}, "from"), ({"to": "2026-02-30"}, "to"),
    ({"from": "2026-03-10", "to": "2026-03-01"}, "to"), ({"topic": "tax"}, "topic"),
    ({"channel": "fax"}, "channel"), ({"state": "done"}, "state"),
    ({"organization_id": "abc"}, "organization_id"), ({"q": "年" * 101}, "q"),
    ({"q": "年\x00检"}, "q"), ({"per_page": 0}, "per_page"), ({"page": "x"}, "page"),
])
def test_bad_list_parameters_are_400_on_that_parameter(api, query, field):
    api.login("frontdesk")
    response = api.get(URL, query_string=query)
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {field}


def test_list_runs_the_same_queries_for_few_or_many_rows(api, session, count_queries):
    api.login("manager")
    for n in range(3):
        make_consultation(session, topics=["policy", "hr"], occurred_at=at(1 + n, 9))
    session.commit()
    api.get(URL)
    with count_queries() as few:
        assert api.get(URL, query_string={"q": "变更"}).get_json()["total"] == 3
    for n in range(20):
        make_consultation(session, occurred_at=at(1 + n, 10))
    session.commit()
    with count_queries() as many:
        assert api.get(URL, query_string={"q": "变更"}).get_json()["total"] == 23
    assert few.count == many.count <= 6  # token, count, page, topics, organizations, staff


def test_unknown_consultation_is_404(api):
    api.login("frontdesk")
    response = api.get(f"{URL}/12345")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


# --- the document ----------------------------------------------------------------------------

def test_answers_match_their_documented_schemas(api, client, org, listed):
    from tests.api.test_openapi import _conforms
    document = client.get("/api/v1/openapi.json").get_json()
    api.login("frontdesk")
    created = api.post(URL, json=body(org))
    _conforms(document, "Consultation", created.get_json())
    _conforms(document, "ConsultationPage", api.get(URL).get_json())
    _conforms(document, "Error", api.post(URL, json={}).get_json())
    operation = document["paths"]["/consultations"]["post"]
    assert operation["x-roles"] == ["admin", "frontdesk", "manager"]
    assert document["components"]["schemas"]["Topic"]["enum"] == [
        "policy", "annual_check", "finance", "governance", "project", "party_building", "hr",
        "fundraising", "wellbeing", "other"]
    assert document["components"]["schemas"]["Channel"]["enum"] == ["visit", "phone", "online",
                                                                    "wechat"]
