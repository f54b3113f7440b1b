"""Quarterly joint meetings (联席会议): planning a year+quarter's meeting with the member platforms,
the chair the rotation proposes, the agenda prefilled with needs still unmatched, attendance,
minutes, and decisions with an owner and a due date that stay on the lists until done.

Who: the center's staff (admin, manager, frontdesk) plan and record meetings; every platform
user and the supervisor read them; a decision owned by a platform may be marked done by that
platform's users as well as by the center. Members and the rotation order are the directory's
(center.reports.liaison_meetings).
"""
from datetime import date, datetime

from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from center.models.base import utcnow
from center.models.directory import Platform
from center.models.liaison import (CATEGORY_LABELS, JointMeeting, MeetingAttendance,
                                   MeetingDecision)
from center.reports import liaison_meetings as reading
from center.services import audit, field_checks
from center.services.errors import (ConflictError, NotFoundError, PermissionDenied,
                                    ValidationError)
from center.services.field_checks import ascii_int
from center.services.liaison import is_center, today_in_center

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_AGENDA, MAX_MINUTES, MAX_DECISION = 20_000, 50_000, 2_000
AGENDA_NEEDS = 50  # needs listed one by one in the prefilled agenda; more are counted
PLEASE_CORRECT = _l("请更正标出的内容。")


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first = date(year, 3 * quarter - 2, 1)
    last = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)


# --- who may do what ------------------------------------------------------------------------

def can_manage(user) -> bool:
    return is_center(user)


def can_complete(decision: MeetingDecision, user) -> bool:
    return is_center(user) or (user.role == "platform" and decision.owner_platform_id is not None
                               and user.platform_id == decision.owner_platform_id)


def _require_manager(user) -> None:
    if not can_manage(user):
        raise PermissionDenied(_l("只有中心工作人员可以安排和记录联席会议。"))


def visible_meeting(session, meeting_id) -> JointMeeting:
    meeting = session.get(JointMeeting, meeting_id) if isinstance(meeting_id, int) else None
    if meeting is None:
        raise NotFoundError(_l("没有找到这次联席会议。"))
    return meeting


def visible_decision(session, decision_id) -> MeetingDecision:
    decision = session.get(MeetingDecision, decision_id) if isinstance(decision_id, int) else None
    if decision is None:
        raise NotFoundError(_l("没有找到这项决定事项。"))
    return decision


# --- input ----------------------------------------------------------------------------------

def _number(data, key, errors, low, high, message) -> int | None:
    raw = data.get(key)
    if isinstance(raw, str):
        raw = ascii_int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        errors[key] = message
        return None
    return raw


def _platform(session, data, key, errors, *, required=False) -> int | None:
    raw = data.get(key)
    if raw in (None, ""):
        if required:
            errors[key] = _l("请选择平台。")
        return None
    if isinstance(raw, str):
        raw = ascii_int(raw)
    platform = session.get(Platform, raw) if isinstance(raw, int) and 0 < raw < 2**31 else None
    if platform is None or platform.archived_at is not None:
        errors[key] = _l("请选择一个在册的平台。")
        return None
    return platform.id


def _meeting_fields(session, data, errors, year=None, quarter=None) -> dict:
    cleaned = {"held_on": field_checks.iso_date(data, "held_on", errors),
               "location": field_checks.text(data, "location", errors, limit=200),
               "chair_platform_id": _platform(session, data, "chair_platform_id", errors),
               "agenda": field_checks.text(data, "agenda", errors, limit=MAX_AGENDA),
               "minutes": field_checks.text(data, "minutes", errors, limit=MAX_MINUTES)}
    if year and quarter and cleaned["held_on"]:
        first, last = quarter_bounds(year, quarter)
        if not first <= cleaned["held_on"] <= last:
            errors["held_on"] = _l("会议日期应在 %(year)d 年第 %(q)d 季度内（%(first)s 至 %(last)s）。",
                                   year=year, q=quarter, first=first.isoformat(),
                                   last=last.isoformat())
    return cleaned


