"""Consultations (咨询辅导) logged by the front desk, their follow-ups and outcome evaluation,
frequently asked questions, the expert pool (公益导师), the resource union's partners
(资源联合体) and referrals from a consultation to an expert or a partner.

Question and answer are searchable by substrings of Chinese words: `search_text` holds the text
as CJK bigrams (center.services.textsearch), indexed by an FTS5 table on SQLite and a GIN index on
PostgreSQL (both created by the migration).
"""
import enum
from datetime import date, datetime
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, event)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from center.models.base import Base, UTCDateTime, utcnow
from center.models.directory import Organization

MAX_MINUTES = 8 * 60  # one sitting; longer work is a project, not a consultation
MAX_TEXT = 4000  # question, answer, notes: a long answer fits, a pasted document does not


class Channel(str, enum.Enum):
    visit = "visit"
    phone = "phone"
    online = "online"
    wechat = "wechat"


class Topic(str, enum.Enum):
    policy = "policy"
    annual_check = "annual_check"
    finance = "finance"
    governance = "governance"
    project = "project"
    party_building = "party_building"
    hr = "hr"
    fundraising = "fundraising"
    wellbeing = "wellbeing"
    other = "other"


class ConsultationState(str, enum.Enum):
    resolved = "resolved"
    follow_up = "follow_up"
    referred = "referred"


class ServiceMode(str, enum.Enum):
    """The eight service modes of the expert pool and the resource union."""

    consulting = "consulting"
    training = "training"
    agency = "agency"
    group = "group"
    referral = "referral"
    joint_publishing = "joint_publishing"
    joint_events = "joint_events"
    joint_research = "joint_research"


class Sector(str, enum.Enum):
    government = "government"
    ngo = "ngo"
    business = "business"
    academia = "academia"


class ReferralState(str, enum.Enum):
    proposed = "proposed"
    accepted = "accepted"
    done = "done"
    declined = "declined"


CHANNEL_LABELS = {"visit": _l("来访"), "phone": _l("电话"), "online": _l("线上"),
                  "wechat": _l("微信")}
TOPIC_LABELS = {
    "policy": _l("政策与登记"), "annual_check": _l("年检年报"), "finance": _l("财务与审计"),
    "governance": _l("内部治理"), "project": _l("项目管理"), "party_building": _l("党建"),
    "hr": _l("人力资源"), "fundraising": _l("筹资募捐"), "wellbeing": _l("压力与身心健康"),
    "other": _l("其他"),
}
STATE_LABELS = {"resolved": _l("已解决"), "follow_up": _l("待跟进"), "referred": _l("已转介")}
MODE_LABELS = {
    "consulting": _l("咨询服务"), "training": _l("培训服务"), "agency": _l("代理服务"),
    "group": _l("组团服务"), "referral": _l("转介服务"), "joint_publishing": _l("联合发布"),
    "joint_events": _l("联办活动"), "joint_research": _l("联合调研"),
}
SECTOR_LABELS = {"government": _l("政府部门"), "ngo": _l("社会组织"), "business": _l("企业"),
                 "academia": _l("高校与研究机构")}
REFERRAL_STATE_LABELS = {"proposed": _l("已提出"), "accepted": _l("已接受"), "done": _l("已完成"),
                         "declined": _l("已拒绝")}
# Allowed referral transitions: state → states it may move to.
REFERRAL_TRANSITIONS = {"proposed": ("accepted", "declined"), "accepted": ("done", "declined"),
                        "done": (), "declined": ()}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(getattr(v, 'value', v)) for v in values)})"


