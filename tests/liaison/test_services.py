"""Liaison services: who sees and changes a post, validation, ranking offers for a need, and a
match's transitions with their access rules."""
import pytest

from center.models.liaison import Post
from center.services import liaison, liaison_matches as matches
from center.services.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from tests.factories import make_platform, make_region, make_user


@pytest.fixture
def world(session):
    city = make_region(session, tier="city")
    chaoyang = make_region(session, tier="district", parent=city)
    street = make_region(session, tier="street", parent=chaoyang)
    other_street = make_region(session, tier="street", parent=chaoyang)
    haidian = make_region(session, tier="district", parent=city)
    platforms = {"street": make_platform(session, region=street),
                 "neighbour": make_platform(session, region=other_street),
                 "district": make_platform(session, region=chaoyang),
                 "far": make_platform(session, region=haidian)}
    users = {key: make_user(session, role="platform", platform=p) for key, p in platforms.items()}
    users["center"] = make_user(session, role="frontdesk")
    users["supervisor"] = make_user(session, role="supervisor")
    session.commit()
    return platforms, users


def _post(session, user, **data):
    data = {"kind": "offer", "category": "trainer", "title": "财务培训讲师", **data}
    publish = data.pop("publish", True)
    return liaison.create_post(session, data, actor=user, publish=publish)


def test_a_draft_is_seen_only_by_its_platform_and_the_center(session, world):
    _platforms, users = world
    draft = _post(session, users["street"], publish=False)
    session.commit()
    for key in ("street", "center"):
        assert liaison.visible_post(session, draft.id, users[key]) is draft
    for key in ("district", "supervisor"):
        with pytest.raises(NotFoundError):
            liaison.visible_post(session, draft.id, users[key])
    assert draft.id not in {p.id for p in session.scalars(liaison.visible_posts(users["far"]))}


def test_another_platforms_published_post_is_visible_but_not_editable(session, world):
    _platforms, users = world
    post = _post(session, users["street"])
    session.commit()
    assert liaison.visible_post(session, post.id, users["far"]) is post
    with pytest.raises(PermissionDenied):
        liaison.editable_post(session, post.id, users["far"])
    with pytest.raises(PermissionDenied):
        liaison.close(session, post, actor=users["far"])
    assert liaison.editable_post(session, post.id, users["center"]) is post


def test_bad_post_input_is_reported_field_by_field_and_nothing_is_stored(session, world):
    _platforms, users = world
    with pytest.raises(ValidationError) as error:
        _post(session, users["street"], kind="want", category="money", title=" ",
              starts_on="2026-12-10", ends_on="2026-12-01", quantity=-3)
    assert set(error.value.fields) == {"kind", "category", "title", "ends_on", "quantity"}
    session.rollback()
    assert session.query(Post).count() == 0


def test_offers_rank_by_place_then_time_overlap_and_text(session, world):
    platforms, users = world
    twin = make_user(session, role="platform",
                     platform=make_platform(session, region=platforms["street"].region))
    need = _post(session, users["street"], kind="need", title="财务管理培训讲师",
                 starts_on="2026-12-01", ends_on="2026-12-31")
    near = _post(session, users["neighbour"], title="财务培训讲师")  # same district
    far = _post(session, users["far"], title="财务培训讲师")  # elsewhere in the city
    same = _post(session, twin, title="财务讲师")  # same street, less similar text
    _post(session, users["street"], title="财务培训讲师")  # the need's own platform: not offered
    _post(session, users["far"], title="财务培训讲师", starts_on="2027-02-01")  # no overlap
    _post(session, users["far"], title="财务培训讲师", category="venue")  # another category
    session.commit()
    ranked = matches.ranked_offers(session, need)
    assert [r.offer for r in ranked] == [same, near, far]
    assert "同一街道" in ranked[0].reasons and "同一区" in ranked[1].reasons
    assert ranked[0].score > ranked[1].score > ranked[2].score
    assert [r.parts[0].code for r in ranked] == ["street", "district", "city"]
    assert ranked[0].parts[1] == matches.Reason("anytime")  # the offer has no window
    assert ranked[0].reason == f"street;anytime;text={ranked[0].parts[2].value}"


