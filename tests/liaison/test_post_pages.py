"""The pages of a platform's posts: its list, the form, publish and close, the post's page, and
object-level access (another platform's draft → 404, its published post → 403 on change)."""
import pytest
from sqlalchemy import func, select

from center.models.liaison import Post
from center.services import liaison, liaison_matches as matches
from tests.conftest import field_errors
from tests.factories import make_platform, make_region, make_user

GOOD = {"kind": "need", "category": "trainer", "title": "财务管理培训讲师",
        "description": "为新成立的社会组织讲财务", "quantity": "2", "starts_on": "2026-12-01",
        "ends_on": "2026-12-31"}


@pytest.fixture
def world(session):
    city = make_region(session, tier="city")
    district = make_region(session, tier="district", parent=city)
    street = make_region(session, tier="street", parent=district)
    other = make_region(session, tier="district", parent=city)
    users = {"street": make_user(session, role="platform",
                                 platform=make_platform(session, region=street)),
             "other": make_user(session, role="platform",
                                platform=make_platform(session, region=other)),
             "center": make_user(session, role="frontdesk"),
             "supervisor": make_user(session, role="supervisor")}
    session.commit()
    return users


def make_post(session, user, publish=True, **data):
    post = liaison.create_post(session, {**GOOD, **data}, actor=user, publish=publish)
    session.commit()
    return post


def post_count(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Post))


# --- the list and the form -------------------------------------------------------------------

def test_a_platform_lists_only_its_own_posts_filtered_by_state(auth, session, world):
    make_post(session, world["street"], title="本平台草稿", publish=False)
    make_post(session, world["street"], title="本平台已发布")
    make_post(session, world["other"], title="别的平台的")
    auth.login(world["street"])
    html = auth.client.get("/liaison/posts").get_data(as_text=True)
    assert "本平台草稿" in html and "本平台已发布" in html and "别的平台的" not in html
    html = auth.client.get("/liaison/posts?state=draft").get_data(as_text=True)
    assert "本平台草稿" in html and "本平台已发布" not in html
    response = auth.client.get("/liaison/posts?state=bogus")
    assert response.status_code == 200 and "未知的状态" in response.get_data(as_text=True)


def test_the_center_lists_every_platforms_posts(auth, session, world):
    make_post(session, world["street"], title="甲平台的", publish=False)
    make_post(session, world["other"], title="乙平台的")
    auth.login(world["center"])
    html = auth.client.get("/liaison/posts").get_data(as_text=True)
    assert "甲平台的" in html and "乙平台的" in html


def test_a_platform_publishes_a_need_from_the_form(auth, session, world):
    auth.login(world["street"])
    response = auth.post("/liaison/posts/new", {**GOOD, "action": "publish"})
    assert response.status_code == 302
    post = session.scalar(select(Post))
    assert (post.state, post.platform_id, post.quantity) == ("published", world["street"].platform_id, 2)
    assert post.region_id == world["street"].platform.region_id
    assert response.headers["Location"].endswith(f"/liaison/posts/{post.id}")


def test_saving_without_publishing_keeps_a_draft(auth, session, world):
    auth.login(world["street"])
    assert auth.post("/liaison/posts/new", {**GOOD, "action": "draft"}).status_code == 302
    assert session.scalar(select(Post.state)) == "draft"


