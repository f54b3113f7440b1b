"""Configuration of the pre-review: one cycle per report year (window and service levels in
working days) and the checklist of return reasons.

Rules:
- A cycle's year is the report year; its window opens after that year has ended (the annual
  report covers the whole year). One cycle per year. A cycle with submissions keeps its year
  (receipt numbers carry it). Changing service levels applies to deadlines set from then on;
  deadlines already running are kept, so nobody's promised date moves under them.
- A reason's code is stable (the API and past timelines use it) and cannot be changed; label and
  guidance can. Reasons are archived, never deleted, and the last active one cannot be archived
  (a report could no longer be returned).
"""
import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from center.models.base import utcnow
from center.models.reviews import ReturnReason, ReviewCycle, Submission
from center.services import audit
from center.services.errors import ConflictError, ValidationError

MIN_YEAR, MAX_YEAR = 2000, 2098
MAX_WINDOW_DAYS = 366
LEVEL_FIELDS = ("first_review_days", "re_review_days", "correction_days")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,29}$")
LABEL_MAX, GUIDANCE_MAX, NOTE_MAX = 100, 1000, 2000


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def cycle_problems(data: dict) -> dict:
    """Field name -> message for cycle values that cannot be stored."""
    problems, year = {}, _int(data.get("year"))
    opens, closes = data.get("opens_on"), data.get("closes_on")
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        problems["year"] = _l("年度应在 %(a)d 至 %(b)d 之间。", a=MIN_YEAR, b=MAX_YEAR)
    if not isinstance(opens, date):
        problems["opens_on"] = _l("请填写开始日期。")
    elif year is not None and "year" not in problems and opens < date(year + 1, 1, 1):
        problems["opens_on"] = _l("报告年度结束后才能开始预审，请填写 %(year)d 年 1 月 1 日或以后的日期。",
                                  year=year + 1)
    if not isinstance(closes, date):
        problems["closes_on"] = _l("请填写截止日期。")
    elif isinstance(opens, date) and closes < opens:
        problems["closes_on"] = _l("截止日期不能早于开始日期。")
    elif isinstance(opens, date) and (closes - opens).days > MAX_WINDOW_DAYS:
        problems["closes_on"] = _l("预审窗口不能超过一年。")
    for name in LEVEL_FIELDS:
        days = _int(data.get(name))
        if days is None or not 1 <= days <= 60:
            problems[name] = _l("请填写 1 到 60 之间的工作日数。")
    if len(_text(data.get("note")) or "") > NOTE_MAX:
        problems["note"] = _l("备注不能超过 %(n)d 个字。", n=NOTE_MAX)
    return problems


def _check_cycle(session, data: dict, cycle: ReviewCycle | None) -> None:
    problems = cycle_problems(data)
    if problems:
        raise ValidationError(_l("请更正标出的内容。"), problems)
    year = data["year"]
    other = session.scalar(select(ReviewCycle).where(ReviewCycle.year == year))
    if other is not None and other is not cycle:
        raise ConflictError(_l("%(year)d 年度的预审周期已经存在。", year=year),
                            {"year": _l("该年度已有预审周期。")})
    if cycle is not None and year != cycle.year and has_submissions(session, cycle):
        raise ConflictError(_l("该周期已有年报，年度不能再修改。"),
                            {"year": _l("已有年报的周期不能修改年度。")})


def has_submissions(session, cycle: ReviewCycle) -> bool:
    return session.scalar(select(Submission.id).where(Submission.cycle_id == cycle.id)
                          .limit(1)) is not None


def _apply(cycle: ReviewCycle, data: dict) -> None:
    cycle.year, cycle.opens_on, cycle.closes_on = data["year"], data["opens_on"], data["closes_on"]
    for name in LEVEL_FIELDS:
        setattr(cycle, name, data[name])
    cycle.note = _text(data.get("note"))


def create_cycle(session, data: dict, *, actor, now: datetime | None = None) -> ReviewCycle:
    """A new report year's cycle (see the module docstring for the rules)."""
    _check_cycle(session, data, None)
    audit.acting(session, actor)
    cycle = ReviewCycle(created_at=now or utcnow())
    _apply(cycle, data)
    session.add(cycle)
    session.flush()
    return cycle


def update_cycle(session, cycle: ReviewCycle, data: dict, *, actor) -> ReviewCycle:
    """Change a cycle's window, service levels or note (its year only while it is empty)."""
    _check_cycle(session, data, cycle)
    audit.acting(session, actor)
    _apply(cycle, data)
    session.flush()
    return cycle