class Consultation(Base):
    __tablename__ = "consultations"
    __audited__ = True
    __audit_exclude__ = ("search_text",)
    __audit_lists__ = {"topics": ("topic_rows", "topic")}  # topic changes show on its timeline
    __table_args__ = (
        CheckConstraint(_in("channel", Channel), name="channel_known"),
        CheckConstraint(_in("state", ConsultationState), name="state_known"),
        CheckConstraint("organization_id IS NOT NULL OR requester_name IS NOT NULL",
                        name="has_requester"),
        CheckConstraint(f"minutes BETWEEN 1 AND {MAX_MINUTES}", name="minutes_range"),
        CheckConstraint("state <> 'follow_up' OR follow_up_on IS NOT NULL",
                        name="follow_up_has_date"),
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
                        name="satisfaction_range"),
        CheckConstraint("(follow_up_closed_at IS NULL) = (follow_up_closed_by_id IS NULL)",
                        name="closed_has_closer"),
        Index("ix_consultations_occurred_at", "occurred_at"),
        Index("ix_consultations_follow_up", "state", "follow_up_on"),
        Index("ix_consultations_staff_occurred", "staff_id", "occurred_at"),
        Index("ix_consultations_org_occurred", "organization_id", "occurred_at"),
        # The week's figures: evaluations made and follow-ups closed in a date range.
        Index("ix_consultations_evaluated_at", "evaluated_at"),
        Index("ix_consultations_follow_up_closed_at", "follow_up_closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # When the conversation took place (defaults to when it was logged).
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(10))
    organization_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organizations.id"))
    # An individual (or an organization not yet in the directory) asks instead.
    requester_name: Mapped[Optional[str]] = mapped_column(String(50))
    requester_phone: Mapped[Optional[str]] = mapped_column(String(30))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[Optional[str]] = mapped_column(Text)
    minutes: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10), default=ConsultationState.resolved.value)
    follow_up_on: Mapped[Optional[date]] = mapped_column(Date)
    follow_up_closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    follow_up_closed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    follow_up_outcome: Mapped[Optional[str]] = mapped_column(Text)
    # Outcome evaluation (成效评估), recorded once the matter is resolved.
    satisfaction: Mapped[Optional[int]] = mapped_column(Integer)
    outcome: Mapped[Optional[str]] = mapped_column(Text)
    evaluated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    staff_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, onupdate=utcnow)
    archived_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Question, answer and requester as search tokens; kept in step by a flush hook below.
    search_text: Mapped[str] = mapped_column(Text, default="")

    organization: Mapped[Optional[Organization]] = relationship()
    staff = relationship("User", foreign_keys=[staff_id])
    follow_up_closed_by = relationship("User", foreign_keys=[follow_up_closed_by_id])
    topic_rows: Mapped[list["ConsultationTopic"]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan",
        order_by="ConsultationTopic.topic")
    referrals: Mapped[list["Referral"]] = relationship(
        back_populates="consultation", order_by="Referral.id")

    @property
    def topics(self) -> list[str]:
        return [row.topic for row in self.topic_rows]

    @topics.setter
    def topics(self, codes) -> None:
        wanted = list(dict.fromkeys(codes))
        self.topic_rows = ([row for row in self.topic_rows if row.topic in wanted]
                           + [ConsultationTopic(topic=code) for code in wanted
                              if code not in self.topics])

    @property
    def follow_up_open(self) -> bool:
        return self.state == ConsultationState.follow_up.value and self.follow_up_closed_at is None

    @property
    def requester_label(self) -> str:
        return self.organization.name if self.organization else (self.requester_name or "")


