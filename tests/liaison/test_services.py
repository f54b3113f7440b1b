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
    _platforms, users = world
    need = _post(session, users["street"], kind="need", title="财务管理培训讲师",
                 starts_on="2026-12-01", ends_on="2026-12-31")
    near = _post(session, users["neighbour"], title="财务培训讲师")  # same district
    far = _post(session, users["far"], title="财务培训讲师")  # elsewhere in the city
    same = _post(session, users["street"], title="财务讲师")  # same street, less similar text
    _post(session, users["far"], title="财务培训讲师", starts_on="2027-02-01")  # no overlap
    _post(session, users["far"], title="财务培训讲师", category="venue")  # another category
    session.commit()
    ranked = matches.ranked_offers(session, need)
    assert [r.offer for r in ranked] == [same, near, far]
    assert "同一街道" in ranked[0].reasons and "同一区" in ranked[1].reasons
    assert ranked[0].score > ranked[1].score > ranked[2].score


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
