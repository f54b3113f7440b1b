"""Logging consultations, closing follow-ups and recording their outcome evaluation.

One validation serves the quick-entry form, the edit form and the API: it reports every problem
at once, by field, so a view can put each message beside its field and keep what was typed.
"""
import re
from datetime import date, datetime, time

from flask_babel import force_locale, gettext, lazy_gettext as _l
from sqlalchemy import func, select

from center.models.accounts import User
from center.models.base import utcnow
from center.models.consultations import (MAX_MINUTES, MAX_TEXT, Channel, Consultation,
                                         ConsultationState, Topic)
from center.models.directory import Organization
from center.models.notifications import Notification
from center.services import audit, notifications
from center.services.errors import PermissionDenied, ValidationError
from center.services.field_checks import ascii_int
from center.services.venue_rules import CENTER_TZ, write_lock

CHANNELS = tuple(c.value for c in Channel)
TOPICS = tuple(t.value for t in Topic)
STATES = tuple(s.value for s in ConsultationState)
MAX_NAME = 50
MAX_PHONE = 30
_PHONE = re.compile(r"[0-9+\-() ]{3,30}")
_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Fields a consultation's data dict may carry (forms and the API use these names).
FIELDS = ("occurred_at", "channel", "organization_id", "requester_name", "requester_phone",
          "topics", "question", "answer", "minutes", "state", "follow_up_on")


def center_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(CENTER_TZ).date()


def _text(data, key, errors, *, required=False, limit=MAX_TEXT, missing=None):
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        errors[key] = _l("应为文字。")
        return None
    value = (value or "").strip()
    if not value:
        if required:
            errors[key] = missing or _l("请填写此项。")
        return None
    if len(value) > limit:
        errors[key] = _l("最多 %(n)d 个字，现有 %(m)d 个。", n=limit, m=len(value))
    elif _CONTROL.search(value):
        errors[key] = _l("含有不可见的控制字符，请删除后再提交。")
    return value


def _choice(data, key, choices, errors, message, default=None):
    value = data.get(key) or default
    if value not in choices:
        errors[key] = message
        return None
    return value


def _topics(data, errors) -> list[str]:
    raw = data.get("topics")
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, (list, tuple)) or not raw:
        errors["topics"] = _l("请至少选择一个主题。")
        return []
    unknown = [str(code) for code in raw if code not in TOPICS]
    if unknown:
        errors["topics"] = _l("未知的主题：%(codes)s。", codes="、".join(unknown[:5]))
        return []
    return list(dict.fromkeys(raw))


def _minutes(data, errors) -> int | None:
    raw = data.get("minutes")
    if isinstance(raw, str) and _INTEGER.fullmatch(raw.strip()):
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int):
        errors["minutes"] = _l("请填写用时（分钟，整数）。")
        return None
    if not 1 <= raw <= MAX_MINUTES:
        errors["minutes"] = _l("用时应在 1 到 %(max)d 分钟之间。", max=MAX_MINUTES)
        return None
    return raw


def _date(data, key, errors) -> date | None:
    raw = data.get(key)
    if raw in (None, ""):
        return None
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str) and _ISO_DATE.fullmatch(raw.strip()):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:  # 2026-02-30
            pass
    errors[key] = _l("日期格式应为 YYYY-MM-DD，例如 2026-03-15。")
    return None


def _requester(session, data, errors) -> tuple[Organization | None, str | None, str | None]:
    org_id = data.get("organization_id")
    name = _text(data, "requester_name", errors, limit=MAX_NAME)
    phone = _text(data, "requester_phone", errors, limit=MAX_PHONE)
    if phone and "requester_phone" not in errors and not _PHONE.fullmatch(phone):
        errors["requester_phone"] = _l("电话只能包含数字、空格和 + - ( )。")
    org = None
    if org_id not in (None, ""):
        if isinstance(org_id, str):
            org_id = ascii_int(org_id)
        org = session.get(Organization, org_id) if isinstance(org_id, int) and \
            not isinstance(org_id, bool) and 0 < org_id < 2**31 else None
        if org is None or org.archived_at is not None:
            errors["organization_id"] = _l("找不到该组织，请从候选列表中选择。")
    elif not name and "requester_name" not in errors:
        errors["organization_id"] = _l("请选择组织，或填写个人咨询者的姓名。")
    return org, name, phone


