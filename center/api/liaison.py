"""Platform liaison (平台联动): needs and offers (platform posts) and the matches between them
(documented in liaison_doc.py).

A platform's token acts for that platform: it posts, publishes and closes its own posts, reads
published posts city-wide, proposes matches for its posts and answers the matches its platform
is in. The center's staff see and may change everything; the supervising office reads published
posts. Object-level access comes from the services: what the caller may not know exists answers
404 (another platform's draft, a match of two other platforms), what it may see but not change
answers 403 (closing another platform's post, accepting a match on the other side's behalf).
The API uses `status` for a record's state, as the issue's contract does.
"""
from flask import g, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from center.api import api
from center.api.common import (BadRequest, iso, json_object, paginated, query_choice,
                               query_text)
from center.api.venues import query_id
from center.auth import roles
from center.extensions import db
from center.models.directory import Platform, Region
from center.models.liaison import (CATEGORY_LABELS, KIND_LABELS, MATCH_STATE_LABELS,
                                   POST_STATE_LABELS, Match, Post, PostState)
from center.services import liaison, liaison_matches
from center.services.errors import PermissionDenied, ValidationError
from center.services.field_checks import CONTROL, ascii_int
from center.services.liaison import CATEGORIES, CENTER_STAFF, KINDS

POST_WRITERS = (*CENTER_STAFF, "platform")
POST_READERS = (*POST_WRITERS, "supervisor")
MATCH_USERS = POST_WRITERS
STATUSES = tuple(s.value for s in PostState)
TEXT_INPUT = ("kind", "category", "title", "description", "starts_on", "ends_on",
              "expires_on", "contact_name", "contact_phone")
MAX_RANKED, DEFAULT_RANKED = 50, 20
MAX_NOTE = 2000


# --- representation --------------------------------------------------------------------------

def post_item(post: Post) -> dict:
    return {
        "id": post.id, "kind": post.kind, "kind_label": str(KIND_LABELS[post.kind]),
        "category": post.category, "category_label": str(CATEGORY_LABELS[post.category]),
        "title": post.title, "description": post.description, "quantity": post.quantity,
        "starts_on": _day(post.starts_on), "ends_on": _day(post.ends_on),
        "expires_on": _day(post.expires_on),
        "status": post.state, "status_label": str(POST_STATE_LABELS[post.state]),
        "platform_id": post.platform_id, "platform_name": post.platform.name,
        "region_code": post.region.code, "region_name": post.region.name,
        "contact_name": post.contact_name, "contact_phone": post.contact_phone,
        "published_at": iso(post.published_at), "closed_at": iso(post.closed_at),
        "created_at": iso(post.created_at),
    }


def _side(post: Post) -> dict:
    return {"id": post.id, "title": post.title, "category": post.category,
            "status": post.state, "platform_id": post.platform_id,
            "platform_name": post.platform.name}


def match_item(match: Match) -> dict:
    return {
        "id": match.id, "need": _side(match.need), "offer": _side(match.offer),
        "status": match.state, "status_label": str(MATCH_STATE_LABELS[match.state]),
        "score": match.score, "reason": liaison_matches.describe_reason(match.reason),
        "reason_codes": _codes(liaison_matches.parse_reasons(match.reason)),
        "proposed_by": "platform" if match.proposed_by_platform_id else "center",
        "proposed_by_platform_id": match.proposed_by_platform_id,
        "note": match.note, "outcome": match.outcome,
        "created_at": iso(match.created_at), "decided_at": iso(match.decided_at),
        "completed_at": iso(match.completed_at),
    }


def _codes(reasons) -> list[dict] | None:
    """The machine-readable reasons (None: no reason, or an old row's text only)."""
    return None if reasons is None else [r.as_dict() for r in reasons]


def _day(value) -> str | None:
    return value.isoformat() if value else None


# --- posts -----------------------------------------------------------------------------------

@api.route("/platform-posts")
@roles(*POST_READERS)
def list_platform_posts():
    """Newest first: the posts the caller may see, by kind, category, region, status, platform."""
    stmt = liaison.visible_posts(g.user).options(selectinload(Post.platform),
                                                 selectinload(Post.region))
    for name, column, choices in (("kind", Post.kind, KINDS),
                                  ("category", Post.category, CATEGORIES),
                                  ("status", Post.state, STATUSES)):
        value = query_choice(name, choices)
        if value:
            stmt = stmt.where(column == value)
    region_ids = _region_and_below(query_text("region", max_length=20))
    if region_ids is not None:
        stmt = stmt.where(Post.region_id.in_(region_ids))
    platform_id = query_id("platform_id")
    if platform_id:
        stmt = stmt.where(Post.platform_id == platform_id)
    return jsonify(paginated(db.session, stmt.order_by(Post.id.desc()), post_item))


