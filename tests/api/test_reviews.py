"""The pre-review API: intake, the public status lookup, claim next, return and pass."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from center.models.reviews import ReviewEvent, ReviewEnquiry, Submission
from center.services import reviews
from tests.api.conftest import error_of
from tests.factories import make_user
from tests.reviews.factories import make_cycle, make_submission

REVIEWS = "/api/v1/reviews"
STATUS = "/api/v1/reviews/status"
CLAIM = "/api/v1/reviews/claim"


@pytest.fixture
def cycle(session):
    reviews.seed_return_reasons(session)
    return make_cycle(session, year=2025)


@pytest.fixture
def today():
    return reviews.today_in_center()


def _count(session, model=Submission) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _status(client, submission, **overrides):
    params = {"credit_code": submission.organization.credit_code,
              "receipt_no": submission.receipt_no, **overrides}
    return client.get(STATUS, query_string=params)


# --- intake --------------------------------------------------------------------------------------

def test_intake_answers_201_with_receipt_number_status_and_deadline(api, session, cycle, org,
                                                                    today):
    api.login("frontdesk")
    response = api.post(REVIEWS, json={"credit_code": org.credit_code, "year": 2025,
                                       "received_on": today.isoformat()})
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    stored = session.get(Submission, item["id"])
    assert item["receipt_no"] == stored.receipt_no and item["receipt_no"].startswith("2025-")
    assert (item["status"], item["status_label"]) == ("received", "已接收，等待预审")
    assert item["due_on"] == stored.due_on.isoformat() and stored.due_on > today
    assert (item["channel"], item["credit_code"], item["year"]) == ("api", org.credit_code, 2025)
    assert response.headers["Location"].endswith(f"/api/v1/reviews/{item['id']}")
    assert api.get(response.headers["Location"]).get_json() == item


def test_intake_received_on_defaults_to_today_and_code_case_is_ignored(api, session, cycle, org,
                                                                       today):
    api.login("reviewer")
    response = api.post(REVIEWS, json={"credit_code": org.credit_code.lower(), "year": 2025})
    assert response.status_code == 201
    assert response.get_json()["received_on"] == today.isoformat()


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"credit_code", "year"}),
    ({"credit_code": 51110000, "year": "2025"}, {"credit_code", "year"}),
    ({"credit_code": "51110000MJ0101505X", "year": 2025}, {"credit_code"}),
    ({"credit_code": "", "year": True, "received_on": "03/02/2026"},
     {"credit_code", "year", "received_on"}),
    ({"credit_code": "ORG", "year": 2025, "received_on": "2026-02-30"}, {"received_on"}),
    ({"credit_code": "ORG", "year": 2019}, {"year"}),
    ({"credit_code": "ORG", "year": 2025, "received_on": "2099-01-01"}, {"received_on"}),
    ({"credit_code": "ORG", "year": 2025, "received_on": "2025-12-31"}, {"received_on"}),
    ({"credit_code": "91350100M000100Y43", "year": 2025}, {"credit_code"}),  # not in directory
])
def test_intake_reports_every_bad_field_and_stores_nothing(api, session, cycle, org, body,
                                                           fields):
    api.login("frontdesk")
    if body.get("credit_code") == "ORG":
        body = {**body, "credit_code": org.credit_code}
    response = api.post(REVIEWS, json=body)
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == fields
    assert _count(session) == 0


def test_second_live_intake_for_the_year_is_a_conflict(api, session, cycle, org):
    api.login("frontdesk")
    body = {"credit_code": org.credit_code, "year": 2025}
    assert api.post(REVIEWS, json=body).status_code == 201
    response = api.post(REVIEWS, json=body)
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"
    assert set(error_of(response)["fields"]) == {"credit_code"}
    assert _count(session) == 1


@pytest.mark.parametrize(("data", "kwargs"), [
    ("credit_code=x", {"content_type": "application/x-www-form-urlencoded"}),
    ("[1, 2]", {"content_type": "application/json"}),
    ("{not json", {"content_type": "application/json"}),
])
def test_intake_that_is_not_a_json_object_is_a_bad_request(api, session, cycle, data, kwargs):
    api.login("frontdesk")
    response = api.post(REVIEWS, data=data, **kwargs)
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


@pytest.mark.parametrize("role", ["org", "platform", "supervisor"])
def test_intake_is_for_staff(api, session, cycle, org, role):
    api.login(role)
    response = api.post(REVIEWS, json={"credit_code": org.credit_code, "year": 2025})
    assert response.status_code == 403
    assert _count(session) == 0


def test_unknown_submission_is_404(api, session):
    api.login("manager")
    assert error_of(api.get(f"{REVIEWS}/4242"))["code"] == "not_found"


# --- the public status lookup --------------------------------------------------------------------

def test_status_is_public_and_shows_reasons_with_guidance(client, session, cycle, org, today):
    submission = make_submission(session, organization=org, state="returned",
                                 received_on=today, reasons=("signature_seal", "late"),
                                 comment="请补盖公章")
    session.commit()
    response = _status(client, submission)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["status_label"]) == ("returned", "已退回，请修改后重新提交")
    assert [r["code"] for r in body["reasons"]] == ["signature_seal", "late"]
    assert body["reasons"][0]["label"] == "缺少签字或盖章" and body["reasons"][0]["guidance"]
    assert body["comment"] == "请补盖公章"
    assert body["correction_due_on"] == submission.correction_due_on.isoformat()
    assert body["updated_at"].endswith("+08:00")
    assert org.name not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert session.scalar(select(ReviewEnquiry.source)) == "lookup"


def test_status_of_a_waiting_report_gives_its_place_in_the_queue(client, session, cycle, today):
    first = make_submission(session, received_on=today - timedelta(days=1))
    second = make_submission(session, received_on=today)
    session.commit()
    body = _status(client, second).get_json()
    assert (body["status"], body["queue_position"], body["reasons"]) == ("received", 2, [])
    assert body["due_on"] == second.due_on.isoformat()
    assert _status(client, first).get_json()["queue_position"] == 1


def test_status_wrong_pair_answers_exactly_like_an_unknown_receipt(client, session, cycle, org,
                                                                   today):
    make_submission(session, organization=org, received_on=today)
    other = make_submission(session, received_on=today)
    session.commit()
    wrong = client.get(STATUS, query_string={"credit_code": org.credit_code,
                                             "receipt_no": other.receipt_no})
    unknown = client.get(STATUS, query_string={"credit_code": org.credit_code,
                                               "receipt_no": "2025-ZZZZZZZZ"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_data() == unknown.get_data()
    assert error_of(wrong)["code"] == "not_found"


@pytest.mark.parametrize(("params", "fields"), [
    ({}, {"credit_code", "receipt_no"}),
    ({"credit_code": "123", "receipt_no": "2025-ABCDEFGH"}, {"credit_code"}),
    ({"credit_code": "51110000MJ0101505U", "receipt_no": "%%%"}, {"receipt_no"}),
])
def test_status_with_malformed_parameters_is_a_bad_request(client, params, fields):
    response = client.get(STATUS, query_string=params)
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == fields


def test_status_lookups_are_rate_limited_per_address(app, client, session, cycle, org, today):
    app.config["REVIEW_LOOKUP_PER_MINUTE"] = 3
    submission = make_submission(session, organization=org, received_on=today)
    session.commit()
    assert [_status(client, submission).status_code for _n in range(3)] == [200] * 3
    response = _status(client, submission)
    assert response.status_code == 429
    assert error_of(response)["code"] == "too_many_requests"
    assert "分钟后再试" in error_of(response)["message"]
    assert int(response.headers["Retry-After"]) >= 1
    other = client.get(STATUS, query_string={"credit_code": org.credit_code,
                                             "receipt_no": submission.receipt_no},
                       environ_base={"REMOTE_ADDR": "203.0.113.50"})
    assert other.status_code == 200


def test_withdrawn_intake_is_not_found_by_status(client, session, cycle, org, today):
    submission = make_submission(session, organization=org, state="withdrawn", received_on=today)
    session.commit()
    assert _status(client, submission).status_code == 404


# --- claim, return, pass -------------------------------------------------------------------------

def test_claim_gives_the_item_due_first_then_204(api, session, cycle, today):
    later = make_submission(session, received_on=today)
    first = make_submission(session, received_on=today - timedelta(days=3))
    session.commit()
    reviewer = api.login("reviewer")
    items = [api.post(CLAIM) for _n in range(3)]
    assert [r.status_code for r in items] == [200, 200, 204]
    assert [r.get_json()["id"] for r in items[:2]] == [first.id, later.id]
    assert items[0].get_json()["status"] == "in_review"
    assert items[0].get_json()["claimed_by_id"] == reviewer.id
    assert items[2].get_data() == b""


@pytest.mark.parametrize("role", ["frontdesk", "org", "supervisor"])
def test_only_reviewers_claim(api, session, cycle, today, role):
    make_submission(session, received_on=today)
    session.commit()
    api.login(role)
    assert api.post(CLAIM).status_code == 403


def test_return_with_reasons_and_comment(api, session, cycle, today):
    submission = make_submission(session, received_on=today)
    session.commit()
    api.login("reviewer")
    api.post(CLAIM)
    response = api.post(f"{REVIEWS}/{submission.id}/return",
                        json={"reasons": ["signature_seal", "arithmetic"], "comment": "缺公章"})
    assert response.status_code == 200, response.get_json()
    item = response.get_json()
    assert (item["status"], item["due_on"], item["return_count"]) == ("returned", None, 1)
    assert item["correction_due_on"] > today.isoformat()
    event = session.scalar(select(ReviewEvent).where(ReviewEvent.kind == "returned"))
    assert (event.reason_list, event.comment) == (["signature_seal", "arithmetic"], "缺公章")


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"reasons"}),
    ({"reasons": []}, {"reasons"}),
    ({"reasons": "signature_seal"}, {"reasons"}),
    ({"reasons": [1, 2]}, {"reasons"}),
    ({"reasons": ["no_such_reason"]}, {"reasons"}),
    ({"reasons": ["late"], "comment": ["x"]}, {"comment"}),
    ({"reasons": ["late"], "comment": "长" * 2001}, {"comment"}),
])
def test_return_refuses_bad_reasons_and_comments(api, session, cycle, today, body, fields):
    submission = make_submission(session, received_on=today)
    session.commit()
    api.login("reviewer")
    api.post(CLAIM)
    reviews.seed_return_reasons(session)
    session.commit()
    response = api.post(f"{REVIEWS}/{submission.id}/return", json=body)
    assert response.status_code == 422, response.get_json()
    assert set(error_of(response)["fields"]) == fields
    session.expire_all()
    assert session.get(Submission, submission.id).state == "in_review"


def test_acting_on_an_item_held_by_someone_else_is_forbidden(api, session, cycle, today):
    other = make_user(session, role="reviewer")
    submission = make_submission(session, state="in_review", reviewer=other, received_on=today)
    session.commit()
    api.login("reviewer")
    for url, body in ((f"{REVIEWS}/{submission.id}/return", {"reasons": ["late"]}),
                      (f"{REVIEWS}/{submission.id}/pass", {})):
        response = api.post(url, json=body)
        assert response.status_code == 403, response.get_json()
        assert error_of(response)["code"] == "forbidden"
    session.expire_all()
    assert session.get(Submission, submission.id).claimed_by_id == other.id


def test_pass_then_pass_again_is_a_conflict(api, session, cycle, today):
    submission = make_submission(session, received_on=today)
    session.commit()
    api.login("reviewer")
    api.post(CLAIM)
    first = api.post(f"{REVIEWS}/{submission.id}/pass")
    assert first.status_code == 200 and first.get_json()["status"] == "passed"
    second = api.post(f"{REVIEWS}/{submission.id}/pass", json={"comment": "再次"})
    assert second.status_code == 409
    assert error_of(second)["code"] == "conflict"
    assert session.scalar(select(func.count()).select_from(ReviewEvent)
                          .where(ReviewEvent.kind == "passed")) == 1


def test_returning_an_item_nobody_claimed_is_a_conflict(api, session, cycle, today):
    submission = make_submission(session, received_on=today)
    session.commit()
    api.login("reviewer")
    response = api.post(f"{REVIEWS}/{submission.id}/return", json={"reasons": ["late"]})
    assert response.status_code == 409


def test_pass_with_a_comment_and_unknown_items(api, session, cycle, today):
    submission = make_submission(session, received_on=today)
    session.commit()
    api.login("manager")
    api.post(CLAIM)
    bad = api.post(f"{REVIEWS}/{submission.id}/pass", json={"comment": 5})
    assert bad.status_code == 422 and set(error_of(bad)["fields"]) == {"comment"}
    assert api.post(f"{REVIEWS}/{submission.id}/pass", json={"comment": "齐全"}).status_code \
        == 200
    assert api.post(f"{REVIEWS}/999999/pass").status_code == 404
    assert api.post(f"{REVIEWS}/999999/return", json={"reasons": ["late"]}).status_code == 404


# --- the documentation matches the answers -------------------------------------------------------

def _conforms(document, schema_name, instance):
    from openapi_schema_validator import OAS31Validator
    schema = {"components": document["components"],
              "$ref": f"#/components/schemas/{schema_name}"}
    OAS31Validator(schema, format_checker=OAS31Validator.FORMAT_CHECKER).validate(instance)


def test_answers_match_their_documented_schemas(api, client, session, cycle, org, today):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["paths"]["/reviews/status"]["get"]["x-roles"] == "public"
    assert document["paths"]["/reviews/status"]["get"]["security"] == []
    api.login("reviewer")
    created = api.post(REVIEWS, json={"credit_code": org.credit_code, "year": 2025})
    _conforms(document, "Review", created.get_json())
    submission = session.get(Submission, created.get_json()["id"])
    _conforms(document, "ReviewStatus", _status(client, submission).get_json())
    claimed = api.post(CLAIM)
    _conforms(document, "Review", claimed.get_json())
    returned = api.post(f"{REVIEWS}/{submission.id}/return", json={"reasons": ["late"]})
    _conforms(document, "Review", returned.get_json())
    _conforms(document, "ReviewStatus", _status(client, submission).get_json())
    for bad in (api.post(REVIEWS, json={}), _status(client, submission, receipt_no="x"),
                client.get(STATUS, query_string={"credit_code": org.credit_code,
                                                 "receipt_no": "2025-ZZZZZZZZ"})):
        _conforms(document, "Error", bad.get_json())


def test_documented_state_codes_are_the_issue_contract(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["PublicReviewState"]["enum"] == ["received", "in_review", "returned",
                                                    "resubmitted", "passed", "forwarded"]
    assert {"status", "status_label", "reasons", "updated_at"} <= set(
        schemas["ReviewStatus"]["required"])
    assert {"id", "receipt_no", "status", "due_on"} <= set(schemas["Review"]["required"])
