"""Match pages: the ranked offers for a need with score and reasons, proposing, the match list,
a match's page with its transitions and timeline, and object-level access on every route."""
import pytest

from center.models.liaison import Match
from center.services import liaison, liaison_matches as matches
from tests.conftest import csrf_from
from tests.factories import make_platform, make_region, make_user


@pytest.fixture
def world(session):
    city = make_region(session, tier="city")
    district = make_region(session, tier="district", parent=city)
    street = make_region(session, tier="street", parent=district)
    far = make_region(session, tier="district", parent=city)
    platforms = {"street": make_platform(session, region=street),
                 "district": make_platform(session, region=district),
                 "far": make_platform(session, region=far)}
    users = {key: make_user(session, role="platform", platform=p) for key, p in platforms.items()}
    users["center"] = make_user(session, role="manager")
    users["supervisor"] = make_user(session, role="supervisor")
    session.commit()
    return users


def _post(session, user, **data):
    data = {"kind": "offer", "category": "trainer", "title": "财务培训讲师", **data}
    publish = data.pop("publish", True)
    post = liaison.create_post(session, data, actor=user, publish=publish)
    session.commit()
    return post


@pytest.fixture
def pair(session, world):
    """A street platform's need and a district platform's offer, both published."""
    need = _post(session, world["street"], kind="need", title="财务管理培训讲师",
                 starts_on="2026-12-01", ends_on="2026-12-31")
    offer = _post(session, world["district"], title="财务培训讲师")
    return need, offer


def _proposed(session, world, pair, by="street"):
    need, offer = pair
    match = matches.propose(session, need=need, offer=offer, actor=world[by])
    session.commit()
    return match


def test_need_matches_shows_ranked_offers_with_score_and_reasons(auth, session, world, pair):
    need, offer = pair
    _post(session, world["far"], title="财务培训讲师")  # elsewhere in the city: ranks lower
    auth.login(world["street"])
    response = auth.client.get(f"/liaison/posts/{need.id}/matches")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "同一区" in html and "全市范围" in html and "文本相似度" in html
    assert html.index("同一区") < html.index("全市范围")
    english = make_user(session, role="platform", platform=world["street"].platform,
                        locale="en")
    session.commit()
    auth.logout()
    auth.login(english)
    html = auth.client.get(f"/liaison/posts/{need.id}/matches").get_data(as_text=True)
    assert "Same district; " in html and "Across the city" in html and "同一区" not in html
    assert f'name="offer_id" value="{offer.id}"' in html


def test_proposing_records_score_and_reason_and_notifies_the_other_side(auth, session, world,
                                                                        pair):
    need, offer = pair
    auth.login(world["street"])
    response = auth.post(f"/liaison/posts/{need.id}/matches/propose",
                         data={"offer_id": str(offer.id), "note": "请联系张老师"})
    assert response.status_code == 302
    match = session.query(Match).one()
    assert (match.state, match.note, match.proposed_by_platform_id) == (
        "proposed", "请联系张老师", need.platform_id)
    assert match.score and match.reason.startswith("district;")  # stored language-neutral
    page = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "待确认" in page and "等待对方平台确认" in page and "处理记录" in page
    assert "同一区" in page and "district;anytime" not in page


def test_reasons_proposed_in_chinese_are_shown_in_english_to_an_english_reader(
        auth, session, world, pair):
    need, offer = pair
    auth.login(world["street"])  # a Chinese-speaking user proposes
    response = auth.post(f"/liaison/posts/{need.id}/matches/propose",
                         data={"offer_id": str(offer.id)})
    assert response.status_code == 302
    match_url = response.headers["Location"]
    auth.logout()
    reader = make_user(session, role="platform", platform=world["district"].platform,
                       locale="en")
    session.commit()
    auth.login(reader)
    page = auth.client.get(match_url).get_data(as_text=True)
    # on the match's facts and in its timeline, in the reader's language
    assert page.count("Same district") == 2 and "No time limit" in page
    assert "Text similarity" in page
    assert "同一区" not in page and "文本相似度" not in page and "district;anytime" not in page


def test_an_old_match_reason_stored_as_text_is_shown_as_it_is(auth, session, world, pair):
    match = _proposed(session, world, pair)
    match.reason = "同一区；时间未限定；文本相似度 56%"
    session.commit()
    auth.login(world["district"])
    page = auth.client.get(f"/liaison/matches/{match.id}").get_data(as_text=True)
    assert "同一区；时间未限定；文本相似度 56%" in page


