"""Needs and offers of the platforms: who may see and change a post, writing posts, publishing,
closing and expiring them. Matches are in liaison_matches, meetings and referrals in their own
modules.

Access: the center's staff (admin, manager, frontdesk) see every post; a platform user sees
published posts city-wide and every post of their own platform, and changes only their own
platform's posts. What a caller may not know exists answers 404 (NotFoundError), what it may see
but not change answers 403 (PermissionDenied).
"""
from datetime import date, datetime

from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import or_, select

from center.models.base import utcnow
from center.models.directory import Platform, Region
from center.models.liaison import Match, MatchState, PostCategory, PostKind, Post, PostState
from center.services import audit, field_checks
from center.services.errors import (ConflictError, NotFoundError, PermissionDenied,
                                    ValidationError)
from center.services.field_checks import ascii_int
from center.services.venue_rules import CENTER_TZ

CENTER_STAFF = ("admin", "manager", "frontdesk")
KINDS = tuple(k.value for k in PostKind)
CATEGORIES = tuple(c.value for c in PostCategory)
MAX_TITLE, MAX_TEXT, MAX_QUANTITY = 100, 4000, 100_000
FIELDS = ("kind", "category", "title", "description", "quantity", "starts_on", "ends_on",
          "region_id", "contact_name", "contact_phone", "expires_on")


