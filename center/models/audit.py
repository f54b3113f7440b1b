"""The audit log: one row per create, change, state transition or archive of a domain record."""
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from center.models.base import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_record", "table_name", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    table_name: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))  # create, update, transition, archive, restore
    changes: Mapped[dict] = mapped_column(JSON)  # {column: [before, after]}
    reason: Mapped[Optional[str]] = mapped_column(Text)

    actor = relationship("User", lazy="joined")