def _region_and_below(code: str | None) -> list[int] | None:
    """The region of this code and every region under it (a district's streets)."""
    if code is None:
        return None
    rows = db.session.execute(select(Region.id, Region.parent_id, Region.code)).all()
    found = [row.id for row in rows if row.code == code]
    if not found:
        raise BadRequest(_("参数 region 应为已知的行政区划代码，例如 110105。"),
                         {"region": _("未知的区域代码：%(code)s。", code=code)})
    ids, children = set(found), {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row.id)
    frontier = list(found)
    while frontier:
        below = children.get(frontier.pop(), [])
        ids.update(below)
        frontier.extend(below)
    return sorted(ids)


@api.route("/platform-posts/<int:post_id>")
@roles(*POST_READERS)
def get_platform_post(post_id):
    return jsonify(post_item(liaison.visible_post(db.session, post_id, g.user)))


@api.route("/platform-posts", methods=["POST"])
@roles(*POST_WRITERS)
def create_platform_post():
    """A need or an offer of the token's platform (the center names `platform_id`); a draft
    unless `publish` is true. Every problem is reported at once; nothing is stored on any."""
    body = json_object()
    data, problems = post_input(body)
    platform_id = _platform_id(body, problems)
    if problems:
        try:
            liaison.validated(db.session, data, platform=_posting_platform(platform_id),
                              today=liaison.today_in_center())
        except ValidationError as error:
            problems = {**error.fields, **problems}
        raise ValidationError(_("请更正标出的内容。"), problems)
    post = liaison.create_post(db.session, data, actor=g.user, platform_id=platform_id,
                               publish=body.get("publish", False))
    return _created(post_item(post), url_for("api.get_platform_post", post_id=post.id))


@api.route("/platform-posts/<int:post_id>/publish", methods=["POST"])
@roles(*POST_WRITERS)
def publish_platform_post(post_id):
    post = liaison.editable_post(db.session, post_id, g.user)
    return _saved(post_item(liaison.publish(db.session, post, actor=g.user)))


@api.route("/platform-posts/<int:post_id>/close", methods=["POST"])
@roles(*POST_WRITERS)
def close_platform_post(post_id):
    post = liaison.editable_post(db.session, post_id, g.user)
    return _saved(post_item(liaison.close(db.session, post, actor=g.user)))


@api.route("/platform-posts/<int:post_id>/matches")
@roles(*POST_READERS)
def ranked_platform_offers(post_id):
    """For a need: published offers ranked best first, each with its score and reasons."""
    need = liaison.visible_post(db.session, post_id, g.user)
    limit = _limit()
    ranked = liaison_matches.ranked_offers(db.session, need, limit=limit)
    places = _load_places([r.offer for r in ranked])  # noqa: F841  (held while serializing)
    return jsonify({"need_id": need.id, "items": [
        {"offer": post_item(r.offer), "score": r.score, "reasons": r.reasons,
         "reason_codes": _codes(r.parts)} for r in ranked]})


def _load_places(posts: list[Post]) -> list:
    """The posts' platforms and regions in two queries: their lazy loads then find them in the
    session (many-to-one by primary key) instead of asking one by one. The caller holds the
    list while it serializes (the session keeps only weak references)."""
    ids = {p.platform_id for p in posts}, {p.region_id for p in posts}
    return [*db.session.scalars(select(Platform).where(Platform.id.in_(ids[0]))),
            *db.session.scalars(select(Region).where(Region.id.in_(ids[1])))]


def post_input(body: dict) -> tuple[dict, dict]:
    """The service's data from the JSON body (well-typed values only) and the type problems."""
    data, problems = {}, {}
    for key in TEXT_INPUT:
        if body.get(key) is not None:
            if isinstance(body[key], str):
                data[key] = body[key]
            else:
                problems[key] = _("应为字符串。")
    for key in ("quantity", "region_code"):
        if body.get(key) is None:
            continue
        if key == "quantity" and (isinstance(body[key], bool) or not isinstance(body[key], int)):
            problems[key] = _("应为正整数（JSON 数字）。")
        elif key == "region_code" and not isinstance(body[key], str):
            problems[key] = _("应为字符串。")
        elif key == "quantity":
            data[key] = body[key]
        else:
            region = db.session.scalar(select(Region.id).where(Region.code == body[key].strip()))
            if region is None:
                problems[key] = _("未知的区域代码：%(code)s。", code=body[key][:20])
            data["region_id"] = region
    if "publish" in body and not isinstance(body["publish"], bool):
        problems["publish"] = _("应为 true 或 false。")
    return data, problems


def _platform_id(body: dict, problems: dict) -> int | None:
    """The center names the platform it posts for; a platform token posts for its own only."""
    raw = body.get("platform_id")
    if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int)):
        problems["platform_id"] = _("应为正整数编号。")
        return None
    if g.user.role == "platform":
        if raw is not None and raw != g.user.platform_id:
            raise PermissionDenied(_("平台令牌只能为本平台发布需求和资源。"))
        return None
    if raw is None:
        problems["platform_id"] = _("中心工作人员发布时请给出 platform_id。")
    return raw