# --- planning -------------------------------------------------------------------------------

def prefilled_agenda(session, year: int, quarter: int, *, today: date) -> str:
    """The agenda's first draft: open decisions of earlier meetings, then the needs still
    unmatched (published, not expired, without an accepted or completed match). In Chinese, the
    meeting's language."""
    needs = reading.unmatched_needs(session, today, limit=AGENDA_NEEDS)
    unmatched = reading.count_unmatched_needs(session, today)
    decisions = reading.open_decisions(session)
    with force_locale("zh"):
        lines = [_("%(year)d 年第 %(q)d 季度联席会议议程", year=year, q=quarter), "",
                 _("一、上次会议决定事项落实情况（未完成 %(n)d 项）", n=len(decisions))]
        for d in decisions[:AGENDA_NEEDS]:
            due = d.due_on.isoformat() if d.due_on else "—"
            lines.append(f"  - {d.text}（{_owner(d)}，{_('期限')} {due}）")
        lines.append(_("二、尚未对接的需求（%(n)d 条）", n=unmatched))
        for post in needs:
            lines.append(f"  - 【{CATEGORY_LABELS.get(post.category, post.category)}】"
                         f"{post.title}（{post.platform.name}）")
        if unmatched > len(needs):
            lines.append("  " + _("另有 %(n)d 条，见平台联动看板。", n=unmatched - len(needs)))
        lines += [_("三、平台间转介情况"), _("四、下季度轮值主席及其他事项")]
    return "\n".join(lines)


def _owner(decision: MeetingDecision) -> str:
    return decision.owner_platform.name if decision.owner_platform else (decision.owner_name or "—")


def plan_meeting(session, data: dict, *, actor, now: datetime | None = None) -> JointMeeting:
    """The meeting of data's year+quarter (one per quarter), with an attendance row for every
    member platform; a chair left blank is the one the rotation proposes, an agenda left blank
    is prefilled."""
    _require_manager(actor)
    errors: dict = {}
    year = _number(data, "year", errors, FIRST_YEAR, LAST_YEAR,
                   _l("年份应在 %(a)d 到 %(b)d 之间。", a=FIRST_YEAR, b=LAST_YEAR))
    quarter = _number(data, "quarter", errors, 1, 4, _l("季度应为 1 到 4。"))
    cleaned = _meeting_fields(session, data, errors, year, quarter)
    if errors:
        raise ValidationError(PLEASE_CORRECT, errors)
    planned = {"quarter": _l("%(year)d 年第 %(q)d 季度的联席会议已经安排。", year=year, q=quarter)}
    if session.scalar(select(JointMeeting.id).where(JointMeeting.year == year,
                                                    JointMeeting.quarter == quarter)):
        raise ValidationError(PLEASE_CORRECT, planned)
    if cleaned["chair_platform_id"] is None:
        chair = reading.proposed_chair(session, year, quarter)
        cleaned["chair_platform_id"] = chair.id if chair else None
    if not cleaned["agenda"]:
        cleaned["agenda"] = prefilled_agenda(session, year, quarter, today=today_in_center(now))
    audit.acting(session, actor)
    meeting = JointMeeting(year=year, quarter=quarter, created_at=now or utcnow(), **cleaned)
    meeting.attendance = [MeetingAttendance(platform_id=p.id, attended=False)
                          for p in reading.members(session)]
    try:  # a concurrent request may have planned the quarter since the check
        with session.begin_nested():
            session.add(meeting)
    except IntegrityError:
        raise ConflictError(PLEASE_CORRECT, planned) from None
    return meeting


def update_meeting(session, meeting: JointMeeting, data: dict, *, actor) -> JointMeeting:
    """Date, place, chair, agenda and minutes; the year and quarter stay."""
    _require_manager(actor)
    errors: dict = {}
    cleaned = _meeting_fields(session, data, errors, meeting.year, meeting.quarter)
    if errors:
        raise ValidationError(PLEASE_CORRECT, errors)
    cleaned["agenda"] = cleaned["agenda"] or ""
    audit.acting(session, actor)
    for key, value in cleaned.items():
        setattr(meeting, key, value)
    session.flush()
    return meeting


