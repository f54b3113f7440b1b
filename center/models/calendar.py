"""Staff-entered working-day calendar entries that override the library's official data."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from center.models.base import Base, UTCDateTime, utcnow


class CalendarOverride(Base):
    """One day declared a holiday (is_workday false) or a working day (make-up workday, 调休)."""

    __tablename__ = "calendar_overrides"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(50))
    note: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
