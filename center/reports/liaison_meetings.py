"""Read-only questions about the quarterly joint meetings (联席会议): the member platforms in
rotation order, the chair the rotation proposes, the needs still unmatched (the agenda's
prefill), and the decisions still open.

Members are the directory's choice: active platforms flagged 联席会议成员 (`is_joint_member`),
in practice the district platforms and the city center's own, and ordered by their 轮值顺序
(`rotation_order`), then region code, then id, so the order is total and stable even where the
directory left an order blank.
"""
from datetime import date

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from center.models.directory import Platform
from center.models.liaison import JointMeeting, Match, MeetingDecision, Post, PostState

COUNTED_MATCHES = ("accepted", "completed")  # a need with one of these is no longer unmatched


def rotation_key(platform: Platform) -> tuple:
    return (platform.rotation_order is None, platform.rotation_order or 0,
            platform.region.code if platform.region else "", platform.id)


def members(session) -> list[Platform]:
    """Active joint-meeting member platforms in rotation order."""
    found = session.scalars(select(Platform).where(Platform.is_joint_member.is_(True),
                                                   Platform.archived_at.is_(None))).all()
    return sorted(found, key=rotation_key)


def last_chair(session, year: int, quarter: int) -> Platform | None:
    """The chair of the latest meeting before year+quarter that had one."""
    return session.scalar(
        select(Platform).join(JointMeeting, JointMeeting.chair_platform_id == Platform.id)
        .where(or_(JointMeeting.year < year,
                   (JointMeeting.year == year) & (JointMeeting.quarter < quarter)))
        .order_by(JointMeeting.year.desc(), JointMeeting.quarter.desc()).limit(1))


def proposed_chair(session, year: int, quarter: int) -> Platform | None:
    """The member after the last chair in rotation order (wrapping round), so the platform that
    just chaired is skipped; with no earlier chair, the first member. A single member chairs
    again, there being nobody else."""
    ordered = members(session)
    if not ordered:
        return None
    last = last_chair(session, year, quarter)
    if last is None:
        return ordered[0]
    after = [p for p in ordered if rotation_key(p) > rotation_key(last)]
    return (after or ordered)[0]


def _unmatched(today: date) -> tuple:
    counted = exists().where(Match.need_id == Post.id, Match.state.in_(COUNTED_MATCHES))
    return (Post.kind == "need", Post.state == PostState.published.value, ~counted,
            or_(Post.expires_on.is_(None), Post.expires_on >= today))


def unmatched_needs(session, today: date, *, limit: int = 200) -> list[Post]:
    """Published needs, not expired, without an accepted or completed match; oldest first."""
    return list(session.scalars(
        select(Post).options(selectinload(Post.platform)).where(*_unmatched(today))
        .order_by(Post.published_at, Post.id).limit(limit)))


def count_unmatched_needs(session, today: date) -> int:
    return session.scalar(select(func.count()).select_from(Post).where(*_unmatched(today)))


def open_decisions(session, *, owner_platform_id: int | None = None) -> list[MeetingDecision]:
    """Decisions not done yet, soonest due first (no due date last)."""
    stmt = (select(MeetingDecision)
            .options(selectinload(MeetingDecision.meeting),
                     selectinload(MeetingDecision.owner_platform))
            .where(MeetingDecision.done_at.is_(None))
            .order_by(MeetingDecision.due_on.is_(None), MeetingDecision.due_on,
                      MeetingDecision.id))
    if owner_platform_id is not None:
        stmt = stmt.where(MeetingDecision.owner_platform_id == owner_platform_id)
    return list(session.scalars(stmt))


def is_overdue(decision: MeetingDecision, today: date) -> bool:
    return decision.done_at is None and decision.due_on is not None and decision.due_on < today


def meetings(session) -> list[JointMeeting]:
    """Every meeting, latest quarter first (four a year: a short list)."""
    return list(session.scalars(
        select(JointMeeting).options(selectinload(JointMeeting.chair),
                                     selectinload(JointMeeting.decisions))
        .order_by(JointMeeting.year.desc(), JointMeeting.quarter.desc())))


def meetings_between(session, first: date, last: date) -> list[JointMeeting]:
    """Meetings held on a day of first..last (the weekly plan)."""
    return list(session.scalars(
        select(JointMeeting).where(JointMeeting.held_on.between(first, last))
        .order_by(JointMeeting.held_on)))