class ConsultationTopic(Base):
    """One topic of a consultation (a consultation has one or more)."""

    __tablename__ = "consultation_topics"
    __table_args__ = (
        UniqueConstraint("consultation_id", "topic", name="uq_consultation_topics_topic"),
        CheckConstraint(_in("topic", Topic), name="topic_known"),
        Index("ix_consultation_topics_topic", "topic", "consultation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id",
                                                            ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(20))

    consultation: Mapped[Consultation] = relationship(back_populates="topic_rows")


class Faq(Base):
    """A frequently asked question with a vetted answer, per topic; often promoted from a
    consultation whose answer was good."""

    __tablename__ = "faqs"
    __audited__ = True
    __audit_exclude__ = ("search_text",)
    __table_args__ = (CheckConstraint(_in("topic", Topic), name="topic_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(20), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    source_consultation_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("consultations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, onupdate=utcnow)
    archived_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    search_text: Mapped[str] = mapped_column(Text, default="")

    source_consultation: Mapped[Optional[Consultation]] = relationship()
    created_by = relationship("User")


class Expert(Base):
    """A mentor of the expert pool (公益导师): a person from government, an NGO or business."""

    __tablename__ = "experts"
    __audited__ = True
    __table_args__ = (CheckConstraint(_in("sector", Sector), name="sector_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    title: Mapped[Optional[str]] = mapped_column(String(100))  # position, e.g. 注册会计师
    employer: Mapped[Optional[str]] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(12))
    # Fields of expertise as topic codes (those a referral from a consultation matches on).
    fields: Mapped[str] = mapped_column(String(300), default="")  # space-separated Topic codes
    modes: Mapped[str] = mapped_column(String(200), default="")  # space-separated ServiceMode
    phone: Mapped[Optional[str]] = mapped_column(String(30))
    email: Mapped[Optional[str]] = mapped_column(String(120))
    bio: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    @property
    def field_list(self) -> list[str]:
        return self.fields.split()

    @property
    def mode_list(self) -> list[str]:
        return self.modes.split()


class Partner(Base):
    """A member of the resource union (资源联合体): a foundation, firm, university or NGO that
    serves organizations in some of the eight service modes."""

    __tablename__ = "partners"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[Optional[str]] = mapped_column(String(50))  # e.g. 基金会, 律师事务所, 高校
    fields: Mapped[str] = mapped_column(String(300), default="")  # space-separated Topic codes
    modes: Mapped[str] = mapped_column(String(200), default="")  # space-separated ServiceMode
    contact_name: Mapped[Optional[str]] = mapped_column(String(50))
    phone: Mapped[Optional[str]] = mapped_column(String(30))
    email: Mapped[Optional[str]] = mapped_column(String(120))
    description: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    @property
    def field_list(self) -> list[str]:
        return self.fields.split()

    @property
    def mode_list(self) -> list[str]:
        return self.modes.split()


class Referral(Base):
    """A consultation handed to an expert or a partner, in one of the service modes."""

    __tablename__ = "referrals"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(_in("state", ReferralState), name="state_known"),
        CheckConstraint(_in("mode", ServiceMode), name="mode_known"),
        CheckConstraint("(expert_id IS NULL) <> (partner_id IS NULL)", name="one_target"),
        CheckConstraint("state NOT IN ('done', 'declined') OR closed_at IS NOT NULL",
                        name="closed_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    expert_id: Mapped[Optional[int]] = mapped_column(ForeignKey("experts.id"), index=True)
    partner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("partners.id"), index=True)
    mode: Mapped[str] = mapped_column(String(20), default=ServiceMode.consulting.value)
    state: Mapped[str] = mapped_column(String(10), default=ReferralState.proposed.value)
    note: Mapped[Optional[str]] = mapped_column(Text)  # what the center asks of the target
    outcome: Mapped[Optional[str]] = mapped_column(Text)  # what came of it
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    consultation: Mapped[Consultation] = relationship(back_populates="referrals")
    expert: Mapped[Optional[Expert]] = relationship()
    partner: Mapped[Optional[Partner]] = relationship()
    created_by = relationship("User")

    @property
    def target_name(self) -> str:
        return self.expert.name if self.expert else self.partner.name

    def can_move_to(self, state: str) -> bool:
        return state in REFERRAL_TRANSITIONS[self.state]


@event.listens_for(Consultation, "before_insert")
@event.listens_for(Consultation, "before_update")
def _refresh_search_text(mapper, connection, consultation) -> None:
    from center.services.textsearch import index_text

    consultation.search_text = index_text(consultation.question, consultation.answer,
                                          consultation.requester_name)


@event.listens_for(Faq, "before_insert")
@event.listens_for(Faq, "before_update")
def _refresh_faq_search_text(mapper, connection, faq) -> None:
    from center.services.textsearch import index_text

    faq.search_text = index_text(faq.question, faq.answer)
