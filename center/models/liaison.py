"""Three-tier platform liaison (市区街三级平台联动): needs and offers posted by platforms, matches
between them, quarterly joint meetings with a rotating chair, and referrals of organizations.

A post belongs to one platform; its drafts are seen only by that platform and the center's staff.
A match joins a need and an offer of (usually) two platforms; both see it, each transition is
audited. `platform_id` NULL on a referral's side means the city center itself.
"""
import enum
from datetime import date, datetime
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, event, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from center.models.base import Base, UTCDateTime, utcnow
from center.models.directory import Organization, Platform, Region


class PostKind(str, enum.Enum):
    need = "need"
    offer = "offer"


class PostCategory(str, enum.Enum):
    trainer = "trainer"
    venue = "venue"
    visit = "visit"
    funding = "funding"
    volunteer = "volunteer"
    course = "course"
    other = "other"


class PostState(str, enum.Enum):
    draft = "draft"
    published = "published"
    matched = "matched"
    closed = "closed"
    expired = "expired"


class MatchState(str, enum.Enum):
    proposed = "proposed"
    accepted = "accepted"
    completed = "completed"
    declined = "declined"


class ReferralState(str, enum.Enum):
    proposed = "proposed"
    accepted = "accepted"
    declined = "declined"
    completed = "completed"
    expired = "expired"  # not accepted by its deadline


KIND_LABELS = {"need": _l("需求"), "offer": _l("资源")}
CATEGORY_LABELS = {
    "trainer": _l("师资"), "venue": _l("场地"), "visit": _l("参观交流"), "funding": _l("资金"),
    "volunteer": _l("志愿者"), "course": _l("课程"), "other": _l("其他"),
}
POST_STATE_LABELS = {"draft": _l("草稿"), "published": _l("已发布"), "matched": _l("已对接"),
                     "closed": _l("已关闭"), "expired": _l("已过期")}
MATCH_STATE_LABELS = {"proposed": _l("待确认"), "accepted": _l("已接受"),
                      "completed": _l("已完成"), "declined": _l("已谢绝")}
REFERRAL_STATE_LABELS = {"proposed": _l("待接收"), "accepted": _l("已接收"),
                         "declined": _l("已拒绝"), "completed": _l("已办结"),
                         "expired": _l("逾期未接收")}
MATCH_TRANSITIONS = {"proposed": ("accepted", "declined"), "accepted": ("completed", "declined"),
                     "completed": (), "declined": ()}
LIVE_MATCH_STATES = ("proposed", "accepted")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(getattr(v, 'value', v)) for v in values)})"


class Post(Base):
    """A need or an offer of one platform."""

    __tablename__ = "liaison_posts"
    __audited__ = True
    __audit_exclude__ = ("search_text",)
    __table_args__ = (
        CheckConstraint(_in("kind", PostKind), name="kind_known"),
        CheckConstraint(_in("category", PostCategory), name="category_known"),
        CheckConstraint(_in("state", PostState), name="state_known"),
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
                        name="ends_after_starts"),
        CheckConstraint("state = 'draft' OR published_at IS NOT NULL",
                        name="published_has_time"),
        # The board: published posts by kind and category, newest first.
        Index("ix_liaison_posts_board", "state", "kind", "category", "published_at"),
        # The whole board newest first, a page at a time without sorting every post.
        Index("ix_liaison_posts_published", "state", "published_at", "id"),
        # The board's count and its picture read only these columns (a covering index).
        Index("ix_liaison_posts_board_counts", "state", "expires_on", "region_id", "kind",
              "category"),
        Index("ix_liaison_posts_platform_state", "platform_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    kind: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[Optional[str]] = mapped_column(Text)
    quantity: Mapped[Optional[int]] = mapped_column(Integer)
    starts_on: Mapped[Optional[date]] = mapped_column(Date)  # the time window it concerns
    ends_on: Mapped[Optional[date]] = mapped_column(Date)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    contact_name: Mapped[Optional[str]] = mapped_column(String(50))
    contact_phone: Mapped[Optional[str]] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(10), default=PostState.draft.value)
    expires_on: Mapped[Optional[date]] = mapped_column(Date)  # leaves the board after this day
    published_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, onupdate=utcnow)
    search_text: Mapped[str] = mapped_column(Text, default="")  # title + description as tokens

    platform: Mapped[Platform] = relationship()
    region: Mapped[Region] = relationship()
    created_by = relationship("User")


