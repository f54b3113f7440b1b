"""Annual-report pre-review (年检预审): cycles, the return-reason checklist, submissions with
their files and timeline, reviewers on duty, status enquiries and the public lookup's throttle.

A submission waits on the center (received, resubmitted), is worked on (in_review, claimed by one
reviewer), waits on the organization (returned: the center's clock stops) or is done (passed,
then forwarded to the registration authority). `withdrawn` takes a mistaken intake out of the
queue; it is the only state that is not "live", and one organization has at most one live
submission per cycle (a partial unique index).
"""
import enum
from datetime import date, datetime
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary,
                        String, Text, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from center.models.base import Base, UTCDateTime, utcnow
from center.models.directory import Organization


class ReviewState(str, enum.Enum):
    received = "received"
    in_review = "in_review"
    returned = "returned"
    resubmitted = "resubmitted"
    passed = "passed"
    forwarded = "forwarded"
    withdrawn = "withdrawn"


# States in which the report waits on the center (the queue) and in which it is being reviewed.
WAITING_STATES = (ReviewState.received.value, ReviewState.resubmitted.value)
OPEN_STATES = WAITING_STATES + (ReviewState.in_review.value,)
DONE_STATES = (ReviewState.passed.value, ReviewState.forwarded.value)
# Plain Chinese for organizations (the public lookup) and staff alike.
REVIEW_STATE_LABELS = {
    "received": _l("已接收，等待预审"), "in_review": _l("预审中"),
    "returned": _l("已退回，请修改后重新提交"), "resubmitted": _l("已重新提交，等待复审"),
    "passed": _l("预审通过"), "forwarded": _l("已转登记管理机关"), "withdrawn": _l("已撤回"),
}


class IntakeChannel(str, enum.Enum):
    desk = "desk"  # registered by staff at the front desk
    online = "online"  # submitted by the organization itself
    bulk = "bulk"  # from the registration authority's Excel list
    api = "api"


CHANNEL_LABELS = {"desk": _l("窗口登记"), "online": _l("网上提交"), "bulk": _l("批量导入"),
                  "api": _l("接口")}


class EventKind(str, enum.Enum):
    received = "received"
    assigned = "assigned"
    claimed = "claimed"
    released = "released"
    returned = "returned"
    resubmitted = "resubmitted"
    passed = "passed"
    forwarded = "forwarded"
    withdrawn = "withdrawn"
    file_added = "file_added"


EVENT_LABELS = {
    "received": _l("接收"), "assigned": _l("分派"), "claimed": _l("领取预审"),
    "released": _l("放回队列"), "returned": _l("退回修改"), "resubmitted": _l("重新提交"),
    "passed": _l("预审通过"), "forwarded": _l("转登记管理机关"), "withdrawn": _l("撤回"),
    "file_added": _l("上传附件"),
}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(getattr(v, 'value', v)) for v in values)})"


