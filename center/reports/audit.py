"""The audit log, read for the admin page: filtered, newest first, changes made readable.

Read-only: two queries per page (a count and the rows with their actors joined), whatever
the number of rows.
"""
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from center.models.accounts import User
from center.models.audit import AuditEntry
from center.models.base import Base
from center.models.directory import Platform

ACTION_LABELS = {
    "create": _l("新建"),
    "update": _l("修改"),
    "transition": _l("状态变更"),
    "archive": _l("归档"),
    "restore": _l("恢复"),
    "password": _l("修改密码"),
}
TABLE_LABELS = {
    "users": _l("用户"),
    "api_tokens": _l("API 令牌"),
    "organizations": _l("社会组织"),
    "platforms": _l("支持平台"),
    "regions": _l("区域"),
    "calendar_overrides": _l("工作日历"),
    "calendar_years": _l("工作日历年度确认"),
    "consultations": _l("咨询记录"),
    "experts": _l("公益导师"),
    "partners": _l("资源联合体"),
    "referrals": _l("转介"),
    "faqs": _l("常见问题"),
    "review_cycles": _l("年检预审周期"),
    "return_reasons": _l("退回原因"),
    "review_submissions": _l("年检年报"),
    "weekly_reports": _l("工作周报"),
    "liaison_posts": _l("平台需求与资源"),
    "liaison_matches": _l("平台对接"),
    "joint_meetings": _l("联席会议"),
    "meeting_decisions": _l("会议决议"),
    "platform_referrals": _l("平台转介"),
}
COLUMN_LABELS = {
    "name": _l("名称"), "display_name": _l("姓名"), "username": _l("用户名"), "role": _l("角色"),
    "is_active": _l("启用"), "email": _l("电子邮箱"), "locale": _l("界面语言"),
    "created_at": _l("创建时间"), "archived_at": _l("归档时间"), "revoked_at": _l("撤销时间"),
    "expires_at": _l("到期时间"), "credit_code": _l("统一社会信用代码"), "type": _l("类型"),
    "status": _l("状态"), "state": _l("状态"), "note": _l("备注"), "address": _l("地址"),
    "contact_name": _l("联系人"), "contact_phone": _l("联系电话"),
    "organization_id": _l("所属组织"), "platform_id": _l("所属平台"), "user_id": _l("用户"),
    "level": _l("登记级别"), "district_id": _l("所在区"), "field": _l("业务领域"),
    "name_initials": _l("拼音首字母"), "region_id": _l("所在区域"), "tier": _l("层级"),
    "is_joint_member": _l("联席会议成员"), "rotation_order": _l("轮值顺序"),
    "day": _l("日期"), "is_workday": _l("工作日"), "prefix": _l("令牌前缀"),
    "year": _l("年份"), "confirmed": _l("已确认"),
}
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")


@dataclass
class AuditFilters:
    table: str | None = None
    record_id: str | None = None
    actor: str | None = None  # a user name, or part of a display name
    action: str | None = None
    date_from: date | None = None  # local dates, both ends included
    date_to: date | None = None


@dataclass
class Change:
    column: str
    label: str
    before: str
    after: str


@dataclass
class AuditRow:
    id: int
    at: datetime
    actor: str | None  # None: the system
    actor_username: str | None
    table: str
    table_label: str
    record_id: str
    action: str
    action_label: str
    reason: str | None
    changes: list[Change] = field(default_factory=list)


@dataclass
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int
    per_page: int


def audited_tables() -> list[tuple[str, str]]:
    """(table name, label) of every audited model; a model may name itself with __audit_label__."""
    tables = {}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if getattr(cls, "__audited__", False):
            label = getattr(cls, "__audit_label__", None) or TABLE_LABELS.get(cls.__tablename__)
            tables[cls.__tablename__] = label or cls.__tablename__
    return sorted(tables.items(), key=lambda item: str(item[1]))


def _conditions(filters: AuditFilters, tz: ZoneInfo) -> list:
    conditions = []
    if filters.table:
        conditions.append(AuditEntry.table_name == filters.table)
    if filters.record_id:
        conditions.append(AuditEntry.record_id == filters.record_id)
    if filters.action:
        conditions.append(AuditEntry.action == filters.action)
    if filters.actor:
        actors = select(User.id).where(or_(
            func.lower(User.username) == filters.actor.lower(),
            User.display_name.contains(filters.actor, autoescape=True)))
        conditions.append(AuditEntry.actor_id.in_(actors))
    if filters.date_from:
        conditions.append(AuditEntry.at >= datetime.combine(filters.date_from, time(), tz))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), tz)
        conditions.append(AuditEntry.at < end)
    return conditions


def audit_page(session, filters: AuditFilters, *, page=1, per_page=50,
               timezone="Asia/Shanghai") -> AuditPage:
    """One page of the audit log, newest first, matching every given filter."""
    tz = ZoneInfo(timezone)
    conditions = _conditions(filters, tz)
    page = max(page, 1)
    total = session.scalar(select(func.count(AuditEntry.id)).where(*conditions))
    entries = session.scalars(
        select(AuditEntry).where(*conditions).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).unique()
    labels = dict(audited_tables())
    return AuditPage([_row(entry, labels, tz) for entry in entries], total, page, per_page)


def _row(entry: AuditEntry, table_labels: dict, tz: ZoneInfo) -> AuditRow:
    actor = entry.actor
    return AuditRow(
        id=entry.id, at=entry.at, actor=actor.display_name if actor else None,
        actor_username=actor.username if actor else None, table=entry.table_name,
        table_label=str(table_labels.get(entry.table_name, entry.table_name)),
        record_id=entry.record_id, action=entry.action,
        action_label=str(ACTION_LABELS.get(entry.action, entry.action)), reason=entry.reason,
        changes=[Change(column, str(COLUMN_LABELS.get(column, column)),
                        readable(values[0], tz), readable(values[1], tz))
                 for column, values in sorted((entry.changes or {}).items())
                 if column != "id"])  # the record's id is shown beside its type


def record_history(session, record) -> list[AuditEntry]:
    """Audit entries of one record, newest first (actors joined): the timeline on its page."""
    return list(session.scalars(
        select(AuditEntry).where(AuditEntry.table_name == record.__tablename__,
                                 AuditEntry.record_id == str(record.id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())).unique())


def platform_names(session, entries) -> dict:
    """id → name of the platforms a timeline mentions (in its *platform_id columns)."""
    ids = {value for entry in entries for column, values in (entry.changes or {}).items()
           if column.endswith("platform_id") for value in values if isinstance(value, int)}
    if not ids:
        return {}
    return dict(session.execute(select(Platform.id, Platform.name)
                                .where(Platform.id.in_(ids))).all())


def readable(value, tz: ZoneInfo) -> str:
    """A stored audit value as a person reads it: times local, yes/no, empty as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_l("是") if value else _l("否"))
    if isinstance(value, str) and ISO_DATETIME.match(value):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
