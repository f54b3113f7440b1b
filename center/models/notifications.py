"""The in-app inbox and the outgoing e-mail queue shared by every module."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from center.models.base import Base, UTCDateTime, utcnow


class Notification(Base):
    """One message in one user's inbox; unread while read_at is empty."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))  # e.g. booking_approved, review_returned
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[Optional[str]] = mapped_column(Text)
    link: Mapped[Optional[str]] = mapped_column(String(300))  # a local path, e.g. /bookings/12
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class OutboundEmail(Base):
    """An e-mail queued in the same transaction as its cause and sent only after the commit."""

    __tablename__ = "outbound_emails"
    __table_args__ = (Index("ix_outbound_emails_unsent", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[Optional[int]] = mapped_column(ForeignKey("notifications.id"))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    # One optional file sent along (the weekly report's workbook).
    attachment_name: Mapped[Optional[str]] = mapped_column(String(200))
    attachment: Mapped[Optional[bytes]] = mapped_column(LargeBinary, deferred=True)