def test_proposing_twice_is_refused_with_a_message_and_nothing_stored(auth, session, world, pair):
    need, offer = pair
    _proposed(session, world, pair)
    auth.login(world["street"])
    response = auth.post(f"/liaison/posts/{need.id}/matches/propose",
                         data={"offer_id": str(offer.id)})
    assert response.status_code == 409
    assert "已有进行中的对接" in response.get_data(as_text=True)
    assert session.query(Match).count() == 1


def test_a_third_platform_may_see_the_ranking_but_not_propose(auth, session, world, pair):
    need, offer = pair
    auth.login(world["far"])
    html = auth.client.get(f"/liaison/posts/{need.id}/matches").get_data(as_text=True)
    assert 'name="offer_id"' not in html
    response = auth.post(f"/liaison/posts/{need.id}/matches/propose",
                         data={"offer_id": str(offer.id)})
    assert response.status_code == 403
    assert session.query(Match).count() == 0


def test_another_platforms_draft_need_and_unknown_posts_answer_404(auth, session, world, pair):
    _need, offer = pair
    draft = _post(session, world["street"], kind="need", publish=False)
    auth.login(world["district"])
    assert auth.client.get(f"/liaison/posts/{draft.id}/matches").status_code == 404
    assert auth.post(f"/liaison/posts/{draft.id}/matches/propose",
                     data={"offer_id": str(offer.id)}).status_code == 404
    assert auth.client.get("/liaison/posts/99999/matches").status_code == 404
    assert auth.client.get(f"/liaison/posts/{offer.id}/matches").status_code == 404  # an offer


def test_proposing_another_platforms_draft_offer_answers_404(auth, session, world, pair):
    need, _offer = pair
    hidden = _post(session, world["far"], publish=False)
    auth.login(world["street"])
    response = auth.post(f"/liaison/posts/{need.id}/matches/propose",
                         data={"offer_id": str(hidden.id)})
    assert response.status_code == 404
    assert auth.post(f"/liaison/posts/{need.id}/matches/propose",
                     data={"offer_id": "x"}).status_code == 404
    assert session.query(Match).count() == 0


def test_propose_without_csrf_token_is_refused(auth, session, world, pair):
    need, offer = pair
    auth.login(world["street"])
    response = auth.client.post(f"/liaison/posts/{need.id}/matches/propose",
                                data={"offer_id": str(offer.id)})
    assert response.status_code in (400, 422)
    assert session.query(Match).count() == 0


def test_the_other_side_accepts_and_both_see_it_in_their_lists(auth, session, world, pair):
    match = _proposed(session, world, pair)
    auth.login(world["district"])
    page = auth.client.get(f"/liaison/matches/{match.id}").get_data(as_text=True)
    assert "接受对接" in page
    response = auth.post(f"/liaison/matches/{match.id}/accept")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Match, match.id).state == "accepted"
    assert session.get(Match, match.id).need.state == "matched"
    listing = auth.client.get("/liaison/matches?state=accepted").get_data(as_text=True)
    assert f"/liaison/matches/{match.id}" in listing
    page = auth.client.get(f"/liaison/matches/{match.id}").get_data(as_text=True)
    assert "待确认 → 已接受" in page  # the audit timeline


def test_accepting_on_another_platforms_behalf_is_403(auth, session, world, pair):
    match = _proposed(session, world, pair)
    for who in ("street", "center"):  # the proposer itself, and the center's staff
        auth.login(world[who])
        assert auth.post(f"/liaison/matches/{match.id}/accept").status_code == 403
        auth.logout()
    session.expire_all()
    assert session.get(Match, match.id).state == "proposed"


def test_a_platform_not_involved_gets_404_on_every_match_route(auth, session, world, pair):
    match = _proposed(session, world, pair)
    auth.login(world["far"])
    assert auth.client.get(f"/liaison/matches/{match.id}").status_code == 404
    for action in ("accept", "decline", "complete"):
        assert auth.post(f"/liaison/matches/{match.id}/{action}").status_code == 404
    assert f"/liaison/matches/{match.id}" not in auth.client.get("/liaison/matches").get_data(
        as_text=True)
    assert auth.client.get("/liaison/matches/99999").status_code == 404