def default_cycle_values(today: date, taken=()) -> dict:
    """What a new cycle starts from: last year's reports (or the first year after it without a
    cycle), open 1 Jan – 31 May of the following year (FACTS), 5/3/5 working days."""
    year = today.year - 1
    while year in set(taken):
        year += 1
    return {"year": year, "opens_on": date(year + 1, 1, 1), "closes_on": date(year + 1, 5, 31),
            "first_review_days": 5, "re_review_days": 3, "correction_days": 5}


# --- the checklist ---------------------------------------------------------------------------

def _reason_problems(label, guidance) -> dict:
    problems = {}
    if not _text(label):
        problems["label"] = _l("请填写退回原因。")
    elif len(_text(label)) > LABEL_MAX:
        problems["label"] = _l("不能超过 %(n)d 个字。", n=LABEL_MAX)
    if len(_text(guidance) or "") > GUIDANCE_MAX:
        problems["guidance"] = _l("不能超过 %(n)d 个字。", n=GUIDANCE_MAX)
    return problems


def add_reason(session, *, code, label, guidance=None, actor) -> ReturnReason:
    """A new checklist item at the end of the list; its code is unique, also among archived."""
    code = _text(code)
    problems = _reason_problems(label, guidance)
    if not code or not CODE_RE.match(code):
        problems["code"] = _l("代码用小写英文字母开头，只含小写字母、数字和下划线，2 到 30 位。")
    if problems:
        raise ValidationError(_l("请更正标出的内容。"), problems)
    if session.scalar(select(ReturnReason.id).where(ReturnReason.code == code)) is not None:
        raise ConflictError(_l("代码 %(code)s 已被使用（包括已停用的原因）。", code=code),
                            {"code": _l("该代码已被使用。")})
    audit.acting(session, actor)
    last = session.scalar(select(func.max(ReturnReason.position)))
    reason = ReturnReason(code=code, label=_text(label), guidance=_text(guidance),
                          position=(last if last is not None else -1) + 1)
    session.add(reason)
    session.flush()
    return reason


def update_reason(session, reason: ReturnReason, *, label, guidance=None, actor) -> ReturnReason:
    """Change the wording shown to reviewers and organizations (the code stays)."""
    problems = _reason_problems(label, guidance)
    if problems:
        raise ValidationError(_l("请更正标出的内容。"), problems)
    audit.acting(session, actor)
    reason.label, reason.guidance = _text(label), _text(guidance)
    session.flush()
    return reason


def ordered_reasons(session) -> list[ReturnReason]:
    """Every reason, active first in checklist order, then the archived ones."""
    return list(session.scalars(select(ReturnReason).order_by(
        ReturnReason.archived_at.is_not(None), ReturnReason.position, ReturnReason.id)))


def move_reason(session, reason: ReturnReason, *, up: bool, actor) -> None:
    """Move an active reason one place up or down the checklist (positions renumbered)."""
    if reason.archived_at is not None:
        raise ConflictError(_l("已停用的原因不在清单中，不能调整顺序。"))
    active = [r for r in ordered_reasons(session) if r.archived_at is None]
    i = active.index(reason)
    j = i - 1 if up else i + 1
    if 0 <= j < len(active):
        active[i], active[j] = active[j], active[i]
    audit.acting(session, actor)
    for position, item in enumerate(active):
        if item.position != position:
            item.position = position
    session.flush()


def archive_reason(session, reason: ReturnReason, *, actor) -> None:
    """Take a reason off the checklist; past returns keep showing it."""
    if reason.archived_at is not None:
        return
    others = session.scalar(select(func.count()).select_from(ReturnReason).where(
        ReturnReason.archived_at.is_(None), ReturnReason.id != reason.id))
    if not others:
        raise ConflictError(_l("清单中至少要保留一条退回原因。"))
    audit.archive(session, reason, actor=actor)


def restore_reason(session, reason: ReturnReason, *, actor) -> None:
    """Put an archived reason back, at the end of the checklist."""
    if reason.archived_at is None:
        return
    last = session.scalar(select(func.max(ReturnReason.position))
                          .where(ReturnReason.archived_at.is_(None)))
    reason.position = (last if last is not None else -1) + 1
    audit.restore(session, reason, actor=actor)
