"""The daily digest of overdue pre-review items, sent to the managers (a scheduler job and the
CLI command `flask --app center review-digest`).

Idempotent: the day's ReviewDigest row is the done-flag, written in the same transaction as the
notifications (unique per day), so a second run the same day, or a concurrent one, sends
nothing. Nothing is sent on a day off (nobody reads it and the items do not age), and a day
without overdue items records the flag but sends no message.
"""
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from center.models.accounts import User
from center.models.base import utcnow
from center.models.reviews import OPEN_STATES, ReviewDigest, Submission
from center.reports.review_queue import WorkdayCounter
from center.services import calendar, notifications
from center.services.reviews import today_in_center
from center.services.venue_rules import write_lock

RECIPIENT_ROLES = ("manager",)  # admins get it only where no manager is set up
LISTED = 20  # items named in the message; the link opens the whole list
LINK = "/reviews?overdue=1"


@dataclass
class DigestOutcome:
    day: date
    sent: bool  # notifications were written by this run
    overdue: int
    recipients: int = 0
    reason: str = ""  # why nothing was sent: "done", "day_off", "nothing_overdue"


def _overdue(session, today: date):
    cond = (Submission.state.in_(OPEN_STATES), Submission.due_on < today)
    total = session.scalar(select(func.count()).select_from(Submission).where(*cond))
    first = list(session.scalars(select(Submission).join(Submission.organization)
                                 .options(contains_eager(Submission.organization))
                                 .where(*cond).order_by(Submission.due_on, Submission.id)
                                 .limit(LISTED)))
    return total, first


def recipients(session) -> list[User]:
    def active(roles):
        return list(session.scalars(select(User).where(
            User.role.in_(roles), User.is_active.is_(True), User.archived_at.is_(None))
            .order_by(User.id)))
    return active(RECIPIENT_ROLES) or active(("admin",))


def _message(user, total: int, items, counter: WorkdayCounter) -> tuple[str, str]:
    with force_locale(user.locale or "zh"):
        title = gettext("年检预审：%(n)d 份年报已超过预审期限", n=total)
        lines = [gettext("%(no)s %(org)s：期限 %(due)s，已逾期 %(days)d 个工作日",
                         no=s.receipt_no, org=s.organization.name, due=s.due_on.isoformat(),
                         days=counter.until_last(s.due_on)) for s in items]
        if total > len(items):
            lines.append(gettext("……另有 %(n)d 份，见逾期清单。", n=total - len(items)))
    return title, "\n".join(lines)


def send_overdue_digest(session, *, now: datetime | None = None) -> DigestOutcome:
    """Notify the managers of today's overdue items, once per working day (module docstring)."""
    today = today_in_center(now or utcnow())
    if not calendar.is_workday(session, today):
        return DigestOutcome(today, False, 0, reason="day_off")
    write_lock(session)  # SQLite: the check and the flag under one writer lock
    if session.scalar(select(ReviewDigest.id).where(ReviewDigest.day == today)) is not None:
        return DigestOutcome(today, False, 0, reason="done")
    total, items = _overdue(session, today)
    try:
        with session.begin_nested():
            session.add(ReviewDigest(day=today, overdue_count=total, sent_at=now or utcnow()))
    except IntegrityError:  # a concurrent run wrote the flag first
        return DigestOutcome(today, False, total, reason="done")
    if not total:
        return DigestOutcome(today, False, 0, reason="nothing_overdue")
    users = recipients(session)
    counter = WorkdayCounter(session, items[0].due_on, today)
    for user in users:  # each in their own language
        title, body = _message(user, total, items, counter)
        notifications.notify(session, [user], kind="review_overdue", title=title, body=body,
                             link=LINK)
    return DigestOutcome(today, True, total, recipients=len(users))


def run(session, *, now: datetime | None = None) -> str:
    """The scheduler job (center.services.jobs): send today's digest, say what happened."""
    outcome = send_overdue_digest(session, now=now)
    if outcome.sent:
        return f"{outcome.day}: {outcome.overdue} overdue, sent to {outcome.recipients}"
    return f"{outcome.day}: nothing sent ({outcome.reason})"