class ReviewCycle(Base):
    """One year's pre-review: its window and service levels in working days."""

    __tablename__ = "review_cycles"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("closes_on >= opens_on", name="closes_after_opens"),
        CheckConstraint("first_review_days BETWEEN 1 AND 60", name="first_review_days_range"),
        CheckConstraint("re_review_days BETWEEN 1 AND 60", name="re_review_days_range"),
        CheckConstraint("correction_days BETWEEN 1 AND 60", name="correction_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)  # the report year (reports on it)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    first_review_days: Mapped[int] = mapped_column(Integer, default=5)
    re_review_days: Mapped[int] = mapped_column(Integer, default=3)
    correction_days: Mapped[int] = mapped_column(Integer, default=5)
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReturnReason(Base):
    """One item of the configurable checklist a report can be returned for."""

    __tablename__ = "return_reasons"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)  # stable, used by the API
    label: Mapped[str] = mapped_column(String(100))  # shown to reviewers and organizations
    guidance: Mapped[Optional[str]] = mapped_column(Text)  # what the organization should do
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class Submission(Base):
    """An organization's annual report for one cycle, as the pre-review queue sees it."""

    __tablename__ = "review_submissions"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(_in("state", ReviewState), name="state_known"),
        CheckConstraint(_in("channel", IntakeChannel), name="channel_known"),
        CheckConstraint("(state = 'in_review') = (claimed_by_id IS NOT NULL)",
                        name="in_review_has_reviewer"),
        CheckConstraint("state NOT IN ('received', 'resubmitted', 'in_review') "
                        "OR due_on IS NOT NULL", name="open_has_due_date"),
        CheckConstraint("state <> 'returned' OR correction_due_on IS NOT NULL",
                        name="returned_has_correction_date"),
        CheckConstraint("return_count >= 0", name="return_count_not_negative"),
        # One live submission per organization and cycle.
        Index("uq_review_submissions_live", "organization_id", "cycle_id", unique=True,
              sqlite_where=text("state <> 'withdrawn'"),
              postgresql_where=text("state <> 'withdrawn'")),
        # The queue: what waits, by due date.
        Index("ix_review_submissions_queue", "cycle_id", "state", "due_on", "id"),
        # "Claim next": the unassigned backlog, due first.
        Index("ix_review_submissions_unassigned_due", "due_on", "id",
              sqlite_where=text("state IN ('received', 'resubmitted') "
                                "AND assigned_to_id IS NULL"),
              postgresql_where=text("state IN ('received', 'resubmitted') "
                                    "AND assigned_to_id IS NULL")),
        Index("ix_review_submissions_claimed_by", "claimed_by_id"),
        Index("ix_review_submissions_assigned_to", "assigned_to_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("review_cycles.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    # Handed to the organization; with the credit code it opens the public status lookup.
    receipt_no: Mapped[str] = mapped_column(String(20), unique=True)
    state: Mapped[str] = mapped_column(String(12), default=ReviewState.received.value)
    channel: Mapped[str] = mapped_column(String(10), default=IntakeChannel.desk.value)
    received_on: Mapped[date] = mapped_column(Date)
    # The date the current wait on the center began (received, or resubmitted).
    queued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[Optional[date]] = mapped_column(Date)  # the center's deadline while open
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    correction_due_on: Mapped[Optional[date]] = mapped_column(Date)  # the organization's
    assigned_to_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    claimed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    passed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    passed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    forwarded_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    cycle: Mapped[ReviewCycle] = relationship()
    organization: Mapped[Organization] = relationship()
    assigned_to = relationship("User", foreign_keys=[assigned_to_id])
    claimed_by = relationship("User", foreign_keys=[claimed_by_id])
    passed_by = relationship("User", foreign_keys=[passed_by_id])
    events: Mapped[list["ReviewEvent"]] = relationship(
        back_populates="submission", order_by="ReviewEvent.id")
    files: Mapped[list["SubmissionFile"]] = relationship(
        back_populates="submission", order_by="SubmissionFile.id")

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < today


class SubmissionFile(Base):
    """An attachment (PDF or XLSX), checked by content and size before it is stored."""

    __tablename__ = "review_files"
    __table_args__ = (
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint(_in("kind", ("pdf", "xlsx")), name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("review_submissions.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(4))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="files")


class ReviewEvent(Base):
    """One step of a submission's timeline: who did what, when, with which reasons."""

    __tablename__ = "review_events"
    __table_args__ = (
        CheckConstraint(_in("kind", EventKind), name="kind_known"),
        CheckConstraint("kind <> 'returned' OR length(reason_codes) > 0",
                        name="return_has_reason"),
        Index("ix_review_events_kind_at", "kind", "at"),
        Index("ix_review_events_actor_at", "actor_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("review_submissions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))  # None: the org
    # Return reasons as space-separated ReturnReason codes (kept even if a reason is archived).
    reason_codes: Mapped[str] = mapped_column(String(300), default="")
    comment: Mapped[Optional[str]] = mapped_column(Text)
    # State after the event, and the deadline it set (the timeline shows both).
    state: Mapped[str] = mapped_column(String(12))
    due_on: Mapped[Optional[date]] = mapped_column(Date)

    submission: Mapped[Submission] = relationship(back_populates="events")
    actor = relationship("User")

    @property
    def reason_list(self) -> list[str]:
        return self.reason_codes.split()


class ReviewDuty(Base):
    """A reviewer on duty: bulk assignment balances the load across these."""

    __tablename__ = "review_duty"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")


class ReviewEnquiry(Base):
    """Someone asked about a report's status: a phone call or visit tagged by staff, or a
    successful public lookup. Counting both shows whether the lookup cuts the calls."""

    __tablename__ = "review_enquiries"
    __table_args__ = (
        CheckConstraint(_in("source", ("phone", "visit", "lookup")), name="source_known"),
        Index("ix_review_enquiries_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(10))
    submission_id: Mapped[Optional[int]] = mapped_column(ForeignKey("review_submissions.id"))
    organization_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organizations.id"))
    staff_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LookupAttempt(Base):
    """A public status lookup, kept briefly per client address to rate-limit enumeration."""

    __tablename__ = "review_lookup_attempts"
    __table_args__ = (Index("ix_review_lookup_attempts_address_at", "address", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(45))
    found: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewDigest(Base):
    """The daily digest of overdue items was sent for this day (the job's done-flag)."""

    __tablename__ = "review_digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    overdue_count: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