def today_in_center(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(CENTER_TZ).date()


# --- who may do what ------------------------------------------------------------------------

def is_center(user) -> bool:
    return user is not None and user.role in CENTER_STAFF


def can_see(post: Post, user) -> bool:
    if is_center(user) or (user.role == "platform" and post.platform_id == user.platform_id):
        return True
    return post.state != PostState.draft.value and user.role in ("platform", "supervisor")


def can_edit(post: Post, user) -> bool:
    return is_center(user) or (user.role == "platform" and post.platform_id == user.platform_id)


def visible_post(session, post_id, user) -> Post:
    """The post if the user may see it; NotFoundError otherwise (drafts of others included)."""
    post = session.get(Post, post_id) if isinstance(post_id, int) else None
    if post is None or not can_see(post, user):
        raise NotFoundError(_l("没有找到这条需求或资源。"))
    return post


def editable_post(session, post_id, user) -> Post:
    post = visible_post(session, post_id, user)
    if not can_edit(post, user):
        raise PermissionDenied(_l("只能修改本平台发布的需求和资源。"))
    return post


def visible_posts(user):
    """A select of the posts the user may see (for lists and the API)."""
    stmt = select(Post)
    if is_center(user):
        return stmt
    published = Post.state != PostState.draft.value
    if user.role == "platform":
        return stmt.where(published | (Post.platform_id == user.platform_id))
    return stmt.where(published)


# --- validation ----------------------------------------------------------------------------

def _quantity(data, errors) -> int | None:
    raw = data.get("quantity")
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        raw = ascii_int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_QUANTITY:
        errors["quantity"] = _l("数量应为 1 到 %(max)d 之间的整数。", max=MAX_QUANTITY)
        return None
    return raw


def _region(session, data, platform: Platform, errors) -> int:
    raw = data.get("region_id")
    if raw in (None, ""):
        return platform.region_id
    if isinstance(raw, str):
        raw = ascii_int(raw)
    region = session.get(Region, raw) if isinstance(raw, int) and 0 < raw < 2**31 else None
    if region is None:
        errors["region_id"] = _l("请选择一个区域。")
        return platform.region_id
    return region.id


def validated(session, data: dict, *, platform: Platform, today: date | None = None) -> dict:
    """A post's fields, cleaned; ValidationError listing every problem by field. Given `today`,
    an expiry day before it is one (a post would be born expired)."""
    errors: dict = {}
    cleaned = {
        "kind": data.get("kind") if data.get("kind") in KINDS else None,
        "category": data.get("category") if data.get("category") in CATEGORIES else None,
        "title": field_checks.text(data, "title", errors, limit=MAX_TITLE, required=True,
                                   missing=_l("请填写标题。")),
        "description": field_checks.text(data, "description", errors, limit=MAX_TEXT),
        "quantity": _quantity(data, errors),
        "starts_on": field_checks.iso_date(data, "starts_on", errors),
        "ends_on": field_checks.iso_date(data, "ends_on", errors),
        "expires_on": field_checks.iso_date(data, "expires_on", errors),
        "region_id": _region(session, data, platform, errors),
        "contact_name": field_checks.text(data, "contact_name", errors, limit=50),
        "contact_phone": field_checks.phone(data, "contact_phone", errors),
    }
    if cleaned["kind"] is None:
        errors["kind"] = _l("类型只能是需求（need）或资源（offer）。")
    if cleaned["category"] is None:
        errors["category"] = _l("未知的类别，可选：师资、场地、参观交流、资金、志愿者、课程、其他。")
    starts, ends = cleaned["starts_on"], cleaned["ends_on"]
    if starts and ends and ends < starts:
        errors["ends_on"] = _l("结束日期不能早于开始日期。")
    if today and cleaned["expires_on"] and cleaned["expires_on"] < today:
        errors["expires_on"] = _l("有效期不能早于今天。")
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    return cleaned


# --- writing -------------------------------------------------------------------------------

def _own_platform(user) -> Platform:
    """A platform user's platform, which must still be in the directory (not archived)."""
    if user.platform is None or user.platform.archived_at is not None:
        raise PermissionDenied(_l("本平台已归档，不能再发布需求和资源。"))
    return user.platform


def _platform_of(session, user, platform_id=None) -> Platform:
    """A platform user posts for their own platform; the center names the platform."""
    if user.role == "platform":
        return _own_platform(user)
    platform = session.get(Platform, platform_id) if isinstance(platform_id, int) else None
    if platform is None or platform.archived_at is not None:
        raise ValidationError(_l("请更正标出的内容。"), {"platform_id": _l("请选择平台。")})
    return platform


def create_post(session, data: dict, *, actor, platform_id=None, publish=False,
                now: datetime | None = None) -> Post:
    """A new post of the actor's platform (or, for the center, of the named platform)."""
    if not (actor.role == "platform" or is_center(actor)):
        raise PermissionDenied(_l("只有平台和中心工作人员可以发布需求和资源。"))
    platform = _platform_of(session, actor, platform_id)
    now = now or utcnow()
    cleaned = validated(session, data, platform=platform, today=today_in_center(now))
    audit.acting(session, actor)
    post = Post(platform_id=platform.id, created_by_id=actor.id, created_at=now,
                state=PostState.draft.value, **cleaned)
    session.add(post)
    if publish:
        _publish(post, now)
    session.flush()
    return post


def update_post(session, post: Post, data: dict, *, actor, now: datetime | None = None) -> Post:
    if not can_edit(post, actor):
        raise PermissionDenied(_l("只能修改本平台发布的需求和资源。"))
    if post.state in (PostState.closed.value, PostState.expired.value):
        raise ConflictError(_l("已关闭或过期的需求和资源不能再修改。"))
    cleaned = validated(session, data, platform=post.platform, today=today_in_center(now))
    _check_frozen(session, post, cleaned)
    audit.acting(session, actor)
    for key, value in cleaned.items():
        setattr(post, key, value)
    session.flush()
    return post


def _check_frozen(session, post: Post, cleaned: dict) -> None:
    """Kind and category stay once the post is in a match that was not declined (the match
    pairs a need with an offer of one category)."""
    changed = [key for key in ("kind", "category") if cleaned[key] != getattr(post, key)]
    if changed and post.id is not None and session.scalar(select(Match.id).where(
            or_(Match.need_id == post.id, Match.offer_id == post.id),
            Match.state != MatchState.declined.value).limit(1)):
        message = _l("已有对接，不能再更改类型和类别。")
        raise ConflictError(message, {key: message for key in changed})


def _decline_proposed(session, post_ids: list[int], now: datetime) -> None:
    """Proposals still waiting for an answer end when their need or offer leaves the board."""
    if not post_ids:
        return
    with force_locale("zh"):
        outcome = _("需求或资源已关闭或过期，对接提议自动谢绝。")
    for match in session.scalars(select(Match).where(
            or_(Match.need_id.in_(post_ids), Match.offer_id.in_(post_ids)),
            Match.state == MatchState.proposed.value)):
        match.state, match.decided_at, match.outcome = MatchState.declined.value, now, outcome


def _publish(post: Post, now: datetime) -> None:
    post.state, post.published_at = PostState.published.value, now


def publish(session, post: Post, *, actor, now: datetime | None = None) -> Post:
    """A draft goes on the city-wide board."""
    if not can_edit(post, actor):
        raise PermissionDenied(_l("只能发布本平台的需求和资源。"))
    if post.state != PostState.draft.value:
        raise ConflictError(_l("只有草稿可以发布。"))
    if actor.role == "platform":
        _own_platform(actor)
    if post.expires_on and post.expires_on < today_in_center(now):
        raise ValidationError(_l("请更正标出的内容。"), {"expires_on": _l("有效期已过。")})
    audit.acting(session, actor)
    _publish(post, now or utcnow())
    session.flush()
    return post


def close(session, post: Post, *, actor, now: datetime | None = None) -> Post:
    if not can_edit(post, actor):
        raise PermissionDenied(_l("只能关闭本平台的需求和资源。"))
    if post.state in (PostState.closed.value, PostState.expired.value):
        raise ConflictError(_l("已经关闭。"))
    audit.acting(session, actor)
    now = now or utcnow()
    post.state, post.closed_at = PostState.closed.value, now
    _decline_proposed(session, [post.id], now)
    session.flush()
    return post


def expire_posts(session, *, now: datetime | None = None) -> int:
    """Published posts past their expiry day leave the board (a job; idempotent). A draft past
    its expiry day stays a draft (it has no published_at, and publish() refuses it); a matched
    need stays matched."""
    today = today_in_center(now)
    now = now or utcnow()
    posts = session.scalars(select(Post).where(Post.state == PostState.published.value,
                                               Post.expires_on < today)).all()
    audit.acting(session, None)
    for post in posts:
        post.state, post.closed_at = PostState.expired.value, now
    _decline_proposed(session, [post.id for post in posts], now)
    session.flush()
    return len(posts)
