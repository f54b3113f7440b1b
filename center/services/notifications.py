"""Notifications shared by every module: an in-app inbox per user and e-mail after the commit.

Modules call ``notify`` inside their own transaction: the inbox rows and the queued e-mails are
flushed with the change that caused them, so a rollback loses both. ``send_queued`` delivers the
queue over SMTP; it is called only after a commit (by the request hook of
``center.views.notifications`` and by ``flask send-mail``), never by ``notify``. Titles and
bodies are written by the calling module, already in the words the recipient should read.
"""
import logging
import mimetypes
import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from flask_babel import force_locale, gettext
from sqlalchemy import case, func, select, true, update

from center.models.base import utcnow
from center.models.notifications import Notification, OutboundEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # an address that failed this often is left for a person to look at
SEND_BATCH = 200
SMTP_TIMEOUT = 10  # seconds; delivery runs after the response is built, so keep it short


def is_local_path(link: str | None) -> bool:
    """A path on this site (``/bookings/12``), never another host or scheme."""
    if not link or "\\" in link or any(ord(c) < 32 for c in link):
        return False
    parts = urlsplit(link)
    return not parts.scheme and not parts.netloc and link.startswith("/") \
        and not link.startswith("//")


def _recipients(users) -> list:
    """Distinct active users, in the order given; None entries (no requester) are skipped."""
    seen, chosen = set(), []
    for user in users:
        if user is None or not user.is_active or user.id in seen:
            continue
        seen.add(user.id)
        chosen.append(user)
    return chosen


def _mail_body(user, title: str, body: str | None, link: str | None) -> str:
    lines = [title, ""]
    if body:
        lines += [body, ""]
    if link:
        with force_locale(user.locale or "zh"):  # the recipient's language, not the actor's
            lines.append(gettext("请登录系统查看：%(link)s", link=link))
    return "\n".join(lines).rstrip() + "\n"


def notify(session, users, *, kind, title, body=None, link=None) -> list[Notification]:
    """Put one message in the inbox of each distinct active user, and queue an e-mail to each
    of them who has an address. Flushed in the caller's transaction; sent only after its commit.

    ``link`` must be a local path: it is programmer input, so anything else is a ValueError."""
    if link is not None and (not is_local_path(link) or len(link) > 300):
        raise ValueError(f"notification link must be a local path, not {link!r}")
    if not kind or not title:
        raise ValueError("a notification needs a kind and a title")
    title, body = str(title)[:200], (str(body) if body is not None else None)
    users = _recipients(users)
    rows = [Notification(user_id=user.id, kind=kind, title=title, body=body, link=link)
            for user in users]
    session.add_all(rows)
    session.flush()  # the e-mails refer to their inbox rows
    emails = [OutboundEmail(notification_id=row.id, to_address=user.email.strip(), subject=title,
                            body=_mail_body(user, title, body, link))
              for row, user in zip(rows, users) if (user.email or "").strip()]
    if emails:
        session.add_all(emails)
        session.flush()
    return rows


def queue_email(session, *, to_address: str, subject, body, attachment_name=None,
                attachment: bytes | None = None) -> OutboundEmail:
    """Queue an e-mail to an address outside the users (the weekly report's recipients); sent
    after the commit like every other e-mail."""
    address = (to_address or "").strip()
    if not address or "@" not in address or len(address) > 254:
        raise ValueError(f"not an e-mail address: {to_address!r}")
    email = OutboundEmail(to_address=address, subject=" ".join(str(subject).split())[:200],
                          body=str(body), attachment_name=attachment_name, attachment=attachment)
    session.add(email)
    session.flush()
    return email


# --- the inbox --------------------------------------------------------------------------------

def unread_count(session, user) -> int:
    """How many of the user's messages are unread: one COUNT on the (user_id, read_at) index."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def inbox(session, user, *, page=1, per_page=50) -> tuple[list[Notification], int]:
    """One page of the user's own messages, unread first, newest first; and their total."""
    own = Notification.user_id == user.id
    total = session.scalar(select(func.count()).select_from(Notification).where(own))
    unread_first = case((Notification.read_at.is_(None), 0), else_=1)
    rows = session.scalars(select(Notification).where(own)
                           .order_by(unread_first, Notification.created_at.desc(),
                                     Notification.id.desc())
                           .limit(per_page).offset((max(page, 1) - 1) * per_page))
    return list(rows), total


