"""/api/v1/platform-posts and /api/v1/matches: the contract of the issue, every bad input
refused by field with nothing stored, object-level access (404 for what the caller may not know
exists, 403 for what it may see but not change), and the answers against their schemas."""
import pytest
from sqlalchemy import func, select

from center.models.audit import AuditEntry
from center.models.liaison import Match, Post
from center.services import accounts, liaison
from tests.api.conftest import error_of
from tests.factories import make_platform, make_region, make_user

POSTS, MATCHES = "/api/v1/platform-posts", "/api/v1/matches"


class Caller:
    """A user with an API token; requests send it."""

    def __init__(self, client, session, user):
        self.client, self.user = client, user
        self.token = accounts.issue_token(session, user)

    def _headers(self):
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, url, **kwargs):
        return self.client.get(url, headers=self._headers(), **kwargs)

    def post(self, url, **kwargs):
        return self.client.post(url, headers=self._headers(), **kwargs)


@pytest.fixture
def world(client, session):
    """Chaoyang (110105) with two streets, Haidian; a platform and a token on each, the center's
    front desk and the supervising office."""
    city = make_region(session, tier="city", code="110000", name="北京市")
    chaoyang = make_region(session, code="110105", name="朝阳区", parent=city)
    street = make_region(session, tier="street", code="110105001", name="建外街道",
                         parent=chaoyang)
    other_street = make_region(session, tier="street", code="110105002", name="朝外街道",
                               parent=chaoyang)
    haidian = make_region(session, code="110108", name="海淀区", parent=city)
    regions = {"street": street, "neighbour": other_street, "district": chaoyang, "far": haidian}
    callers = {}
    for key, region in regions.items():
        platform = make_platform(session, region=region, name=f"{region.name}平台")
        callers[key] = Caller(client, session,
                              make_user(session, role="platform", platform=platform))
    for role in ("frontdesk", "supervisor"):
        callers[role] = Caller(client, session, make_user(session, role=role))
    session.commit()
    return callers


def body(**overrides) -> dict:
    return {"kind": "need", "category": "trainer", "title": "财务管理培训讲师",
            "description": "为街道社区社会组织开展财务管理培训，需要讲师两名。", "quantity": 2,
            "starts_on": "2026-12-01", "ends_on": "2026-12-31", "publish": True, **overrides}


def stored(session, model=Post) -> int:
    return session.scalar(select(func.count()).select_from(model))


