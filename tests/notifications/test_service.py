"""notify, the inbox queries and mark_read, straight on the session."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from center.models.notifications import Notification, OutboundEmail
from center.services import notifications
from tests.factories import make_user


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_notify_puts_one_row_in_each_users_inbox_and_queues_mail_for_those_with_an_address(session):
    with_mail = make_user(session, role="org", email="contact@example.org")
    without_mail = make_user(session, role="manager")
    rows = notifications.notify(session, [with_mail, without_mail], kind="booking_approved",
                                title="预约已批准", body="会议室 A，3 月 2 日 9:00", link="/bookings/12")
    session.commit()
    assert sorted(r.user_id for r in rows) == sorted([with_mail.id, without_mail.id])
    inbox_rows = session.scalars(select(Notification))
    assert {(n.user_id, n.kind, n.title, n.link) for n in inbox_rows} == {
        (with_mail.id, "booking_approved", "预约已批准", "/bookings/12"),
        (without_mail.id, "booking_approved", "预约已批准", "/bookings/12")}
    email = session.scalars(select(OutboundEmail)).one()
    assert email.to_address == "contact@example.org" and email.subject == "预约已批准"
    assert email.notification_id == next(r.id for r in rows if r.user_id == with_mail.id)
    assert "会议室 A" in email.body and "/bookings/12" in email.body
    assert email.sent_at is None and email.attempts == 0


def test_notify_skips_inactive_users_and_duplicates(session):
    active = make_user(session, role="manager", email="m@example.org")
    inactive = make_user(session, role="manager", email="gone@example.org")
    inactive.is_active = False
    session.flush()
    rows = notifications.notify(session, [active, inactive, active, None], kind="test", title="标题")
    assert [r.user_id for r in rows] == [active.id]
    assert _count(session, Notification) == 1
    assert session.scalars(select(OutboundEmail.to_address)).all() == ["m@example.org"]


def test_rolled_back_transaction_leaves_neither_inbox_row_nor_email(session):
    user = make_user(session, role="manager", email="m@example.org")
    session.commit()
    notifications.notify(session, [user], kind="test", title="不会留下")
    assert _count(session, OutboundEmail) == 1  # flushed in the caller's transaction ...
    session.rollback()
    assert _count(session, Notification) == 0  # ... and lost with it
    assert _count(session, OutboundEmail) == 0


@pytest.mark.parametrize("link", ["https://evil.example/x", "//evil.example/x", "bookings/1",
                                  "javascript:alert(1)", "/a\\b", "/a\nb"])
def test_notify_refuses_a_link_that_is_not_a_local_path(session, link):
    user = make_user(session, role="manager")
    with pytest.raises(ValueError):
        notifications.notify(session, [user], kind="test", title="标题", link=link)
    assert _count(session, Notification) == 0


def test_unread_count_counts_only_the_users_own_unread_messages(session):
    me, other = make_user(session, role="manager"), make_user(session, role="manager")
    mine = notifications.notify(session, [me], kind="a", title="一") \
        + notifications.notify(session, [me], kind="a", title="二")
    notifications.notify(session, [other], kind="a", title="别人的")
    assert notifications.unread_count(session, me) == 2
    notifications.mark_read(session, me, [mine[0].id])
    assert notifications.unread_count(session, me) == 1


def test_mark_read_ignores_another_users_messages(session):
    me, other = make_user(session, role="manager"), make_user(session, role="manager")
    theirs = notifications.notify(session, [other], kind="a", title="别人的")[0]
    assert notifications.mark_read(session, me, [theirs.id]) == 0
    assert notifications.mark_all_read(session, me) == 0
    session.expire_all()
    assert theirs.read_at is None and notifications.unread_count(session, other) == 1


def test_inbox_lists_own_messages_unread_first_then_newest(session):
    me, other = make_user(session, role="manager"), make_user(session, role="manager")
    start = datetime(2025, 3, 3, tzinfo=timezone.utc)
    for day, title in enumerate(["旧的未读", "已读的新消息", "新的未读"]):
        row = notifications.notify(session, [me], kind="a", title=title)[0]
        row.created_at = start + timedelta(days=day)
    notifications.notify(session, [other], kind="a", title="别人的")
    session.flush()
    read = session.scalar(select(Notification).where(Notification.title == "已读的新消息"))
    notifications.mark_read(session, me, [read.id], now=start + timedelta(days=5))
    rows, total = notifications.inbox(session, me, page=1, per_page=2)
    assert total == 3 and [r.title for r in rows] == ["新的未读", "旧的未读"]
    rows, _total = notifications.inbox(session, me, page=2, per_page=2)
    assert [r.title for r in rows] == ["已读的新消息"]


def test_own_notification_is_none_for_another_users_message(session):
    me, other = make_user(session, role="manager"), make_user(session, role="manager")
    theirs = notifications.notify(session, [other], kind="a", title="别人的")[0]
    assert notifications.own_notification(session, me, theirs.id) is None
    assert notifications.own_notification(session, other, theirs.id) is theirs
