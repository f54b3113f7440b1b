"""The weekly report to the supervising office (工作周报) and the scheduler's run log.

One report per ISO week, keyed like `2026-W47` (ISO year and week: 2024-12-30 belongs to
`2025-W01`). The figures are regenerated from records; the manager's narrative is never
overwritten by a regeneration, and every saved state is kept as a version. Submitting locks it.
"""
import enum
from datetime import date, datetime
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from center.models.base import Base, UTCDateTime, utcnow


class WeeklyState(str, enum.Enum):
    draft = "draft"
    submitted = "submitted"


WEEKLY_STATE_LABELS = {"draft": _l("草稿"), "submitted": _l("已报送")}


class WeeklyReport(Base):
    __tablename__ = "weekly_reports"
    __audited__ = True
    __audit_exclude__ = ("figures",)  # regenerated data; the versions keep each state
    __table_args__ = (
        CheckConstraint("iso_week BETWEEN 1 AND 53", name="iso_week_range"),
        CheckConstraint("state IN ('draft', 'submitted')", name="state_known"),
        CheckConstraint("(state = 'submitted') = (submitted_at IS NOT NULL)",
                        name="submitted_has_time"),
        UniqueConstraint("iso_year", "iso_week", name="uq_weekly_reports_iso_year_week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    week_key: Mapped[str] = mapped_column(String(8), unique=True)  # "2026-W47"
    iso_year: Mapped[int] = mapped_column(Integer)
    iso_week: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)  # Monday
    ends_on: Mapped[date] = mapped_column(Date)  # Sunday
    state: Mapped[str] = mapped_column(String(10), default=WeeklyState.draft.value)
    # {"generated_at": iso, "modules": {name: {...} | None (module absent)}}
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    figures_generated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text, default="")  # 本周工作小结 (the manager's)
    plan: Mapped[str] = mapped_column(Text, default="")  # 下周工作计划 (prefilled, then edited)
    plan_prefilled: Mapped[str] = mapped_column(Text, default="")  # what the facts suggested
    recipients: Mapped[list] = mapped_column(JSON, default=list)  # fixed when submitted
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    delivery: Mapped[Optional[str]] = mapped_column(String(20))  # "email" or "marked_sent"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, onupdate=utcnow)

    submitted_by = relationship("User")
    versions: Mapped[list["WeeklyReportVersion"]] = relationship(
        back_populates="report", order_by="WeeklyReportVersion.number")

    @property
    def is_locked(self) -> bool:
        return self.state == WeeklyState.submitted.value


class WeeklyReportVersion(Base):
    """A saved state of a report: after each generation, each edit and the submission."""

    __tablename__ = "weekly_report_versions"
    __table_args__ = (
        UniqueConstraint("report_id", "number", name="uq_weekly_report_versions_number"),
        CheckConstraint("reason IN ('generated', 'regenerated', 'edited', 'submitted')",
                        name="reason_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("weekly_reports.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(12))
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))  # None: a job
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    report: Mapped[WeeklyReport] = relationship(back_populates="versions")
    created_by = relationship("User")


class JobRunStatus(str, enum.Enum):
    running = "running"
    ok = "ok"
    failed = "failed"


JOB_STATUS_LABELS = {"running": _l("运行中"), "ok": _l("成功"), "failed": _l("失败")}


class JobRun(Base):
    """One run of a scheduled job: when, what, result or error (the admin's job log)."""

    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'ok', 'failed')", name="status_known"),
        Index("ix_job_runs_job_started", "job_id", "started_at"),
        Index("ix_job_runs_started", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(50))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=JobRunStatus.running.value)
    result: Mapped[Optional[str]] = mapped_column(Text)  # what it did, in a line
    error: Mapped[Optional[str]] = mapped_column(Text)  # the exception and its traceback