def created(caller, **overrides) -> dict:
    response = caller.post(POSTS, json=body(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _conforms(client, schema_name, instance):
    from openapi_schema_validator import OAS31Validator
    document = client.get("/api/v1/openapi.json").get_json()
    schema = {"components": document["components"],
              "$ref": f"#/components/schemas/{schema_name}"}
    OAS31Validator(schema, format_checker=OAS31Validator.FORMAT_CHECKER).validate(instance)


# --- posting ---------------------------------------------------------------------------------

def test_a_platform_posts_a_published_need_and_gets_its_id_and_status(client, session, world):
    response = world["street"].post(POSTS, json=body())
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert (item["status"], item["kind"], item["category"]) == ("published", "need", "trainer")
    assert isinstance(item["id"], int) and item["published_at"]
    assert (item["platform_name"], item["region_code"], item["quantity"]) == (
        "建外街道平台", "110105001", 2)
    assert (item["category_label"], item["status_label"]) == ("师资", "已发布")
    assert response.headers["Location"].endswith(f"{POSTS}/{item['id']}")
    assert world["street"].get(response.headers["Location"]).get_json() == item
    _conforms(client, "PlatformPost", item)
    post = session.get(Post, item["id"])
    assert post.platform_id == world["street"].user.platform_id
    assert "财务" in post.search_text.split()


def test_without_publish_the_post_is_a_draft_and_publishing_puts_it_on_the_board(world):
    item = created(world["street"], publish=False)
    assert (item["status"], item["published_at"]) == ("draft", None)
    published = world["street"].post(f"{POSTS}/{item['id']}/publish")
    assert published.status_code == 200
    assert published.get_json()["status"] == "published"
    again = world["street"].post(f"{POSTS}/{item['id']}/publish")
    assert (again.status_code, error_of(again)["code"]) == (409, "conflict")


def test_every_bad_field_is_reported_at_once_and_nothing_is_stored(session, world):
    response = world["street"].post(POSTS, json=body(
        kind="want", category="money", title=" ", quantity="2", starts_on="2026-12-10",
        ends_on="2026/12/31", publish="yes", description=["x"], region_code="999999"))
    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert set(fields) == {"kind", "category", "title", "quantity", "ends_on", "publish",
                           "description", "region_code"}
    assert stored(session) == 0


def test_an_unknown_category_is_refused_with_the_known_ones_named(session, world):
    response = world["street"].post(POSTS, json=body(category="money"))
    error = error_of(response)
    assert (response.status_code, error["code"]) == (422, "validation_error")
    assert set(error["fields"]) == {"category"} and "师资" in error["fields"]["category"]
    assert stored(session) == 0


def test_a_window_ending_before_it_starts_is_refused(session, world):
    response = world["street"].post(POSTS, json=body(starts_on="2026-12-10",
                                                     ends_on="2026-12-01"))
    assert response.status_code == 422
    assert error_of(response)["fields"] == {"ends_on": "结束日期不能早于开始日期。"}
    assert stored(session) == 0


@pytest.mark.parametrize("payload, content_type", [("not json", "application/json"),
                                                   ("[1, 2]", "application/json"),
                                                   ('{"kind": "need"}', "text/plain")])
def test_a_body_that_is_not_a_json_object_is_a_bad_request(session, world, payload,
                                                             content_type):
    response = world["street"].post(POSTS, data=payload, content_type=content_type)
    assert (response.status_code, error_of(response)["code"]) == (400, "bad_request")
    assert stored(session) == 0


def test_a_platform_token_cannot_post_for_another_platform(session, world):
    other = world["far"].user.platform_id
    response = world["street"].post(POSTS, json=body(platform_id=other))
    assert (response.status_code, error_of(response)["code"]) == (403, "forbidden")
    assert stored(session) == 0


def test_the_center_posts_for_a_named_platform_only(session, world):
    missing = world["frontdesk"].post(POSTS, json=body())
    assert set(error_of(missing)["fields"]) == {"platform_id"}
    item = created(world["frontdesk"], platform_id=world["far"].user.platform_id)
    assert (item["platform_id"], item["region_code"]) == (world["far"].user.platform_id, "110108")


def test_the_supervising_office_reads_but_does_not_post(session, world):
    created(world["street"])
    assert world["supervisor"].get(POSTS).get_json()["total"] == 1
    response = world["supervisor"].post(POSTS, json=body())
    assert (response.status_code, error_of(response)["code"]) == (403, "forbidden")


def test_a_deactivated_users_token_is_refused(session, world):
    world["street"].user.is_active = False
    session.commit()
    for response in (world["street"].get(POSTS), world["street"].post(POSTS, json=body())):
        assert (response.status_code, error_of(response)["code"]) == (401, "unauthorized")
    assert stored(session) == 0


# --- object-level access to posts ------------------------------------------------------------

def test_another_platforms_draft_answers_404_everywhere(session, world):
    draft = created(world["street"], publish=False)
    for url in (f"{POSTS}/{draft['id']}", f"{POSTS}/{draft['id']}/matches"):
        assert world["far"].get(url).status_code == 404
        assert world["supervisor"].get(url).status_code == 404
    for action in ("publish", "close"):
        response = world["far"].post(f"{POSTS}/{draft['id']}/{action}")
        assert (response.status_code, error_of(response)["code"]) == (404, "not_found")
    assert draft["id"] not in [p["id"] for p in world["far"].get(POSTS).get_json()["items"]]
    assert world["frontdesk"].get(f"{POSTS}/{draft['id']}").status_code == 200
    assert session.get(Post, draft["id"]).state == "draft"


def test_another_platforms_published_post_is_readable_but_not_changeable(session, world):
    post = created(world["street"])
    assert world["far"].get(f"{POSTS}/{post['id']}").status_code == 200
    for action in ("close", "publish"):
        response = world["far"].post(f"{POSTS}/{post['id']}/{action}")
        assert (response.status_code, error_of(response)["code"]) == (403, "forbidden")
    assert session.get(Post, post["id"]).state == "published"
    closed = world["street"].post(f"{POSTS}/{post['id']}/close")
    assert closed.get_json()["status"] == "closed"


# --- listing ---------------------------------------------------------------------------------

def test_the_list_filters_by_kind_category_and_region_with_its_streets(client, world):
    need = created(world["street"])
    offer = created(world["neighbour"], kind="offer")
    venue = created(world["far"], kind="offer", category="venue", title="会议室")
    created(world["far"], publish=False, title="海淀草稿")

    def ids(caller, **params):
        response = caller.get(POSTS, query_string=params)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert ids(world["street"]) == [venue["id"], offer["id"], need["id"]]
    assert ids(world["street"], kind="offer") == [venue["id"], offer["id"]]
    assert ids(world["street"], category="trainer") == [offer["id"], need["id"]]
    assert ids(world["street"], region="110105") == [offer["id"], need["id"]]
    assert ids(world["street"], region="110105001") == [need["id"]]
    assert len(ids(world["far"], region="110108")) == 2  # its own draft too
    page = world["street"].get(POSTS, query_string={"per_page": 2, "page": 2}).get_json()
    assert (page["total"], page["page"], [i["id"] for i in page["items"]]) == (
        3, 2, [need["id"]])
    _conforms(client, "PlatformPostPage", page)


@pytest.mark.parametrize("params, field", [({"category": "money"}, "category"),
                                           ({"kind": "want"}, "kind"),
                                           ({"region": "999999"}, "region"),
                                           ({"status": "gone"}, "status"),
                                           ({"per_page": "1000"}, "per_page")])
def test_a_bad_list_parameter_is_a_bad_request(world, params, field):
    response = world["street"].get(POSTS, query_string=params)
    error = error_of(response)
    assert (response.status_code, error["code"], list(error["fields"])) == (
        400, "bad_request", [field])


# --- ranked offers ---------------------------------------------------------------------------

def test_a_need_lists_ranked_offers_with_score_and_reasons(client, session, world):
    twin = Caller(client, session, make_user(session, role="platform", platform=make_platform(
        session, region=world["street"].user.platform.region)))
    session.commit()
    need = created(world["street"], title="财务管理培训讲师")
    near = created(world["neighbour"], kind="offer", title="财务培训讲师")
    same = created(twin, kind="offer", title="财务讲师")
    created(world["street"], kind="offer", title="财务培训讲师")  # the need's own: not offered
    far = created(world["far"], kind="offer", title="财务培训讲师")
    created(world["far"], kind="offer", category="venue", title="财务培训教室")
    created(world["far"], kind="offer", starts_on="2027-02-01", ends_on="2027-02-28")
    response = world["far"].get(f"{POSTS}/{need['id']}/matches")
    assert response.status_code == 200
    ranked = response.get_json()
    assert ranked["need_id"] == need["id"]
    assert [r["offer"]["id"] for r in ranked["items"]] == [same["id"], near["id"], far["id"]]
    scores = [r["score"] for r in ranked["items"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores)
    assert "同一街道" in ranked["items"][0]["reasons"]
    _conforms(client, "RankedOffers", ranked)
    english = Caller(client, session, make_user(
        session, role="platform", platform=world["far"].user.platform, locale="en"))
    session.commit()
    first = english.get(f"{POSTS}/{need['id']}/matches").get_json()["items"][0]
    assert "Same street" in first["reasons"] and first["reason_codes"][0]["code"] == "street"
    assert [r["code"] for r in first["reason_codes"]] == ["street", "overlap", "text"]
    limited = world["far"].get(f"{POSTS}/{need['id']}/matches", query_string={"limit": 1})
    assert len(limited.get_json()["items"]) == 1


def test_a_match_proposed_in_chinese_reads_in_english_for_an_english_caller(client, session,
                                                                            world, pair):
    need, offer = pair
    match = proposed(world["street"], need, offer)  # a Chinese-speaking platform proposes
    assert session.get(Match, match["id"]).reason.startswith("city;")  # language-neutral
    english = Caller(client, session, make_user(
        session, role="platform", platform=world["far"].user.platform, locale="en"))
    session.commit()
    seen = english.get(f"{MATCHES}/{match['id']}").get_json()
    assert seen["reason"].startswith("Across the city; ") and "Text similarity" in seen["reason"]
    assert seen["reason_codes"] == match["reason_codes"]
    _conforms(client, "Match", seen)
    session.get(Match, match["id"]).reason = "全市范围；时间重叠 31 天"  # stored before: as is
    session.commit()
    old = english.get(f"{MATCHES}/{match['id']}").get_json()
    assert (old["reason"], old["reason_codes"]) == ("全市范围；时间重叠 31 天", None)
    _conforms(client, "Match", old)


def test_ranked_offers_are_only_for_a_need_and_limit_is_checked(world):
    offer = created(world["street"], kind="offer")
    assert world["street"].get(f"{POSTS}/{offer['id']}/matches").status_code == 422
    need = created(world["street"])
    bad = world["street"].get(f"{POSTS}/{need['id']}/matches", query_string={"limit": "0"})
    assert (bad.status_code, list(error_of(bad)["fields"])) == (400, ["limit"])


# --- matches ---------------------------------------------------------------------------------

@pytest.fixture
def pair(world):
    """A published need of the street platform and an offer of Haidian's."""
    return created(world["street"]), created(world["far"], kind="offer", title="财务培训讲师")


def proposed(caller, need, offer, **extra) -> dict:
    response = caller.post(MATCHES, json={"need_id": need["id"], "offer_id": offer["id"],
                                          "note": "请联系王老师", **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_match_is_proposed_accepted_and_completed_by_the_two_platforms(client, session,
                                                                          world, pair):
    need, offer = pair
    match = proposed(world["street"], need, offer)
    assert (match["status"], match["proposed_by"], match["note"]) == (
        "proposed", "platform", "请联系王老师")
    assert match["proposed_by_platform_id"] == world["street"].user.platform_id
    assert 0 <= match["score"] <= 100 and "全市范围" in match["reason"]
    assert match["reason_codes"][0] == {"code": "city", "value": None}
    _conforms(client, "Match", match)
    url = f"{MATCHES}/{match['id']}"
    assert world["far"].get(url).get_json()["status"] == "proposed"  # both sides see it
    accepted = world["far"].post(f"{url}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["status"] == "accepted"
    assert world["street"].get(f"{POSTS}/{need['id']}").get_json()["status"] == "matched"
    done = world["street"].post(f"{url}/complete", json={"outcome": "培训已举办，40 人参加"})
    assert (done.get_json()["status"], done.get_json()["outcome"]) == (
        "completed", "培训已举办，40 人参加")
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.table_name == "liaison_matches",
        AuditEntry.record_id == str(match["id"]))).all()
    assert len(actions) == 3  # proposed, accepted, completed: each audited


def test_accepting_on_the_other_platforms_behalf_is_forbidden(session, world, pair):
    need, offer = pair
    match = proposed(world["street"], need, offer)
    for key in ("street", "frontdesk"):  # the proposer itself, the center
        response = world[key].post(f"{MATCHES}/{match['id']}/accept")
        assert (response.status_code, error_of(response)["code"]) == (403, "forbidden")
    assert session.get(Match, match["id"]).state == "proposed"


def test_a_match_of_two_other_platforms_answers_404(session, world, pair):
    need, offer = pair
    match = proposed(world["frontdesk"], need, offer)
    assert match["proposed_by"] == "center"
    url = f"{MATCHES}/{match['id']}"
    for response in (world["neighbour"].get(url), world["neighbour"].post(f"{url}/accept"),
                     world["neighbour"].post(f"{url}/decline"),
                     world["neighbour"].post(f"{url}/complete")):
        assert (response.status_code, error_of(response)["code"]) == (404, "not_found")
    assert world["supervisor"].get(url).status_code == 403  # not a role of matches
    assert session.get(Match, match["id"]).state == "proposed"
    assert world["far"].post(f"{url}/accept").status_code == 200  # the offer's side accepts


def test_proposing_for_two_other_platforms_posts_is_forbidden(session, world, pair):
    need, offer = pair
    response = world["neighbour"].post(MATCHES, json={"need_id": need["id"],
                                                      "offer_id": offer["id"]})
    assert (response.status_code, error_of(response)["code"]) == (403, "forbidden")
    assert stored(session, Match) == 0


def test_proposing_with_another_platforms_draft_answers_404(session, world, pair):
    need, _offer = pair
    draft = created(world["far"], kind="offer", publish=False)
    response = world["street"].post(MATCHES, json={"need_id": need["id"],
                                                   "offer_id": draft["id"]})
    assert (response.status_code, error_of(response)["code"]) == (404, "not_found")
    assert stored(session, Match) == 0


def test_bad_match_input_and_wrong_transitions(session, world, pair):
    need, offer = pair
    bad = world["street"].post(MATCHES, json={"need_id": "1", "offer_id": True, "note": 5})
    assert (bad.status_code, set(error_of(bad)["fields"])) == (
        422, {"need_id", "offer_id", "note"})
    swapped = world["street"].post(MATCHES, json={"need_id": offer["id"],
                                                  "offer_id": need["id"]})
    assert swapped.status_code == 422
    assert stored(session, Match) == 0
    match = proposed(world["street"], need, offer)
    twice = world["far"].post(MATCHES, json={"need_id": need["id"], "offer_id": offer["id"]})
    assert (twice.status_code, error_of(twice)["code"]) == (409, "conflict")
    early = world["street"].post(f"{MATCHES}/{match['id']}/complete")
    assert (early.status_code, error_of(early)["code"]) == (409, "conflict")
    odd = world["far"].post(f"{MATCHES}/{match['id']}/decline", json={"outcome": 3})
    assert (odd.status_code, list(error_of(odd)["fields"])) == (422, ["outcome"])
    declined = world["far"].post(f"{MATCHES}/{match['id']}/decline", json={"outcome": "时间不合适"})
    assert declined.get_json()["status"] == "declined"
    assert world["street"].get(f"{MATCHES}/999999").status_code == 404


def test_a_proposal_of_a_post_that_is_not_published_is_a_conflict(session, world, pair):
    need, offer = pair
    liaison.close(session, session.get(Post, offer["id"]), actor=world["far"].user)
    session.commit()
    response = world["street"].post(MATCHES, json={"need_id": need["id"],
                                                   "offer_id": offer["id"]})
    assert (response.status_code, error_of(response)["code"]) == (409, "conflict")


# --- review fixes ----------------------------------------------------------------------------

def test_publishing_at_once_with_an_expiry_day_past_is_refused(session, world):
    response = world["street"].post(POSTS, json=body(publish=True, expires_on="2000-01-01"))
    assert (response.status_code, list(error_of(response)["fields"])) == (422, ["expires_on"])
    both = world["street"].post(POSTS, json=body(expires_on="2000-01-01", title=" "))
    assert (both.status_code, set(error_of(both)["fields"])) == (422, {"expires_on", "title"})
    assert stored(session) == 0


def test_a_token_of_an_archived_platform_cannot_post(session, world):
    from center.models.base import utcnow
    world["street"].user.platform.archived_at = utcnow()
    session.commit()
    response = world["street"].post(POSTS, json=body())
    assert (response.status_code, error_of(response)["code"]) == (403, "forbidden")
    assert "归档" in error_of(response)["message"]
    assert stored(session) == 0


def test_a_unicode_digit_as_limit_is_a_bad_request(world):
    need = created(world["street"])
    response = world["street"].get(f"{POSTS}/{need['id']}/matches", query_string={"limit": "²"})
    assert (response.status_code, list(error_of(response)["fields"])) == (400, ["limit"])


def test_control_characters_in_a_note_or_outcome_are_refused(session, world, pair):
    need, offer = pair
    bad = world["street"].post(MATCHES, json={"need_id": need["id"], "offer_id": offer["id"],
                                              "note": "请\x07联系"})
    assert (bad.status_code, list(error_of(bad)["fields"])) == (422, ["note"])
    assert stored(session, Match) == 0
    match = proposed(world["street"], need, offer)
    odd = world["far"].post(f"{MATCHES}/{match['id']}/decline", json={"outcome": "不\x00合适"})
    assert (odd.status_code, list(error_of(odd)["fields"])) == (422, ["outcome"])


def test_accepting_after_the_offer_was_closed_is_a_conflict(session, world, pair):
    need, offer = pair
    match = proposed(world["street"], need, offer)
    session.get(Post, offer["id"]).state = "closed"  # closed behind the proposal's back
    session.commit()
    response = world["far"].post(f"{MATCHES}/{match['id']}/accept")
    assert (response.status_code, error_of(response)["code"]) == (409, "conflict")