def test_stored_reasons_are_language_neutral_and_read_in_the_readers_language(app):
    from flask_babel import force_locale

    stored = matches.store_reasons([matches.Reason("street"), matches.Reason("anytime"),
                                    matches.Reason("text", 27)])
    assert stored == "street;anytime;text=27"
    assert matches.parse_reasons(stored) == [matches.Reason("street"),
                                             matches.Reason("anytime"),
                                             matches.Reason("text", 27)]
    with app.test_request_context():
        assert matches.describe_reason(stored) == "同一街道；时间未限定；文本相似度 27%"
        with force_locale("en"):
            assert matches.describe_reason(stored) == \
                "Same street; No time limit; Text similarity 27%"
            assert matches.describe_reason("district;overlap=10;text=0") == \
                "Same district; Time overlap 10 days; Text similarity 0%"
            old = "同一区；时间重叠 10 天；文本相似度 0%"  # a row stored before: shown as it is
            assert matches.parse_reasons(old) is None and matches.describe_reason(old) == old
    assert matches.describe_reason(None) is None and matches.describe_reason("") is None
    assert matches.parse_reasons("street;text=") is None and matches.parse_reasons("x") is None


def test_only_the_other_side_accepts_a_match(session, world):
    _platforms, users = world
    need = _post(session, users["street"], kind="need")
    offer = _post(session, users["district"])
    session.commit()
    match = matches.propose(session, need=need, offer=offer, actor=users["street"])
    session.commit()
    with pytest.raises(PermissionDenied):
        matches.accept(session, match, actor=users["street"])  # on the other's behalf
    with pytest.raises(PermissionDenied):
        matches.accept(session, match, actor=users["far"])
    with pytest.raises(NotFoundError):
        matches.visible_match(session, match.id, users["far"])
    matches.accept(session, match, actor=users["district"])
    session.commit()
    assert (match.state, need.state) == ("accepted", "matched")
    with pytest.raises(ConflictError):
        matches.accept(session, match, actor=users["district"])
    matches.complete(session, match, actor=users["street"], outcome="已完成培训")
    assert match.state == "completed"


def test_a_second_live_match_of_the_same_pair_is_refused(session, world):
    _platforms, users = world
    need, offer = _post(session, users["street"], kind="need"), _post(session, users["far"])
    session.commit()
    matches.propose(session, need=need, offer=offer, actor=users["center"])
    with pytest.raises(ConflictError):
        matches.propose(session, need=need, offer=offer, actor=users["street"])


# --- review fixes: expiry, post states in matches, frozen kind, races, archived platforms ---

def test_the_expiry_job_expires_published_posts_and_leaves_drafts_past_expiry(app, session,
                                                                             world):
    from datetime import datetime, timezone

    from center.services import jobs
    _platforms, users = world
    then = datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc)
    draft = liaison.create_post(session, {"kind": "need", "category": "trainer", "title": "草稿",
                                          "expires_on": "2026-01-10"},
                                actor=users["street"], now=then)
    published = liaison.create_post(session, {"kind": "offer", "category": "trainer",
                                              "title": "已发布", "expires_on": "2026-01-10"},
                                    actor=users["district"], publish=True, now=then)
    need = liaison.create_post(session, {"kind": "need", "category": "trainer", "title": "需求"},
                               actor=users["far"], publish=True, now=then)
    match = matches.propose(session, need=need, offer=published, actor=users["far"], now=then)
    session.commit()
    run = jobs.run_job(session, "liaison_expiry", config=app.config,
                       now=datetime(2026, 2, 1, 2, 0, tzinfo=timezone.utc))
    assert run.status == "ok", run.error
    assert (draft.state, published.state) == ("draft", "expired")
    assert match.state == "declined"  # its offer left the board: the proposal ends
    with pytest.raises(ValidationError):  # and the draft cannot be published any more
        liaison.publish(session, draft, actor=users["street"])


def test_an_expiry_day_in_the_past_is_refused_on_create_and_update(session, world):
    _platforms, users = world
    with pytest.raises(ValidationError) as error:
        _post(session, users["street"], publish=False, expires_on="2000-01-01")
    assert set(error.value.fields) == {"expires_on"}
    with pytest.raises(ValidationError) as error:
        _post(session, users["street"], publish=True, expires_on="2000-01-01")
    assert set(error.value.fields) == {"expires_on"}
    session.rollback()
    post = _post(session, users["street"], publish=False)
    with pytest.raises(ValidationError) as error:
        liaison.update_post(session, post, {"kind": "offer", "category": "trainer",
                                            "title": "改过", "expires_on": "2000-01-01"},
                            actor=users["street"])
    assert set(error.value.fields) == {"expires_on"}