def test_bad_input_is_shown_beside_each_field_and_nothing_is_stored(auth, session, world):
    auth.login(world["street"])
    response = auth.post("/liaison/posts/new", {
        "kind": "want", "category": "money", "title": " ", "quantity": "很多",
        "starts_on": "2026-12-10", "ends_on": "2026-12-01", "region_id": "999999"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("kind", "category", "title", "quantity", "ends_on", "region_id"):
        assert field_errors(html, field), field
    assert 'value="2026-12-10"' in html  # what was typed stays
    assert post_count(session) == 0


def test_the_services_rules_reach_the_fields(auth, session, world):
    auth.login(world["street"])
    response = auth.post("/liaison/posts/new", {**GOOD, "description": "bad\x01text"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "description")
    assert post_count(session) == 0


def test_a_contact_phone_must_look_like_a_phone_number(auth, session, world):
    auth.login(world["street"])
    response = auth.post("/liaison/posts/new", {**GOOD, "contact_phone": "<script>x</script>"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "电话只能包含数字" in html
    assert field_errors(html, "contact_phone") and "&lt;script&gt;x&lt;/script&gt;" in html
    assert post_count(session) == 0
    response = auth.post("/liaison/posts/new", {**GOOD, "contact_phone": "010-6521 3000"})
    assert response.status_code == 302 and post_count(session) == 1


def test_the_center_must_name_the_platform_it_posts_for(auth, session, world):
    auth.login(world["center"])
    response = auth.post("/liaison/posts/new", {**GOOD, "action": "publish"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "platform_id")
    response = auth.post("/liaison/posts/new", {**GOOD, "action": "publish",
                                                "platform_id": str(world["other"].platform_id)})
    assert response.status_code == 302
    assert session.scalar(select(Post.platform_id)) == world["other"].platform_id


def test_editing_changes_the_post_and_shows_in_its_history(auth, session, world):
    post = make_post(session, world["street"])
    auth.login(world["street"])
    form = auth.client.get(f"/liaison/posts/{post.id}/edit").get_data(as_text=True)
    assert "财务管理培训讲师" in form
    response = auth.post(f"/liaison/posts/{post.id}/edit", {**GOOD, "title": "预算编制讲师"})
    assert response.status_code == 302
    html = auth.client.get(f"/liaison/posts/{post.id}").get_data(as_text=True)
    assert "预算编制讲师" in html and "财务管理培训讲师 → 预算编制讲师" in html


def test_a_closed_post_cannot_be_edited(auth, session, world):
    post = make_post(session, world["street"])
    liaison.close(session, post, actor=world["street"])
    session.commit()
    auth.login(world["street"])
    response = auth.post(f"/liaison/posts/{post.id}/edit", {**GOOD, "title": "改了"})
    assert response.status_code == 422
    session.expire_all()
    assert session.get(Post, post.id).title == GOOD["title"]


# --- publish and close -----------------------------------------------------------------------

def test_a_draft_is_published_and_then_closed(auth, session, world):
    post = make_post(session, world["street"], publish=False)
    auth.login(world["street"])
    assert auth.post(f"/liaison/posts/{post.id}/publish").status_code == 303
    session.expire_all()
    assert session.get(Post, post.id).state == "published"
    assert auth.post(f"/liaison/posts/{post.id}/close").status_code == 303
    session.expire_all()
    assert session.get(Post, post.id).state == "closed"
    response = auth.post(f"/liaison/posts/{post.id}/close", follow_redirects=True)
    assert response.status_code == 200 and "已经关闭" in response.get_data(as_text=True)


def test_publishing_twice_is_refused_with_a_message(auth, session, world):
    post = make_post(session, world["street"])
    auth.login(world["street"])
    response = auth.post(f"/liaison/posts/{post.id}/publish", follow_redirects=True)
    assert "只有草稿可以发布" in response.get_data(as_text=True)


def test_publish_without_the_csrf_token_is_refused(auth, session, world):
    post = make_post(session, world["street"], publish=False)
    auth.login(world["street"])
    response = auth.client.post(f"/liaison/posts/{post.id}/publish")
    assert response.status_code == 400
    session.expire_all()
    assert session.get(Post, post.id).state == "draft"


# --- the post's page -------------------------------------------------------------------------

def test_a_needs_page_shows_details_history_ranked_link_and_matches(auth, session, world):
    need = make_post(session, world["street"])
    offer = make_post(session, world["other"], kind="offer", title="财务讲师团")
    matches.propose(session, need=need, offer=offer, actor=world["street"])
    session.commit()
    auth.login(world["street"])
    html = auth.client.get(f"/liaison/posts/{need.id}").get_data(as_text=True)
    assert "为新成立的社会组织讲财务" in html and "2026-12-01" in html
    assert "变更记录" in html and "创建" in html
    assert f"/liaison/posts/{need.id}/matches" in html
    assert "财务讲师团" in html  # its match
    assert "/liaison/matches/" in html


def test_an_offers_page_has_no_ranked_link(auth, session, world):
    offer = make_post(session, world["other"], kind="offer")
    auth.login(world["street"])
    html = auth.client.get(f"/liaison/posts/{offer.id}").get_data(as_text=True)
    assert f"/liaison/posts/{offer.id}/matches" not in html
    assert "修改" not in html.split("<h2>")[0].split("</h1>")[1]  # not the viewer's post


# --- object-level access -----------------------------------------------------------------------

CHANGES = [("get", "/edit"), ("post", "/edit"), ("post", "/publish"), ("post", "/close")]


def _send(auth, method, url):
    return auth.client.get(url) if method == "get" else auth.post(url, GOOD)


@pytest.mark.parametrize("method,suffix", [("get", "")] + CHANGES)
def test_another_platforms_draft_is_not_found(auth, session, world, method, suffix):
    draft = make_post(session, world["street"], publish=False)
    auth.login(world["other"])
    assert _send(auth, method, f"/liaison/posts/{draft.id}{suffix}").status_code == 404


@pytest.mark.parametrize("method,suffix", CHANGES)
def test_another_platforms_published_post_is_seen_but_not_changed(auth, session, world, method,
                                                                   suffix):
    post = make_post(session, world["street"])
    auth.login(world["other"])
    assert auth.client.get(f"/liaison/posts/{post.id}").status_code == 200
    assert _send(auth, method, f"/liaison/posts/{post.id}{suffix}").status_code == 403
    session.expire_all()
    assert session.get(Post, post.id).state == "published"


def test_the_supervisor_reads_published_posts_only(auth, session, world):
    draft = make_post(session, world["street"], publish=False)
    post = make_post(session, world["street"], title="已发布的")
    auth.login(world["supervisor"])
    assert auth.client.get(f"/liaison/posts/{post.id}").status_code == 200
    assert auth.client.get(f"/liaison/posts/{draft.id}").status_code == 404
    assert auth.client.get("/liaison/posts").status_code == 403
    assert auth.post(f"/liaison/posts/{post.id}/close").status_code == 403


def test_the_center_changes_any_platforms_post(auth, session, world):
    draft = make_post(session, world["street"], publish=False)
    auth.login(world["center"])
    assert auth.client.get(f"/liaison/posts/{draft.id}").status_code == 200
    assert auth.post(f"/liaison/posts/{draft.id}/publish").status_code == 303


def test_an_unknown_post_is_not_found(auth, world):
    auth.login(world["street"])
    assert auth.client.get("/liaison/posts/99999").status_code == 404
    assert auth.client.get("/liaison/posts/99999999999999").status_code == 404


def test_the_nav_links_the_liaison_pages_for_platforms_and_not_for_organizations(auth, world):
    auth.login(world["street"])
    assert "平台联动" in auth.client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login("org")
    assert "平台联动" not in auth.client.get("/").get_data(as_text=True)


def test_a_past_expiry_day_and_unicode_digits_are_shown_beside_their_fields(auth, session, world):
    auth.login(world["street"])
    response = auth.post("/liaison/posts/new", {**GOOD, "expires_on": "2000-01-01"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "expires_on")
    response = auth.post("/liaison/posts/new", {**GOOD, "quantity": "²", "region_id": "²"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html, "quantity") and field_errors(html, "region_id")
    assert post_count(session) == 0


def test_the_category_of_a_post_in_a_match_cannot_be_changed_on_its_form(auth, session, world):
    need = make_post(session, world["street"])
    offer = make_post(session, world["other"], kind="offer")
    matches.propose(session, need=need, offer=offer, actor=world["street"])
    session.commit()
    auth.login(world["street"])
    response = auth.post(f"/liaison/posts/{need.id}/edit", {**GOOD, "category": "venue"})
    assert response.status_code == 422
    assert "已有对接" in " ".join(field_errors(response.get_data(as_text=True), "category"))
    session.expire_all()
    assert session.get(Post, need.id).category == "trainer"
