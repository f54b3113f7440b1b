"""What waits for a platform in the liaison: matches and referrals it should answer, its own
drafts and the joint-meeting decisions it owns that are not done. Read-only, for its home page."""
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from center.models.liaison import (Match, MatchState, MeetingDecision, PlatformReferral, Post,
                                   PostState, ReferralState)


@dataclass(frozen=True)
class PlatformTodo:
    matches_to_answer: int
    referrals_to_answer: int
    drafts: int
    open_decisions: int


def platform_todo(session, platform_id: int) -> PlatformTodo:
    """Four counts in one query. A proposed match waits for the side that did not propose it
    (the offer's side when the center proposed it), as liaison_matches.accept rules."""
    need, offer = aliased(Post), aliased(Post)
    answering_side = or_(
        and_(Match.proposed_by_platform_id == offer.platform_id, need.platform_id == platform_id),
        and_(or_(Match.proposed_by_platform_id.is_(None),
                 Match.proposed_by_platform_id != offer.platform_id),
             offer.platform_id == platform_id))
    matches = (select(func.count()).select_from(Match)
               .join(need, need.id == Match.need_id).join(offer, offer.id == Match.offer_id)
               .where(Match.state == MatchState.proposed.value, answering_side))
    referrals = select(func.count()).select_from(PlatformReferral).where(
        PlatformReferral.to_platform_id == platform_id,
        PlatformReferral.state == ReferralState.proposed.value)
    drafts = select(func.count()).select_from(Post).where(
        Post.platform_id == platform_id, Post.state == PostState.draft.value)
    decisions = select(func.count()).select_from(MeetingDecision).where(
        MeetingDecision.owner_platform_id == platform_id, MeetingDecision.done_at.is_(None))
    row = session.execute(select(matches.scalar_subquery(), referrals.scalar_subquery(),
                                 drafts.scalar_subquery(), decisions.scalar_subquery())).one()
    return PlatformTodo(*row)