def _posting_platform(platform_id):
    """The platform the service validates the region against (to report every problem)."""
    if g.user.role == "platform":
        return g.user.platform
    platform = db.session.get(Platform, platform_id) if platform_id else None
    return platform or Platform(region_id=None)


def _limit() -> int:
    raw = (request.args.get("limit") or "").strip()
    if not raw:
        return DEFAULT_RANKED
    limit = ascii_int(raw)
    if limit is None or not 1 <= limit <= MAX_RANKED:
        raise BadRequest(_("参数 limit 应为 1 到 %(max)d 之间的整数。", max=MAX_RANKED),
                         {"limit": _("应为 1 到 %(max)d 之间的整数。", max=MAX_RANKED)})
    return limit


# --- matches ---------------------------------------------------------------------------------

@api.route("/matches/<int:match_id>")
@roles(*MATCH_USERS)
def get_match(match_id):
    return jsonify(match_item(liaison_matches.visible_match(db.session, match_id, g.user)))


@api.route("/matches", methods=["POST"])
@roles(*MATCH_USERS)
def create_match():
    """Propose a match of a need and an offer, by one of their platforms or by the center."""
    body = json_object()
    problems = {key: _("应为正整数编号。") for key in ("need_id", "offer_id")
                if isinstance(body.get(key), bool) or not isinstance(body.get(key), int)}
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        problems["note"] = _("应为字符串，最多 %(n)d 个字。", n=MAX_NOTE)
    elif note is not None and CONTROL.search(note):
        problems["note"] = _("含有不可见的控制字符，请删除后再提交。")
    if problems:
        raise ValidationError(_("请更正标出的内容。"), problems)
    need = liaison.visible_post(db.session, body["need_id"], g.user)
    offer = liaison.visible_post(db.session, body["offer_id"], g.user)
    score, reason = _pair_score(need, offer)
    match = liaison_matches.propose(db.session, need=need, offer=offer, actor=g.user,
                                    note=(note or "").strip() or None, score=score, reason=reason)
    return _created(match_item(match), url_for("api.get_match", match_id=match.id))


def _pair_score(need: Post, offer: Post) -> tuple[int | None, str | None]:
    """The rank this offer has among the need's ranked offers (None when it is not among them:
    another category, a window that does not overlap)."""
    if need.kind != "need" or offer.kind != "offer":
        return None, None
    for ranked in liaison_matches.ranked_offers(db.session, need, limit=MAX_RANKED):
        if ranked.offer.id == offer.id:
            return ranked.score, ranked.reason
    return None, None


@api.route("/matches/<int:match_id>/accept", methods=["POST"])
@roles(*MATCH_USERS)
def accept_match(match_id):
    """Only the side that did not propose accepts (a center-proposed match: the offer's side)."""
    match = liaison_matches.visible_match(db.session, match_id, g.user)
    _outcome()  # a body, if any, must still be well-formed
    return _saved(match_item(liaison_matches.accept(db.session, match, actor=g.user)))


@api.route("/matches/<int:match_id>/decline", methods=["POST"])
@roles(*MATCH_USERS)
def decline_match(match_id):
    match = liaison_matches.visible_match(db.session, match_id, g.user)
    return _saved(match_item(liaison_matches.decline(db.session, match, actor=g.user,
                                                     outcome=_outcome())))


@api.route("/matches/<int:match_id>/complete", methods=["POST"])
@roles(*MATCH_USERS)
def complete_match(match_id):
    match = liaison_matches.visible_match(db.session, match_id, g.user)
    return _saved(match_item(liaison_matches.complete(db.session, match, actor=g.user,
                                                      outcome=_outcome())))


def _outcome() -> str | None:
    """The optional `outcome` of an empty or JSON body."""
    body = json_object() if request.get_data() else {}
    outcome = body.get("outcome")
    if outcome is not None and (not isinstance(outcome, str) or len(outcome) > MAX_NOTE):
        raise ValidationError(_("请更正标出的内容。"),
                              {"outcome": _("应为字符串，最多 %(n)d 个字。", n=MAX_NOTE)})
    if outcome is not None and CONTROL.search(outcome):
        raise ValidationError(_("请更正标出的内容。"),
                              {"outcome": _("含有不可见的控制字符，请删除后再提交。")})
    return (outcome or "").strip() or None


# --- answers ---------------------------------------------------------------------------------

def _created(item: dict, location: str):
    db.session.commit()
    response = jsonify(item)
    response.headers["Location"] = location
    return response, 201


def _saved(item: dict):
    db.session.commit()
    return jsonify(item)


from center.api import liaison_doc  # noqa: E402,F401  (documents the routes above)
