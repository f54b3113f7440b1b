"""Submitting the weekly report: confirmation, the lock, the recipients from the configuration,
e-mail with the workbook through a real local SMTP server, or "marked as sent" without SMTP."""
import io
import re

import pytest
from sqlalchemy import func, select

from center.models.notifications import Notification, OutboundEmail
from center.reports import weekly_export
from center.services import weekly, weekly_delivery
from tests.factories import make_user
from tests.weekly.helpers import KEY, make_report

TITLE = "社会组织发展服务中心工作周报（2026年第47周，11月16日—11月22日）"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _reload(session):
    session.expire_all()
    return weekly.get_report(session, KEY)


def _emails(session) -> list[OutboundEmail]:
    session.expire_all()
    return list(session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))


@pytest.fixture
def draft(session):
    report = make_report(session, summary="本周接待咨询，完成年检预审。", plan="下周召开联络员会议。")
    session.commit()
    return report


def test_the_confirmation_page_lists_the_configured_recipients(auth, draft, recipients):
    recipients()
    auth.login("manager")
    response = auth.client.get(f"/weekly/{KEY}/submit")
    html = _text(response)
    assert response.status_code == 200
    assert TITLE in html and "报送后周报即锁定" in html
    table = re.search(r'<table class="list" id="recipients">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>", table)
    assert [name for _role, name in rows] == ["市社会组织服务发展处", "市社团办主任", "市民政局局长"]
    assert "未配置邮件发送" in html  # no MAIL_SERVER in tests: the page says what will happen
    assert ">确认报送</button>" in html


def test_submitting_without_smtp_locks_records_and_marks_the_report_sent(auth, session, draft,
                                                                         recipients):
    configured = recipients()
    user = auth.login("manager")
    response = auth.post(f"/weekly/{KEY}/submit")
    assert response.status_code == 303
    report = _reload(session)
    assert report.state == "submitted" and report.is_locked
    assert report.submitted_by_id == user.id and report.submitted_at is not None
    assert report.delivery == "marked_sent"
    assert [r["name"] for r in report.recipients] == [r["name"] for r in configured]
    assert {r["via"] for r in report.recipients} == {"by_hand"}
    assert report.versions[-1].reason == "submitted"
    assert _emails(session) == []  # nothing queued to sit forever without a mail server
    page = _text(auth.client.get(f"/weekly/{KEY}"))
    assert "已标记为已报送" in page and "线下递交" in page and 'id="narrative"' not in page


def test_submitting_with_smtp_mails_each_recipient_with_an_address(auth, session, app,
                                                                   liaison_absent, draft,
                                                                   recipients, sink, monkeypatch):
    recipients()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_FROM="center@example.org")
    monkeypatch.setattr(weekly_export, "workbook_bytes", lambda report: b"PK\x03\x04 workbook")
    auth.login("manager", display_name="王主任")
    response = auth.post(f"/weekly/{KEY}/submit")
    assert response.status_code == 303
    assert sorted(m.recipients[0] for m in sink.received) == ["director@example.gov.cn",
                                                              "fzc@example.gov.cn"]
    message = sink.received[0].message
    assert message["Subject"] == TITLE
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "本周接待咨询，完成年检预审。" in body and "下周召开联络员会议。" in body
    assert "报送人：王主任" in body and "三级平台联动：尚未上线" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"工作周报_{KEY}.xlsx"
    assert attachment.get_content_type() == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert attachment.get_content() == b"PK\x03\x04 workbook"
    report = _reload(session)
    assert report.delivery == "email"
    assert [r["via"] for r in report.recipients] == ["email", "email", "by_hand"]
    assert all(e.sent_at is not None for e in _emails(session) if e.attachment_name)
    page = _text(auth.client.get(f"/weekly/{KEY}"))
    assert page.count("邮件已发送") == 2 and "线下递交" in page


def test_the_mailed_attachment_is_the_exported_workbook(auth, session, app, draft, recipients,
                                                        sink):
    from openpyxl import load_workbook

    recipients([{"name": "服务发展处", "email": "fzc@example.gov.cn"}])
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port)
    auth.login("manager")
    assert auth.post(f"/weekly/{KEY}/submit").status_code == 303
    [received] = sink.received
    [attachment] = list(received.message.iter_attachments())
    workbook = load_workbook(io.BytesIO(attachment.get_content()))
    assert any("2026年第47周" in str(cell.value) for sheet in workbook.worksheets
               for row in sheet.iter_rows(max_row=5) for cell in row if cell.value)