def test_supervisors_may_not_open_match_pages(auth, session, world, pair):
    match = _proposed(session, world, pair)
    auth.login(world["supervisor"])
    assert auth.client.get(f"/liaison/matches/{match.id}").status_code == 403
    assert auth.client.get("/liaison/matches").status_code == 403


def test_the_center_sees_every_match_and_may_decline(auth, session, world, pair):
    match = _proposed(session, world, pair)
    auth.login(world["center"])
    assert f"/liaison/matches/{match.id}" in auth.client.get("/liaison/matches").get_data(
        as_text=True)
    response = auth.post(f"/liaison/matches/{match.id}/decline", data={"outcome": "时间冲突"})
    assert response.status_code == 302
    session.expire_all()
    assert (session.get(Match, match.id).state, session.get(Match, match.id).outcome) == (
        "declined", "时间冲突")


def test_completing_needs_an_accepted_match_and_records_the_outcome(auth, session, world, pair):
    match = _proposed(session, world, pair)
    auth.login(world["district"])
    response = auth.post(f"/liaison/matches/{match.id}/complete", data={"outcome": "已完成"})
    assert response.status_code == 409
    assert "当前状态下不能进行此操作" in response.get_data(as_text=True)
    auth.post(f"/liaison/matches/{match.id}/accept")
    response = auth.post(f"/liaison/matches/{match.id}/complete",
                         data={"outcome": "讲师已到场授课"})
    assert response.status_code == 302
    session.expire_all()
    done = session.get(Match, match.id)
    assert (done.state, done.outcome) == ("completed", "讲师已到场授课")
    assert done.completed_at is not None


def test_an_overlong_outcome_is_shown_beside_the_field_and_nothing_changes(auth, session, world,
                                                                          pair):
    from tests.conftest import field_errors

    match = _proposed(session, world, pair)
    auth.login(world["district"])
    response = auth.post(f"/liaison/matches/{match.id}/decline", data={"outcome": "长" * 2001})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "outcome")
    session.expire_all()
    assert session.get(Match, match.id).state == "proposed"


def test_the_match_list_filters_by_state(auth, session, world, pair):
    match = _proposed(session, world, pair)
    auth.login(world["street"])
    assert f"/liaison/matches/{match.id}" in auth.client.get(
        "/liaison/matches?state=live").get_data(as_text=True)
    assert f"/liaison/matches/{match.id}" not in auth.client.get(
        "/liaison/matches?state=completed").get_data(as_text=True)
    assert auth.client.get("/liaison/matches?state=bogus&page=-3").status_code == 200


def test_match_page_has_a_csrf_token_for_its_forms(auth, session, world, pair):
    match = _proposed(session, world, pair)
    auth.login(world["district"])
    assert csrf_from(auth.client.get(f"/liaison/matches/{match.id}").get_data(as_text=True))


def test_the_ranking_and_the_list_load_rows_in_a_bounded_number_of_queries(
        auth, session, world, pair, count_queries):
    need, _offer = pair
    for n in range(12):
        offer = _post(session, world["far" if n % 2 else "district"], title=f"财务讲师{n}")
        matches.propose(session, need=need, offer=offer, actor=world["street"])
    session.commit()
    auth.login(world["street"])
    with count_queries() as ranking:
        assert auth.client.get(f"/liaison/posts/{need.id}/matches").status_code == 200
    with count_queries() as listing:
        assert auth.client.get("/liaison/matches").status_code == 200
    assert ranking.count <= 15 and listing.count <= 10, (ranking.count, listing.count)


def test_a_platform_not_involved_sees_no_row_of_other_platforms_matches(auth, session, world,
                                                                         pair):
    need, offer = pair
    match = _proposed(session, world, pair)
    link = f"/liaison/matches/{match.id}"
    auth.login(world["far"])
    html = auth.client.get(f"/liaison/posts/{need.id}/matches").get_data(as_text=True)
    assert link not in html and "还没有对接" in html
    assert offer.platform.name not in html.split("这条需求的对接")[1]
    auth.login(world["street"])  # the need's platform sees it
    assert link in auth.client.get(f"/liaison/posts/{need.id}/matches").get_data(as_text=True)


def test_a_unicode_digit_as_the_offer_is_not_found_not_a_crash(auth, session, world, pair):
    need, _offer = pair
    auth.login(world["street"])
    response = auth.post(f"/liaison/posts/{need.id}/matches/propose", data={"offer_id": "²"})
    assert response.status_code == 404