def attendance_rows(session, meeting: JointMeeting) -> list[tuple]:
    """(platform, attended, representative) for the meeting's rows, then for members who
    joined since it was planned (not attended yet), in rotation order."""
    rows = [(row.platform, row.attended, row.representative) for row in meeting.attendance]
    known = {platform.id for platform, _a, _r in rows}
    rows.sort(key=lambda row: reading.rotation_key(row[0]))
    return rows + [(p, False, None) for p in reading.members(session) if p.id not in known]


def record_attendance(session, meeting: JointMeeting, marks: dict, *, actor) -> JointMeeting:
    """marks: {platform id: (attended, representative)} for the meeting's rows and current
    members; a platform that is neither is refused."""
    _require_manager(actor)
    allowed = {row.platform_id: row for row in meeting.attendance}
    members = {p.id for p in reading.members(session)}
    errors: dict = {}
    cleaned = {}
    for platform_id, (attended, representative) in marks.items():
        if platform_id not in allowed and platform_id not in members:
            errors["attendance"] = _l("只能登记成员平台的出席情况。")
            continue
        rep = field_checks.text({"rep": representative}, "rep", errors, limit=50)
        if "rep" in errors:
            errors[f"rep-{platform_id}"] = errors.pop("rep")
        cleaned[platform_id] = (bool(attended), rep)
    if errors:
        raise ValidationError(PLEASE_CORRECT, errors)
    audit.acting(session, actor)
    for platform_id, (attended, rep) in cleaned.items():
        row = allowed.get(platform_id)
        if row is None:
            row = MeetingAttendance(platform_id=platform_id)
            meeting.attendance.append(row)
        row.attended, row.representative = attended, rep
    session.flush()
    return meeting


# --- decisions ------------------------------------------------------------------------------

def add_decision(session, meeting: JointMeeting, data: dict, *, actor) -> MeetingDecision:
    """A decision needs its text, an owner (a platform or a named person) and a due date."""
    _require_manager(actor)
    errors: dict = {}
    text = field_checks.text(data, "text", errors, limit=MAX_DECISION, required=True,
                             missing=_l("请填写决定事项。"))
    owner_platform_id = _platform(session, data, "owner_platform_id", errors)
    owner_name = field_checks.text(data, "owner_name", errors, limit=50)
    due_on = field_checks.iso_date(data, "due_on", errors)
    if not (owner_platform_id or owner_name or errors.keys() & {"owner_platform_id",
                                                                "owner_name"}):
        errors["owner_platform_id"] = _l("请选择责任平台或填写责任人。")
    if due_on is None and "due_on" not in errors:
        errors["due_on"] = _l("请填写完成期限。")
    elif due_on and meeting.held_on and due_on < meeting.held_on:
        errors["due_on"] = _l("完成期限不能早于会议日期。")
    if errors:
        raise ValidationError(PLEASE_CORRECT, errors)
    audit.acting(session, actor)
    decision = MeetingDecision(meeting=meeting, text=text, owner_platform_id=owner_platform_id,
                               owner_name=owner_name, due_on=due_on)
    session.add(decision)
    session.flush()
    return decision


def complete_decision(session, decision: MeetingDecision, *, actor, note=None,
                      now: datetime | None = None) -> MeetingDecision:
    """Done: it leaves the open lists. Once done it stays done (a second click is refused)."""
    if not can_complete(decision, actor):
        raise PermissionDenied(_l("只有中心工作人员或责任平台可以标记完成。"))
    if decision.done_at is not None:
        raise ConflictError(_l("这项决定已标记为完成。"))
    errors: dict = {}
    note = field_checks.text({"done_note": note}, "done_note", errors, limit=MAX_DECISION)
    if errors:
        raise ValidationError(PLEASE_CORRECT, errors)
    audit.acting(session, actor)
    decision.done_at, decision.done_note = now or utcnow(), note
    session.flush()
    return decision