def test_an_unreachable_mail_server_still_submits_and_shows_the_mail_waiting(auth, session, app,
                                                                            draft, recipients):
    from tests.notifications.smtp_sink import free_port_with_nobody_listening

    recipients([{"name": "服务发展处", "email": "fzc@example.gov.cn"}])
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port_with_nobody_listening())
    auth.login("manager")
    assert auth.post(f"/weekly/{KEY}/submit").status_code == 303
    assert _reload(session).state == "submitted"
    [email] = _emails(session)
    assert email.sent_at is None and email.attempts == 1  # the send_mail job tries again
    page = _text(auth.client.get(f"/weekly/{KEY}"))
    assert "邮件待发送" in page and "ConnectionRefusedError" in page


def test_supervisors_are_told_in_their_inbox(auth, session, draft, recipients):
    recipients()
    supervisor = make_user(session, role="supervisor")
    session.commit()
    auth.login("manager")
    auth.post(f"/weekly/{KEY}/submit")
    [note] = session.scalars(select(Notification).where(Notification.user_id == supervisor.id))
    assert note.title == f"工作周报 {KEY} 已报送" and note.link == f"/weekly/{KEY}"


def test_a_report_without_a_summary_cannot_be_submitted(auth, session, recipients):
    make_report(session)
    session.commit()
    recipients()
    auth.login("manager")
    page = _text(auth.client.get(f"/weekly/{KEY}/submit"))
    assert "请先填写本周工作小结" in page and ">确认报送</button>" not in page
    response = auth.post(f"/weekly/{KEY}/submit")
    assert response.status_code == 422 and "请先填写本周工作小结" in _text(response)
    assert _reload(session).state == "draft"


def test_submitting_twice_is_refused_and_changes_nothing(auth, session, draft, recipients):
    recipients()
    auth.login("manager")
    auth.post(f"/weekly/{KEY}/submit")
    first = _reload(session).submitted_at
    again = auth.post(f"/weekly/{KEY}/submit", follow_redirects=True)
    assert "已报送，不能再次报送" in _text(again)
    report = _reload(session)
    assert report.submitted_at == first
    assert [v.reason for v in report.versions].count("submitted") == 1


@pytest.mark.parametrize(("entries", "message"), [
    ([], "没有配置报送对象"),
    ([{"role": "抄送", "email": "a@example.org"}], "第 1 项缺少名称"),
    ([{"name": "服务发展处"}, {"name": "局长", "email": "不是地址"}], "第 2 项（局长）的邮箱地址无效"),
    ("服务发展处", "应为不超过 50 项的列表"),
])
def test_a_mistake_in_the_recipients_configuration_is_a_clear_message(
        auth, session, draft, recipients, entries, message):
    recipients(entries)
    auth.login("manager")
    page = auth.client.get(f"/weekly/{KEY}/submit")
    assert page.status_code == 200 and message in _text(page)
    response = auth.post(f"/weekly/{KEY}/submit")
    assert response.status_code == 422 and message in _text(response)
    assert _reload(session).state == "draft"
    assert session.scalar(select(func.count()).select_from(OutboundEmail)) == 0


def test_the_supervisor_may_not_submit(auth, session, draft, recipients):
    recipients()
    auth.login("supervisor")
    assert auth.client.get(f"/weekly/{KEY}/submit").status_code == 403
    assert auth.post(f"/weekly/{KEY}/submit").status_code == 403
    assert _reload(session).state == "draft"


def test_the_submit_service_records_recipients_as_they_were_then(session, app, draft):
    actor = make_user(session, role="manager")
    config = {"WEEKLY_RECIPIENTS": [{"role": "服务发展处", "name": " 服务发展处 ", "email": ""}]}
    weekly_delivery.submit_report(session, draft, config=config, actor=actor)
    config["WEEKLY_RECIPIENTS"][0]["name"] = "改名以后"
    assert draft.recipients == [{"role": "服务发展处", "name": "服务发展处", "email": None,
                                 "via": "by_hand"}]
    assert draft.delivery == "marked_sent"