def test_a_match_cannot_be_accepted_once_its_offer_or_need_left_the_board(session, world):
    _platforms, users = world
    need, offer = _post(session, users["street"], kind="need"), _post(session, users["far"])
    match = matches.propose(session, need=need, offer=offer, actor=users["center"])
    session.commit()
    offer.state = "closed"  # as if closed behind the match's back
    with pytest.raises(ConflictError):
        matches.accept(session, match, actor=users["far"])
    offer.state, need.state = "published", "expired"
    with pytest.raises(ConflictError):
        matches.accept(session, match, actor=users["far"])


def test_closing_a_post_declines_its_waiting_proposals_in_the_audit_log(session, world):
    from center.reports.audit import record_history
    _platforms, users = world
    need = _post(session, users["street"], kind="need")
    waiting, taken = _post(session, users["far"]), _post(session, users["district"])
    proposal = matches.propose(session, need=need, offer=waiting, actor=users["street"])
    accepted = matches.propose(session, need=need, offer=taken, actor=users["street"])
    matches.accept(session, accepted, actor=users["district"])
    session.commit()
    liaison.close(session, waiting, actor=users["far"])
    session.commit()
    assert (proposal.state, accepted.state) == ("declined", "accepted")
    assert proposal.decided_at is not None and "自动谢绝" in proposal.outcome
    latest = record_history(session, proposal)[0]
    assert (latest.actor_id, latest.changes["state"]) == (users["far"].id, ["proposed", "declined"])
    with pytest.raises(ConflictError):
        matches.accept(session, proposal, actor=users["far"])


def test_kind_and_category_are_frozen_once_a_post_is_in_a_match(session, world):
    _platforms, users = world
    need, offer = _post(session, users["street"], kind="need"), _post(session, users["far"])
    data = {"kind": "offer", "category": "venue", "title": "改为场地"}
    liaison.update_post(session, offer, dict(data), actor=users["far"])  # no match yet: allowed
    liaison.update_post(session, offer, {**data, "category": "trainer"}, actor=users["far"])
    match = matches.propose(session, need=need, offer=offer, actor=users["street"])
    session.commit()
    with pytest.raises(ConflictError) as error:
        liaison.update_post(session, offer, dict(data), actor=users["far"])
    assert set(error.value.fields) == {"category"}
    with pytest.raises(ConflictError) as error:
        liaison.update_post(session, need, {"kind": "offer", "category": "trainer",
                                            "title": "x"}, actor=users["street"])
    assert set(error.value.fields) == {"kind"}
    session.rollback()
    liaison.update_post(session, offer, {**data, "category": "trainer", "title": "新标题"},
                        actor=users["far"])  # other fields still change
    matches.decline(session, match, actor=users["far"])
    liaison.update_post(session, offer, dict(data), actor=users["far"])  # declined: free again
    assert offer.category == "venue"


def test_a_concurrent_proposal_of_the_same_pair_is_a_conflict_not_a_crash(session, world,
                                                                        monkeypatch):
    from center.models.liaison import Match
    _platforms, users = world
    need, offer = _post(session, users["street"], kind="need"), _post(session, users["far"])
    matches.propose(session, need=need, offer=offer, actor=users["street"])
    session.commit()
    monkeypatch.setattr(matches, "_live_pair", lambda *args: False)  # the check saw nothing
    with pytest.raises(ConflictError):
        matches.propose(session, need=need, offer=offer, actor=users["far"])
    session.commit()  # the session is still usable
    assert session.query(Match).count() == 1


def test_a_platform_cannot_be_matched_with_itself_nor_sees_its_own_offers_ranked(session,
                                                                                 world):
    _platforms, users = world
    need, own = _post(session, users["street"], kind="need"), _post(session, users["street"])
    session.commit()
    assert own not in [r.offer for r in matches.ranked_offers(session, need)]
    for actor in (users["street"], users["center"]):
        with pytest.raises(ValidationError):
            matches.propose(session, need=need, offer=own, actor=actor)


def test_users_of_an_archived_platform_can_no_longer_post_or_publish(session, world):
    from center.models.base import utcnow
    platforms, users = world
    draft = _post(session, users["street"], publish=False)
    platforms["street"].archived_at = utcnow()
    session.commit()
    with pytest.raises(PermissionDenied):
        _post(session, users["street"])
    with pytest.raises(PermissionDenied):
        liaison.publish(session, draft, actor=users["street"])
