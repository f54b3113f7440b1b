"""E-mail leaves only after the commit, through a real SMTP server on 127.0.0.1."""
from datetime import datetime, timezone

import pytest
from flask import request
from sqlalchemy import func, select

from center.auth import PUBLIC
from center.extensions import db
from center.models.accounts import User
from center.models.notifications import Notification, OutboundEmail
from center.services import notifications
from tests.factories import make_user
from tests.notifications.smtp_sink import free_port_with_nobody_listening

SUBJECT = "预约已批准：会议室甲（3 月 2 日 9:00–11:00）"


@pytest.fixture
def seen(app, sink):
    """A page that notifies a user in its own transaction, as a module's view would:
    /test/notify?user=<id>[&rollback=1]. Records what the SMTP server had received meanwhile."""
    seen = {}

    def notify_view():
        user = db.session.get(User, request.args.get("user", type=int))
        notifications.notify(db.session, [user], kind="booking_approved", title=SUBJECT,
                             body="您的预约已批准，请准时到场。", link="/notifications")
        seen["before_commit"] = len(sink.received)
        if request.args.get("rollback"):
            db.session.rollback()
            return "rolled back"
        db.session.commit()
        seen["after_commit_in_view"] = len(sink.received)
        return "ok"
    notify_view.access = PUBLIC
    app.add_url_rule("/test/notify", "test_notify", notify_view)
    return seen


def _emails(session) -> list[OutboundEmail]:
    session.expire_all()
    return list(session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))


def test_mail_is_sent_after_the_commit_with_its_chinese_subject_intact(client, session, sink,
                                                                       mail_to, seen):
    user = make_user(session, role="org", email="contact@example.org")
    session.commit()
    mail_to(sink.port)
    response = client.get(f"/test/notify?user={user.id}")
    assert response.status_code == 200
    assert seen == {"before_commit": 0, "after_commit_in_view": 0}  # nothing left before commit
    [received] = sink.received
    assert received.recipients == ["contact@example.org"]
    assert received.mail_from == "center@example.org"
    message = received.message
    assert message["Subject"] == SUBJECT
    assert b"Subject: =?utf-8?" in received.data  # RFC 2047 on the wire, not raw bytes
    assert "您的预约已批准" in message.get_content() and "/notifications" in message.get_content()
    [email] = _emails(session)
    assert email.sent_at is not None and email.attempts == 1 and email.last_error is None


def test_rolled_back_request_stores_and_sends_nothing(client, session, sink, mail_to, seen):
    user = make_user(session, role="org", email="contact@example.org")
    _queue(session, "earlier@example.org")  # waiting already: only a commit that queues sends
    mail_to(sink.port)
    assert client.get(f"/test/notify?user={user.id}&rollback=1").status_code == 200
    assert sink.received == []
    assert [e.to_address for e in _emails(session)] == ["earlier@example.org"]
    assert session.scalar(select(func.count()).select_from(Notification)) == 0


def test_unreachable_smtp_server_leaves_the_mail_queued_and_the_request_succeeds(
        client, session, mail_to, seen):
    user = make_user(session, role="org", email="contact@example.org")
    session.commit()
    mail_to(free_port_with_nobody_listening())
    response = client.get(f"/test/notify?user={user.id}")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok"
    [email] = _emails(session)
    assert email.sent_at is None and email.attempts == 1
    assert "Connection" in email.last_error or "refused" in email.last_error.lower()
    assert notifications.unread_count(session, user) == 1  # the inbox does not depend on mail


def test_without_mail_server_the_mail_stays_queued_until_send_mail(client, runner, session, sink,
                                                                   mail_to, seen):
    user = make_user(session, role="org", email="contact@example.org")
    session.commit()
    assert client.get(f"/test/notify?user={user.id}").status_code == 200
    assert sink.received == [] and _emails(session)[0].attempts == 0
    refused = runner.invoke(args=["send-mail"])
    assert refused.exit_code != 0 and "MAIL_SERVER is not configured" in refused.output
    mail_to(sink.port)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0 and "e-mails sent: 1, still queued: 0" in result.output
    assert [r.message["Subject"] for r in sink.received] == [SUBJECT]
    assert _emails(session)[0].sent_at is not None


def _queue(session, *addresses, **fields):
    for address in addresses:
        session.add(OutboundEmail(to_address=address, subject="主题", body="正文", **fields))
    session.commit()


def test_a_refused_recipient_keeps_its_error_and_the_others_are_sent(app, session, sink):
    _queue(session, "first@example.org", "refused@example.org", "last@example.org")
    now = datetime(2025, 3, 3, 8, 0, tzinfo=timezone.utc)
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port}
    assert notifications.send_queued(session, smtp_config=config, now=now) == 2
    session.commit()
    assert [r.recipients for r in sink.received] == [["first@example.org"], ["last@example.org"]]
    first, refused, last = _emails(session)
    assert first.sent_at == now and last.sent_at == now
    assert refused.sent_at is None and refused.attempts == 1 and "550" in refused.last_error
    assert notifications.send_queued(session, smtp_config=config, now=now) == 0  # sent once only
    assert len(sink.received) == 2


def test_send_queued_gives_up_after_max_attempts(app, session, sink):
    _queue(session, "stuck@example.org", attempts=notifications.MAX_ATTEMPTS)
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port}
    assert notifications.send_queued(session, smtp_config=config) == 0
    assert sink.received == [] and notifications.queued_count(session) == 0


def test_send_queued_without_a_server_touches_nothing(app, session):
    _queue(session, "a@example.org")
    assert notifications.send_queued(session, smtp_config={"MAIL_SERVER": None}) == 0
    [email] = _emails(session)
    assert email.attempts == 0 and email.last_error is None