def validated(session, data: dict, *, now: datetime | None = None) -> dict:
    """The consultation's fields, cleaned; ValidationError listing every problem by field."""
    errors: dict = {}
    org, name, phone = _requester(session, data, errors)
    cleaned = {
        "channel": _choice(data, "channel", CHANNELS, errors,
                           _l("请选择渠道：来访、电话、线上或微信。")),
        "topics": _topics(data, errors),
        "question": _text(data, "question", errors, required=True,
                          missing=_l("请填写咨询的问题。")),
        "answer": _text(data, "answer", errors),
        "minutes": _minutes(data, errors),
        "state": _choice(data, "state", STATES, errors,
                         _l("状态只能是已解决、待跟进或已转介。"), default="resolved"),
        "follow_up_on": _date(data, "follow_up_on", errors),
        "organization": org, "requester_name": name, "requester_phone": phone,
    }
    if cleaned["state"] == "follow_up" and cleaned["follow_up_on"] is None \
            and "follow_up_on" not in errors:
        errors["follow_up_on"] = _l("待跟进的咨询需要填写跟进日期。")
    occurred = data.get("occurred_at")
    if occurred is not None and (not isinstance(occurred, datetime) or occurred.tzinfo is None
                                 or occurred > (now or utcnow())):
        errors["occurred_at"] = _l("咨询时间不能晚于现在。")
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    if cleaned["state"] != "follow_up":
        cleaned["follow_up_on"] = None
    if occurred is not None:
        cleaned["occurred_at"] = occurred
    return cleaned


def log_consultation(session, data: dict, *, actor, now: datetime | None = None) -> Consultation:
    """Record a consultation by the acting staff member (the API and the quick-entry form)."""
    audit.acting(session, actor)
    now = now or utcnow()
    cleaned = validated(session, data, now=now)
    consultation = Consultation(staff_id=actor.id, created_at=now,
                                occurred_at=cleaned.pop("occurred_at", now), **cleaned)
    session.add(consultation)
    session.flush()
    return consultation


def can_edit(consultation: Consultation, user) -> bool:
    """Staff edit their own entries; managers and admins any."""
    return user.role in ("admin", "manager") or (
        user.role == "frontdesk" and consultation.staff_id == user.id)


def update_consultation(session, consultation: Consultation, data: dict, *, actor,
                        now: datetime | None = None) -> Consultation:
    """Correct a consultation (frontdesk: own entries only). Setting it to follow-up again, or
    moving the date of a closed follow-up, reopens it: that is a new follow-up."""
    _check_may_change(consultation, actor)
    audit.acting(session, actor)
    cleaned = validated(session, data, now=now)
    before = (consultation.state, consultation.follow_up_on)
    for key, value in cleaned.items():
        setattr(consultation, key, value)
    if consultation.state == ConsultationState.follow_up.value \
            and before != (consultation.state, consultation.follow_up_on):
        consultation.follow_up_closed_at = consultation.follow_up_closed_by_id = None
    session.flush()
    return consultation


def _check_may_change(consultation: Consultation, actor) -> None:
    if not can_edit(consultation, actor):
        raise PermissionDenied(_l("只能修改自己记录的咨询。"))


def close_follow_up(session, consultation: Consultation, *, outcome: str | None, actor,
                    resolved: bool = True, now: datetime | None = None) -> Consultation:
    """Close an open follow-up with what came of it; `resolved` marks the matter resolved.
    Frontdesk staff close their own follow-ups; managers and admins any."""
    errors: dict = {}
    text = _text({"follow_up_outcome": outcome}, "follow_up_outcome", errors, required=True,
                 missing=_l("请写明跟进的结果。"))
    if not consultation.follow_up_open:
        errors.setdefault("follow_up_outcome", _l("这条咨询没有待办的跟进。"))
    _check_may_change(consultation, actor)
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    audit.acting(session, actor)
    consultation.follow_up_outcome = text
    consultation.follow_up_closed_at = now or utcnow()
    consultation.follow_up_closed_by_id = actor.id
    if resolved:
        consultation.state = ConsultationState.resolved.value
        consultation.follow_up_on = None
    session.flush()
    return consultation