class Match(Base):
    """A need joined with an offer; proposed by either side or by the center."""

    __tablename__ = "liaison_matches"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(_in("state", MatchState), name="state_known"),
        CheckConstraint("need_id <> offer_id", name="two_posts"),
        # One live match per pair.
        Index("uq_liaison_matches_live_pair", "need_id", "offer_id", unique=True,
              sqlite_where=text("state IN ('proposed', 'accepted')"),
              postgresql_where=text("state IN ('proposed', 'accepted')")),
        Index("ix_liaison_matches_offer", "offer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("liaison_posts.id"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("liaison_posts.id"))
    state: Mapped[str] = mapped_column(String(10), default=MatchState.proposed.value)
    score: Mapped[Optional[int]] = mapped_column(Integer)  # 0..100 when proposed
    reason: Mapped[Optional[str]] = mapped_column(String(300))  # why it ranked so
    # Who proposed: a platform (its user) or the center (platform NULL, a staff user).
    proposed_by_platform_id: Mapped[Optional[int]] = mapped_column(ForeignKey("platforms.id"))
    proposed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    note: Mapped[Optional[str]] = mapped_column(Text)
    outcome: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    completed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    need: Mapped[Post] = relationship(foreign_keys=[need_id])
    offer: Mapped[Post] = relationship(foreign_keys=[offer_id])
    proposed_by = relationship("User")
    proposed_by_platform: Mapped[Optional[Platform]] = relationship()


class JointMeeting(Base):
    """The quarterly joint meeting (联席会议) of the member platforms."""

    __tablename__ = "joint_meetings"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("year", "quarter", name="uq_joint_meetings_year_quarter"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    held_on: Mapped[Optional[date]] = mapped_column(Date)
    location: Mapped[Optional[str]] = mapped_column(String(200))
    chair_platform_id: Mapped[Optional[int]] = mapped_column(ForeignKey("platforms.id"))
    agenda: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    chair: Mapped[Optional[Platform]] = relationship()
    attendance: Mapped[list["MeetingAttendance"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan")
    decisions: Mapped[list["MeetingDecision"]] = relationship(
        back_populates="meeting", order_by="MeetingDecision.id")


class MeetingAttendance(Base):
    __tablename__ = "meeting_attendance"
    __table_args__ = (
        UniqueConstraint("meeting_id", "platform_id", name="uq_meeting_attendance_platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("joint_meetings.id"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    attended: Mapped[bool] = mapped_column(Boolean, default=False)
    representative: Mapped[Optional[str]] = mapped_column(String(50))

    meeting: Mapped[JointMeeting] = relationship(back_populates="attendance")
    platform: Mapped[Platform] = relationship()


class MeetingDecision(Base):
    """A decision of a meeting with its owner and due date; shown until done."""

    __tablename__ = "meeting_decisions"
    __audited__ = True
    __table_args__ = (Index("ix_meeting_decisions_open", "done_at", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("joint_meetings.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner_platform_id: Mapped[Optional[int]] = mapped_column(ForeignKey("platforms.id"))
    owner_name: Mapped[Optional[str]] = mapped_column(String(50))  # a person, if not a platform
    due_on: Mapped[Optional[date]] = mapped_column(Date)
    done_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    done_note: Mapped[Optional[str]] = mapped_column(Text)

    meeting: Mapped[JointMeeting] = relationship(back_populates="decisions")
    owner_platform: Mapped[Optional[Platform]] = relationship()


class PlatformReferral(Base):
    """An organization referred (转介) from one platform to another, or to/from the center."""

    __tablename__ = "platform_referrals"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(_in("state", ReferralState), name="state_known"),
        CheckConstraint("from_platform_id IS NULL OR to_platform_id IS NULL "
                        "OR from_platform_id <> to_platform_id", name="two_sides"),
        Index("ix_platform_referrals_to_state", "to_platform_id", "state"),
        Index("ix_platform_referrals_from_state", "from_platform_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    from_platform_id: Mapped[Optional[int]] = mapped_column(ForeignKey("platforms.id"))
    to_platform_id: Mapped[Optional[int]] = mapped_column(ForeignKey("platforms.id"))
    reason: Mapped[str] = mapped_column(Text)
    accept_by: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default=ReferralState.proposed.value)
    outcome: Mapped[Optional[str]] = mapped_column(Text)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship()
    from_platform: Mapped[Optional[Platform]] = relationship(foreign_keys=[from_platform_id])
    to_platform: Mapped[Optional[Platform]] = relationship(foreign_keys=[to_platform_id])
    created_by = relationship("User")


@event.listens_for(Post, "before_insert")
@event.listens_for(Post, "before_update")
def _refresh_search_text(mapper, connection, post) -> None:
    from center.services.textsearch import index_text

    post.search_text = index_text(post.title, post.description)
