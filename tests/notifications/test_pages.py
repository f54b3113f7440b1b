"""The inbox page, the unread badge in the navigation bar, and who may read or mark what."""
import re

import pytest
from sqlalchemy import event, select

from center.extensions import db
from center.models.notifications import Notification
from center.services import notifications
from tests.factories import make_user

BADGE = re.compile(r'class="inbox">通知 <span class="badge warn"[^>]*>(\d+)</span>')


def _badge(html: str) -> int | None:
    match = BADGE.search(html)
    return int(match.group(1)) if match else None


def test_navigation_shows_the_users_own_unread_count(auth, client, session):
    me = auth.login("manager")
    other = make_user(session, role="manager")
    notifications.notify(session, [me], kind="a", title="一")
    notifications.notify(session, [me, other], kind="a", title="二")
    notifications.notify(session, [other], kind="a", title="三")
    session.commit()
    assert _badge(client.get("/").get_data(as_text=True)) == 2
    notifications.mark_all_read(session, me)
    session.commit()
    html = client.get("/").get_data(as_text=True)
    assert _badge(html) is None and 'class="inbox">通知</a>' in html


def test_unread_count_costs_one_query_per_page(app, auth, client, session):
    me = auth.login("manager")
    notifications.notify(session, [me], kind="a", title="一")
    session.commit()
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get("/").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len([s for s in statements if "FROM notifications" in s]) == 1


def test_inbox_lists_only_own_messages_with_unread_in_bold(auth, client, session):
    me = auth.login("org")
    other = make_user(session, role="org")
    notifications.notify(session, [me], kind="a", title="我的未读", body="正文内容")
    read = notifications.notify(session, [me], kind="a", title="我的已读")
    notifications.notify(session, [other], kind="a", title="别人的通知")
    notifications.mark_read(session, me, [read[0].id])
    session.commit()
    html = client.get("/notifications").get_data(as_text=True)
    assert "<strong>我的未读</strong>" in html and "正文内容" in html
    assert "我的已读" in html and "<strong>我的已读</strong>" not in html
    assert "别人的通知" not in html
    assert html.index("我的未读") < html.index("我的已读")


def test_inbox_is_paginated(app, auth, client, session):
    app.config["PER_PAGE"] = 2
    me = auth.login("manager")
    for n in range(3):
        notifications.notify(session, [me], kind="a", title=f"第{n}条")
    session.commit()
    first = client.get("/notifications").get_data(as_text=True)
    second = client.get("/notifications?page=2").get_data(as_text=True)
    mark = 'class="link">标为已读</button>'
    assert first.count(mark) == 2 and second.count(mark) == 1
    assert "第 1 / 2 页，共 3 条" in first


@pytest.mark.parametrize("page", ["99999999999999999999", "-3", "x"])
def test_a_page_number_out_of_range_is_no_error(auth, client, page):
    auth.login("manager")
    assert client.get(f"/notifications?page={page}").status_code == 200


def test_empty_inbox_says_so(auth, client):
    auth.login("supervisor")
    assert "还没有通知" in client.get("/notifications").get_data(as_text=True)


def test_mark_read_marks_only_that_message(auth, client, session):
    me = auth.login("manager")
    one, two = (notifications.notify(session, [me], kind="a", title=t)[0] for t in ("一", "二"))
    session.commit()
    response = auth.post(f"/notifications/{one.id}/read", data={"page": "2"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/notifications?page=2")
    session.expire_all()
    assert one.read_at is not None and two.read_at is None


def test_mark_all_read_marks_every_own_message(auth, client, session):
    me = auth.login("manager")
    other = make_user(session, role="manager")
    notifications.notify(session, [me], kind="a", title="一")
    notifications.notify(session, [me, other], kind="a", title="二")
    session.commit()
    response = auth.post("/notifications/read-all", follow_redirects=True)
    assert "已将 2 条通知标为已读" in response.get_data(as_text=True)
    assert notifications.unread_count(session, me) == 0
    assert notifications.unread_count(session, other) == 1


def test_opening_a_message_marks_it_read_and_follows_its_local_link(auth, client, session):
    me = auth.login("manager")
    item = notifications.notify(session, [me], kind="a", title="去看看", link="/calendar?year=2025")[0]
    session.commit()
    response = auth.post(f"/notifications/{item.id}/open")
    assert response.status_code == 303 and response.headers["Location"] == "/calendar?year=2025"
    session.expire_all()
    assert item.read_at is not None


def test_opening_a_message_with_a_foreign_link_stays_on_the_site(auth, client, session):
    me = auth.login("manager")
    item = Notification(user_id=me.id, kind="a", title="被改过的链接", link="//evil.example/x")
    session.add(item)  # written past notify(), which would refuse it
    session.commit()
    response = auth.post(f"/notifications/{item.id}/open")
    assert response.status_code == 303 and response.headers["Location"].endswith("/notifications")


def test_another_users_message_cannot_be_read_marked_or_opened(auth, client, session):
    auth.login("org")
    other = make_user(session, role="org")
    theirs = notifications.notify(session, [other], kind="a", title="别人的", link="/")[0]
    session.commit()
    assert auth.post(f"/notifications/{theirs.id}/read").status_code == 404
    assert auth.post(f"/notifications/{theirs.id}/open").status_code == 404
    assert auth.post("/notifications/999999/read").status_code == 404
    assert auth.post("/notifications/read-all").status_code == 303
    session.expire_all()
    assert session.scalar(select(Notification.read_at).where(Notification.id == theirs.id)) is None