def is_resolved(consultation: Consultation) -> bool:
    return consultation.state == ConsultationState.resolved.value


def evaluate(session, consultation: Consultation, *, satisfaction, outcome: str | None, actor,
             now: datetime | None = None) -> Consultation:
    """Outcome evaluation (成效评估): satisfaction 1–5 and the outcome, once resolved; by whoever
    may edit the consultation. Recording it again corrects it."""
    errors: dict = {}
    if isinstance(satisfaction, str):
        satisfaction = ascii_int(satisfaction.strip())
    if isinstance(satisfaction, bool) or not isinstance(satisfaction, int) \
            or not 1 <= satisfaction <= 5:
        errors["satisfaction"] = _l("满意度请选择 1 到 5。")
    text = _text({"outcome": outcome}, "outcome", errors)
    if not is_resolved(consultation):
        errors["satisfaction"] = _l("咨询解决后才能做成效评估。")
    _check_may_change(consultation, actor)
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    audit.acting(session, actor)
    consultation.satisfaction = satisfaction
    consultation.outcome = text
    consultation.evaluated_at = now or utcnow()
    session.flush()
    return consultation


def follow_ups_due(session, *, staff=None, today: date, overdue_only=False):
    """A select of open follow-ups due by `today` (of one staff member, or all), oldest first."""
    stmt = (select(Consultation)
            .where(Consultation.state == ConsultationState.follow_up.value,
                   Consultation.follow_up_closed_at.is_(None),
                   Consultation.archived_at.is_(None),
                   (Consultation.follow_up_on < today) if overdue_only
                   else (Consultation.follow_up_on <= today))
            .order_by(Consultation.follow_up_on, Consultation.id))
    if staff is not None:
        stmt = stmt.where(Consultation.staff_id == staff.id)
    return stmt


def follow_up_counts(session, *, staff=None, today: date) -> dict:
    """How many open follow-ups are due today and how many are overdue (one query)."""
    due = follow_ups_due(session, staff=staff, today=today).order_by(None).subquery()
    row = session.execute(select(
        func.count().filter(due.c.follow_up_on == today),
        func.count().filter(due.c.follow_up_on < today)).select_from(due)).one()
    return {"today": row[0], "overdue": row[1]}


REMINDER_KIND = "follow_ups_due"
REMINDER_LINK = "/consultations/follow-ups"
STAFF_ROLES = ("admin", "manager", "frontdesk")


def remind_follow_ups(session, *, now: datetime | None = None) -> int:
    """Tell each staff member with open follow-ups due today or overdue how many (inbox and
    e-mail), once a day: the day's message is its own done-flag, so a second run the same day
    sends nothing. Returns how many were told. The follow-ups page never depends on this."""
    now = now or utcnow()
    today = center_today(now)
    write_lock(session)  # SQLite: the check and the messages under one writer lock
    due = follow_ups_due(session, today=today).order_by(None).subquery()
    counts = session.execute(select(
        due.c.staff_id, func.count().filter(due.c.follow_up_on == today),
        func.count().filter(due.c.follow_up_on < today)).group_by(due.c.staff_id)).all()
    if not counts:
        return 0
    # PostgreSQL: a concurrent run waits here, then sees this run's messages.
    staff = {user.id: user for user in session.scalars(
        select(User).where(User.id.in_([row[0] for row in counts])).with_for_update(of=User))}
    told = set(session.scalars(select(Notification.user_id).where(
        Notification.kind == REMINDER_KIND,
        Notification.created_at >= datetime.combine(today, time(), CENTER_TZ))))
    sent = 0
    for staff_id, due_today, overdue in counts:
        user = staff.get(staff_id)
        if user is None or staff_id in told or user.role not in STAFF_ROLES:
            continue
        with force_locale(user.locale or "zh"):
            title = gettext("咨询跟进：今天到期 %(n)d 条，已逾期 %(m)d 条", n=due_today, m=overdue)
        for row in notifications.notify(session, [user], kind=REMINDER_KIND, title=title,
                                        link=REMINDER_LINK):
            row.created_at = now
            sent += 1
    session.flush()
    return sent
