"""Staff-entered working-day calendar entries that override the library's official data, and
the years whose published schedule staff have entered in full."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, CheckConstraint, Date, Integer, String
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


class CalendarYear(Base):
    """A year beyond the library whose State Council schedule staff have entered in full.

    While confirmed, the year's days that have no override are firm (weekends off, the rest
    worked), no longer provisional. Withdrawing sets confirmed false; the row is never deleted.
    """

    __tablename__ = "calendar_years"
    __audited__ = True
    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2099", name="year_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    confirmed: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