def own_notification(session, user, notification_id) -> Notification | None:
    """The message if it is in this user's inbox; None for anyone else's (callers answer 404)."""
    return session.scalar(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user.id))


def mark_read(session, user, ids, *, now=None) -> int:
    """Mark the user's own unread messages among ``ids`` read; others' ids are ignored."""
    ids = list(ids)
    if not ids:
        return 0
    return _mark(session, user, Notification.id.in_(ids), now)


def mark_all_read(session, user, *, now=None) -> int:
    """Mark every unread message of the user read."""
    return _mark(session, user, true(), now)


def _mark(session, user, condition, now) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None), condition)
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session="fetch"))
    return result.rowcount


# --- e-mail -------------------------------------------------------------------------------------

def _message(email: OutboundEmail, sender: str, now: datetime) -> EmailMessage:
    message = EmailMessage()  # the default policy encodes a Chinese subject as RFC 2047 UTF-8
    message["Subject"] = " ".join(email.subject.split())  # a header holds no line break
    message["From"] = sender
    message["To"] = email.to_address
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(email.body, charset="utf-8")
    if email.attachment_name and email.attachment is not None:
        maintype, _sep, subtype = (mimetypes.guess_type(email.attachment_name)[0]
                                   or "application/octet-stream").partition("/")
        message.add_attachment(email.attachment, maintype=maintype, subtype=subtype,
                               filename=email.attachment_name)
    return message


def _connect(config) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25),
                        timeout=SMTP_TIMEOUT)
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _failed(emails, error: Exception) -> None:
    for email in emails:
        email.attempts = (email.attempts or 0) + 1
        email.last_error = f"{type(error).__name__}: {error}"[:2000]


def _connection_lost(error: Exception) -> bool:
    """A socket error or a dropped connection, rather than one message refused."""
    return isinstance(error, smtplib.SMTPServerDisconnected) or (
        isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException))


def _deliver(smtp, emails, sender: str, now: datetime) -> int:
    sent = 0
    for email in emails:
        try:
            smtp.send_message(_message(email, sender, now))
        except (OSError, ValueError) as error:  # SMTPException is an OSError too
            _failed([email], error)
            if _connection_lost(error):
                return sent  # the rest wait for the next run
            continue
        email.attempts = (email.attempts or 0) + 1
        email.sent_at, email.last_error = now, None
        sent += 1
    return sent


def send_queued(session, *, smtp_config, now=None) -> int:
    """Send the unsent e-mails over SMTP and mark them sent; return how many were sent.

    Does nothing while MAIL_SERVER is not configured (the mail stays queued). A failure is
    written on the e-mail (attempts, last_error) and never raised: an e-mail that failed
    MAX_ATTEMPTS times is no longer tried. The caller commits."""
    if not smtp_config.get("MAIL_SERVER"):
        return 0
    now = now or utcnow()
    emails = list(session.scalars(
        select(OutboundEmail)
        .where(OutboundEmail.sent_at.is_(None), OutboundEmail.attempts < MAX_ATTEMPTS)
        .order_by(OutboundEmail.id).limit(SEND_BATCH)
        .with_for_update(skip_locked=True)))  # two senders at once never send one e-mail twice
    if not emails:
        return 0
    sender = smtp_config.get("MAIL_FROM") or "center@localhost"
    try:
        smtp = _connect(smtp_config)
    except OSError as error:  # refused, timed out, TLS or login failed (SMTPException included)
        log.warning("SMTP server %s unreachable: %s", smtp_config["MAIL_SERVER"], error)
        _failed(emails, error)
        session.flush()
        return 0
    try:
        sent = _deliver(smtp, emails, sender, now)
    finally:
        try:
            smtp.quit()
        except OSError:
            smtp.close()
    session.flush()
    return sent


def queued_count(session) -> int:
    """E-mails still waiting to be sent (those given up after MAX_ATTEMPTS not counted)."""
    return session.scalar(select(func.count()).select_from(OutboundEmail).where(
        OutboundEmail.sent_at.is_(None), OutboundEmail.attempts < MAX_ATTEMPTS))
