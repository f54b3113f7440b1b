"""Venues of the center, their rules and opening hours, blackouts, bookings and the waitlist.

No two live bookings of one venue overlap: on PostgreSQL an exclusion constraint, on SQLite a
trigger that runs inside SQLite's single writer lock (both created by the migration).
"""
import enum
from datetime import datetime, time, timedelta
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, Time,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from center.models.base import Base, UTCDateTime, utcnow


class BookingState(str, enum.Enum):
    pending = "pending"  # waits for a manager's approval
    held = "held"  # offered to the first on the waitlist, until the hold expires
    approved = "approved"
    rejected = "rejected"
    cancelled = "cancelled"
    expired = "expired"  # a hold that was not taken up in time
    checked_in = "checked_in"
    no_show = "no_show"


# No booking spans more than a day (venues allow at most 1440 minutes; the database checks it
# too), so an overlap search only needs bookings that start within a day before.
MAX_BOOKING_SPAN = timedelta(days=1)

# States that occupy the venue's time: the overlap rule applies to these only.
LIVE_STATES = (BookingState.pending.value, BookingState.held.value,
               BookingState.approved.value, BookingState.checked_in.value)
BOOKING_STATE_LABELS = {
    "pending": _l("待审批"), "held": _l("候补保留中"), "approved": _l("已批准"),
    "rejected": _l("已驳回"), "cancelled": _l("已取消"), "expired": _l("保留已过期"),
    "checked_in": _l("已签到"), "no_show": _l("未到场"),
}


class WaitlistState(str, enum.Enum):
    waiting = "waiting"
    offered = "offered"
    accepted = "accepted"
    lapsed = "lapsed"  # the offer's hold expired
    withdrawn = "withdrawn"


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(getattr(v, 'value', v)) for v in values)})"


class Venue(Base):
    __tablename__ = "venues"
    __audited__ = True
    __audit_exclude__ = ("feed_token",)
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("min_lead_minutes >= 0", name="lead_not_negative"),
        CheckConstraint("max_length_minutes > 0", name="max_length_positive"),
        CheckConstraint("max_length_minutes <= 1440", name="max_length_at_most_a_day"),
        CheckConstraint("horizon_days > 0", name="horizon_positive"),
        CheckConstraint("monthly_quota IS NULL OR monthly_quota > 0", name="quota_positive"),
        CheckConstraint("no_show_after_minutes > 0", name="no_show_after_positive"),
        CheckConstraint("hold_minutes > 0", name="hold_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    location: Mapped[Optional[str]] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column(Integer)
    equipment: Mapped[Optional[str]] = mapped_column(String(500))
    description: Mapped[Optional[str]] = mapped_column(Text)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=True)
    min_lead_minutes: Mapped[int] = mapped_column(Integer, default=24 * 60)
    max_length_minutes: Mapped[int] = mapped_column(Integer, default=4 * 60)
    horizon_days: Mapped[int] = mapped_column(Integer, default=60)
    # Bookings per organization per calendar month (center time); empty means no limit.
    monthly_quota: Mapped[Optional[int]] = mapped_column(Integer)
    no_show_after_minutes: Mapped[int] = mapped_column(Integer, default=30)
    hold_minutes: Mapped[int] = mapped_column(Integer, default=24 * 60)
    # Secret part of the private iCalendar link; replacing it revokes the old link.
    feed_token: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    hours: Mapped[list["VenueHours"]] = relationship(
        back_populates="venue", order_by="VenueHours.weekday", cascade="all, delete-orphan")


class VenueHours(Base):
    """Opening hours on one weekday (0 = Monday); a weekday without a row is closed."""

    __tablename__ = "venue_hours"
    __table_args__ = (
        UniqueConstraint("venue_id", "weekday", name="uq_venue_hours_venue_weekday"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opens"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    weekday: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[time] = mapped_column(Time)
    closes_at: Mapped[time] = mapped_column(Time)

    venue: Mapped[Venue] = relationship(back_populates="hours")


class VenueBlackout(Base):
    """A period when a venue (or, without venue, every venue) cannot be booked."""

    __tablename__ = "venue_blackouts"
    __audited__ = True
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_starts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[Optional[int]] = mapped_column(ForeignKey("venues.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    venue: Mapped[Optional[Venue]] = relationship()


class Booking(Base):
    __tablename__ = "bookings"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        CheckConstraint("attendees > 0", name="attendees_positive"),
        CheckConstraint(_in("status", BookingState), name="status_known"),
        # A rejection always carries its reason; a decision always names who decided.
        CheckConstraint("status <> 'rejected' OR decision_reason IS NOT NULL", name="rejected_has_reason"),
        CheckConstraint("status NOT IN ('approved', 'rejected') OR decided_at IS NOT NULL",
                        name="decided_has_time"),
        CheckConstraint("status <> 'held' OR hold_expires_at IS NOT NULL", name="held_has_expiry"),
        CheckConstraint("status <> 'checked_in' OR checked_in_at IS NOT NULL", name="checked_in_has_time"),
        Index("ix_bookings_venue_starts", "venue_id", "starts_at"),
        Index("ix_bookings_org_starts", "organization_id", "starts_at"),
        Index("ix_bookings_status_starts", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    title: Mapped[str] = mapped_column(String(200))
    attendees: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=BookingState.pending.value)
    series_id: Mapped[Optional[str]] = mapped_column(String(32), index=True)  # recurring bookings
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    decision_reason: Mapped[Optional[str]] = mapped_column(Text)
    hold_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    venue: Mapped[Venue] = relationship(lazy="joined")
    organization = relationship("Organization", lazy="joined")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATES


class WaitlistEntry(Base):
    """An organization waiting for a taken slot; offered the slot when it frees up."""

    __tablename__ = "venue_waitlist"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        CheckConstraint("attendees > 0", name="attendees_positive"),
        CheckConstraint(_in("status", WaitlistState), name="status_known"),
        Index("ix_venue_waitlist_venue_status", "venue_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    attendees: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=WaitlistState.waiting.value)
    booking_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bookings.id"))  # the held booking
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    venue: Mapped[Venue] = relationship(lazy="joined")
    organization = relationship("Organization", lazy="joined")
