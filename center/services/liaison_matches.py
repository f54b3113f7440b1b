"""Matching needs with offers: the ranked offers for a need, with the reason for each rank, and
a match's life (proposed → accepted → completed, or declined), seen by both platforms.

Rank (0–100): the same category is required; a time window that does not overlap excludes the
offer; then closeness in the region tree (same street 40, same district 25, elsewhere in the city
10), time overlap (up to 30) and text similarity of title and description (up to 30).

The reasons of a rank are structured (`Reason`: a code and a number) and a match stores them in a
compact, language-neutral form ("street;overlap=10;text=27", see `store_reasons`), so every
reader sees them in their own language (`describe_reason`). Rows stored before that hold the
proposer's translated text; they do not parse and are shown as they are.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import get_locale, lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from center.models.base import utcnow
from center.models.directory import Region
from center.models.liaison import LIVE_MATCH_STATES, Match, MatchState, Post, PostState
from center.services import audit, notifications
from center.services.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from center.services.liaison import can_see, is_center, today_in_center

ALLOWED_FROM = {"accepted": ("proposed",), "declined": LIVE_MATCH_STATES,
                "completed": ("accepted",)}
MAX_CANDIDATES = 5000  # one category's published offers; more is not a realistic board
LIVE_PAIR = _l("这条需求和资源已有进行中的对接。")


CLOSENESS = {"street": (40, _l("同一街道")), "district": (25, _l("同一区")),
             "city": (10, _l("全市范围"))}
PLAIN_REASONS = {**{code: label for code, (_points, label) in CLOSENESS.items()},
                 "anytime": _l("时间未限定")}
COUNTED_REASONS = ("overlap", "text")  # overlapping days; text similarity in percent
_STORED_PART = re.compile(r"(?:(street|district|city|anytime)|(overlap|text)=(\d{1,9}))")


@dataclass(frozen=True)
class Reason:
    """One part of a rank: street | district | city (closeness in the region tree), overlap
    (value: the overlapping days) or anytime (a window not bounded), text (value: similarity in
    percent)."""
    code: str
    value: int | None = None

    def stored(self) -> str:
        return self.code if self.value is None else f"{self.code}={self.value}"

    def text(self) -> str:
        """The phrase in the current locale."""
        if self.code == "overlap":
            return str(_l("时间重叠 %(n)d 天", n=self.value))
        if self.code == "text":
            return str(_l("文本相似度 %(p)d%%", p=self.value))
        return str(PLAIN_REASONS[self.code])

    def as_dict(self) -> dict:
        return {"code": self.code, "value": self.value}


def store_reasons(reasons) -> str:
    """The compact neutral form kept in Match.reason, e.g. "street;overlap=10;text=27"."""
    return ";".join(r.stored() for r in reasons)


def parse_reasons(stored: str | None) -> list[Reason] | None:
    """The reasons of a stored match reason; None when empty or not in the neutral form (an old
    row holding the proposer's translated text)."""
    if not stored:
        return None
    reasons = []
    for part in stored.split(";"):
        found = _STORED_PART.fullmatch(part)
        if found is None:
            return None
        plain, counted, value = found.groups()
        reasons.append(Reason(plain) if plain else Reason(counted, int(value)))
    return reasons


def reason_texts(reasons) -> list[str]:
    return [r.text() for r in reasons]


def join_reasons(texts) -> str:
    """The phrases joined as the current language writes a list."""
    locale = get_locale()
    return ("；" if locale is None or locale.language == "zh" else "; ").join(texts)


def describe_reason(stored: str | None) -> str | None:
    """A stored match reason for the reader, in the current locale; an old row's text as is."""
    reasons = parse_reasons(stored)
    if reasons is None:
        return stored or None
    return join_reasons(reason_texts(reasons))


@dataclass
class RankedOffer:
    offer: Post
    score: int
    parts: list[Reason] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """The reasons as phrases in the current locale."""
        return reason_texts(self.parts)

    @property
    def reason(self) -> str:
        """The reasons as a match stores them (language-neutral)."""
        return store_reasons(self.parts)


def _places(session) -> dict[int, tuple[int | None, int | None]]:
    """region id → (its district, its street): the tree is small (a city's regions)."""
    rows = session.execute(select(Region.id, Region.tier, Region.parent_id)).all()
    places = {}
    for row in rows:
        if row.tier == "street":
            places[row.id] = (row.parent_id, row.id)
        elif row.tier == "district":
            places[row.id] = (row.id, None)
        else:
            places[row.id] = (None, None)
    return places


def _closeness(need_place, offer_place) -> tuple[int, Reason]:
    (need_district, need_street), (offer_district, offer_street) = need_place, offer_place
    if need_street and need_street == offer_street:
        code = "street"
    elif need_district and need_district == offer_district:
        code = "district"
    else:
        code = "city"
    return CLOSENESS[code][0], Reason(code)


def _overlap(need, offer) -> tuple[int, Reason]:
    if not (need.starts_on and need.ends_on and offer.starts_on and offer.ends_on):
        return 15, Reason("anytime")
    days = (min(need.ends_on, offer.ends_on) - max(need.starts_on, offer.starts_on)).days + 1
    share = days / ((need.ends_on - need.starts_on).days + 1)
    return round(30 * min(share, 1.0)), Reason("overlap", days)


def _similarity(need_tokens: set, text: str) -> tuple[int, Reason]:
    tokens = set(text.split())
    if not need_tokens or not tokens:
        return 0, Reason("text", 0)
    share = len(need_tokens & tokens) / len(need_tokens | tokens)
    return round(30 * min(share * 2, 1.0)), Reason("text", round(100 * share))


def _candidates(session, need: Post, today: date):
    stmt = (select(Post.id, Post.region_id, Post.starts_on, Post.ends_on, Post.search_text)
            .where(Post.kind == "offer", Post.category == need.category,
                   Post.state == PostState.published.value, Post.id != need.id,
                   Post.platform_id != need.platform_id,
                   or_(Post.expires_on.is_(None), Post.expires_on >= today))
            .order_by(Post.published_at.desc(), Post.id.desc()))
    if need.starts_on:
        stmt = stmt.where(or_(Post.ends_on.is_(None), Post.ends_on >= need.starts_on))
    if need.ends_on:
        stmt = stmt.where(or_(Post.starts_on.is_(None), Post.starts_on <= need.ends_on))
    return session.execute(stmt.limit(MAX_CANDIDATES)).all()


def ranked_offers(session, need: Post, *, limit: int = 20, now: datetime | None = None):
    """Published offers of other platforms for a need, best first, each with its score and
    structured reasons."""
    if need.kind != "need":
        raise ValidationError(_l("只能为需求查找匹配的资源。"))
    places, need_tokens = _places(session), set(need.search_text.split())
    need_place = places.get(need.region_id, (None, None))
    scored = []
    for row in _candidates(session, need, today_in_center(now)):
        parts = (_closeness(need_place, places.get(row.region_id, (None, None))),
                 _overlap(need, row), _similarity(need_tokens, row.search_text))
        scored.append((sum(p for p, _r in parts), row.id, [r for _p, r in parts]))
    scored.sort(key=lambda item: (-item[0], item[1]))
    top = scored[:limit]
    posts = {p.id: p for p in session.scalars(select(Post).where(
        Post.id.in_([post_id for _s, post_id, _r in top])))}
    return [RankedOffer(posts[post_id], score, reasons) for score, post_id, reasons in top]


# --- a match's life --------------------------------------------------------------------------

def involved(match: Match, user) -> bool:
    return user.role == "platform" and user.platform_id in (match.need.platform_id,
                                                             match.offer.platform_id)


def visible_match(session, match_id, user) -> Match:
    match = session.get(Match, match_id) if isinstance(match_id, int) else None
    if match is None or not (is_center(user) or involved(match, user)):
        raise NotFoundError(_l("没有找到这条对接。"))
    return match


def _accepting_platform_id(match: Match) -> int:
    """The side that did not propose accepts; a match the center proposed, the offer's side."""
    if match.proposed_by_platform_id == match.offer.platform_id:
        return match.need.platform_id
    return match.offer.platform_id


def _notify(session, match: Match, platform_id: int, title) -> None:
    from center.models.accounts import User

    users = session.scalars(select(User).where(User.platform_id == platform_id,
                                               User.is_active.is_(True))).all()
    notifications.notify(session, users, kind="liaison_match", title=title,
                         link=f"/liaison/matches/{match.id}")


def _live_pair(session, need: Post, offer: Post) -> bool:
    return session.scalar(select(Match.id).where(
        Match.need_id == need.id, Match.offer_id == offer.id,
        Match.state.in_(LIVE_MATCH_STATES))) is not None


def propose(session, *, need: Post, offer: Post, actor, note=None, score=None, reason=None,
            now: datetime | None = None) -> Match:
    """Either platform (of the need or of the offer) or the center proposes a match."""
    if not (can_see(need, actor) and can_see(offer, actor)):
        raise NotFoundError(_l("没有找到这条需求或资源。"))
    if need.kind != "need" or offer.kind != "offer":
        raise ValidationError(_l("对接要在一条需求和一条资源之间进行。"))
    own = actor.role == "platform" and actor.platform_id in (need.platform_id, offer.platform_id)
    if not (own or is_center(actor)):
        raise PermissionDenied(_l("只能为本平台的需求或资源提出对接。"))
    if need.platform_id == offer.platform_id:
        raise ValidationError(_l("需求和资源属于同一平台，无需对接。"))
    if need.state != PostState.published.value or offer.state != PostState.published.value:
        raise ConflictError(_l("只有已发布的需求和资源可以对接。"))
    if _live_pair(session, need, offer):
        raise ConflictError(LIVE_PAIR)
    audit.acting(session, actor)
    match = Match(need=need, offer=offer, state=MatchState.proposed.value, note=note,
                  score=score, reason=reason, proposed_by_id=actor.id,
                  proposed_by_platform_id=actor.platform_id if own else None,
                  created_at=now or utcnow())
    try:  # a concurrent proposal of the same pair may have been stored since the check
        with session.begin_nested():
            session.add(match)
    except IntegrityError:
        raise ConflictError(LIVE_PAIR) from None
    _notify(session, match, _accepting_platform_id(match),
            _l("新的对接提议：%(title)s", title=need.title))
    return match


def _move(session, match: Match, state: str, *, actor, outcome=None, now=None) -> Match:
    if match.state not in ALLOWED_FROM[state]:
        raise ConflictError(_l("当前状态下不能进行此操作。"))
    audit.acting(session, actor)
    now = now or utcnow()
    match.state = state
    if state in ("accepted", "declined"):
        match.decided_at = now
    if state == "completed":
        match.completed_at = now
    if outcome is not None:
        match.outcome = outcome
    need = match.need
    if state == "accepted" and need.state == PostState.published.value:
        need.state = PostState.matched.value
    if state == "declined" and need.state == PostState.matched.value and not any(
            m.state == "accepted" for m in _others(session, match)):
        need.state = PostState.published.value
    session.flush()
    return match


def _others(session, match):
    return session.scalars(select(Match).where(Match.need_id == match.need_id,
                                               Match.id != match.id)).all()


def accept(session, match: Match, *, actor, now: datetime | None = None) -> Match:
    """Only the side that did not propose accepts, for its own platform."""
    if not involved(match, actor) or actor.platform_id != _accepting_platform_id(match):
        raise PermissionDenied(_l("只能由对方平台接受这条对接。"))
    if match.need.state not in (PostState.published.value, PostState.matched.value) \
            or match.offer.state != PostState.published.value:
        raise ConflictError(_l("需求或资源已关闭或过期，不能再接受这条对接。"))
    moved = _move(session, match, "accepted", actor=actor, now=now)
    other = (match.need.platform_id if actor.platform_id == match.offer.platform_id
             else match.offer.platform_id)
    _notify(session, match, other, _l("对接已接受：%(title)s", title=match.need.title))
    return moved


def decline(session, match: Match, *, actor, outcome=None, now=None) -> Match:
    if not (involved(match, actor) or is_center(actor)):
        raise PermissionDenied(_l("只能处理本平台参与的对接。"))
    return _move(session, match, "declined", actor=actor, outcome=outcome, now=now)


def complete(session, match: Match, *, actor, outcome=None, now=None) -> Match:
    if not (involved(match, actor) or is_center(actor)):
        raise PermissionDenied(_l("只能处理本平台参与的对接。"))
    return _move(session, match, "completed", actor=actor, outcome=outcome, now=now)
