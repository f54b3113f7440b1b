"""Submitting the weekly report and delivering it to the supervising office.

The recipients come from the configuration (WEEKLY_RECIPIENTS: the service development division,
copied to the office's director and the bureau's director and deputy director) and are fixed on
the report when it is submitted. With SMTP configured (MAIL_SERVER), each recipient with an
address gets an e-mail with the workbook attached, queued in the submitting transaction and sent
after its commit; without SMTP, or without any address, the report is "marked as sent" and the
manager hands the exported workbook over by hand. Supervisors are told in their inbox.

Everything the mail says is in Chinese, the report's language, whoever submits it.
"""
from datetime import datetime

from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import select

from center.models.accounts import User
from center.models.notifications import OutboundEmail
from center.models.weekly import WeeklyReport
from center.reports import weekly_export
from center.services import notifications, weekly
from center.services.errors import ValidationError
from center.services.venue_rules import CENTER_TZ

MAX_RECIPIENTS = 50


def report_title(report: WeeklyReport) -> str:
    """The title the office files it under: the e-mail's subject is the workbook's title."""
    return weekly_export.report_title(report)


def attachment_name(report: WeeklyReport) -> str:
    return f"工作周报_{report.week_key}.xlsx"


def configured_recipients(config) -> list[dict]:
    """WEEKLY_RECIPIENTS checked: each a name, an optional role, an optional e-mail address.
    A mistake in the configuration is a clear message, never a failed submission half-way."""
    raw = config.get("WEEKLY_RECIPIENTS") or []
    if not isinstance(raw, (list, tuple)) or len(raw) > MAX_RECIPIENTS:
        raise ValidationError(_l("报送对象配置（WEEKLY_RECIPIENTS）应为不超过 %(n)d 项的列表。",
                                 n=MAX_RECIPIENTS))
    recipients = [_recipient(entry, number) for number, entry in enumerate(raw, start=1)]
    if not recipients:
        raise ValidationError(_l("没有配置报送对象（WEEKLY_RECIPIENTS），请联系管理员。"))
    return recipients


def _recipient(entry, number: int) -> dict:
    name = entry.get("name") if isinstance(entry, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(_l("报送对象配置（WEEKLY_RECIPIENTS）第 %(n)d 项缺少名称。", n=number))
    email = (entry.get("email") or "").strip() if isinstance(entry.get("email"), str) else ""
    if entry.get("email") and (not email or "@" not in email or len(email) > 254
                               or any(c.isspace() for c in email)):
        raise ValidationError(_l("报送对象配置（WEEKLY_RECIPIENTS）第 %(n)d 项（%(name)s）的邮箱"
                                 "地址无效。", n=number, name=name.strip()))
    return {"role": str(entry.get("role") or "").strip(), "name": name.strip(),
            "email": email or None}


def mail_enabled(config, recipients: list[dict]) -> bool:
    """E-mail goes out only when SMTP is configured and someone has an address."""
    return bool(config.get("MAIL_SERVER")) and any(r["email"] for r in recipients)


def submit_report(session, report: WeeklyReport, *, config, actor, link: str | None = None,
                  now: datetime | None = None) -> WeeklyReport:
    """Submit the report (locked, recipients, time and submitter recorded, a version kept) and
    deliver it: e-mail with the workbook to each recipient with an address when SMTP is
    configured, else marked as sent. Supervisors get a message in their inbox (with `link`)."""
    recipients = configured_recipients(config)
    by_mail = mail_enabled(config, recipients)
    for recipient in recipients:
        recipient["via"] = "email" if by_mail and recipient["email"] else "by_hand"
    weekly.submit(session, report, recipients=recipients, actor=actor, now=now)
    if by_mail:
        _queue_mail(session, report, recipients, actor, now)
    report.delivery = "email" if by_mail else "marked_sent"
    _tell_supervisors(session, report, actor, link)
    session.flush()
    return report


def _queue_mail(session, report, recipients, actor, now) -> None:
    """One e-mail per recipient with an address, the workbook attached (built once)."""
    workbook = weekly_export.workbook_bytes(report)
    for recipient in recipients:
        if recipient["via"] == "email":
            email = notifications.queue_email(
                session, to_address=recipient["email"], subject=report_title(report),
                body=mail_body(report, recipient, actor, now),
                attachment_name=attachment_name(report), attachment=workbook)
            recipient["email_id"] = email.id
    report.recipients = [dict(r) for r in recipients]  # a new list: the JSON column sees it


def mail_body(report, recipient: dict, actor, now=None) -> str:
    with force_locale("zh"):
        day = (now or report.submitted_at).astimezone(CENTER_TZ).date()
        lines = [f"{recipient['name']}：", "",
                 _("现报送%(title)s，请审阅。", title=report_title(report)), "",
                 _("【本周工作小结】"), report.summary.strip(), "",
                 _("【下周工作计划】"), report.plan.strip() or _("（无）"), "",
                 _("【本周主要数据】"), *figure_lines(report.figures), "",
                 _("附件：%(name)s", name=attachment_name(report)), "",
                 _("报送人：%(name)s", name=actor.display_name), _("社会组织发展服务中心"),
                 f"{day.year}年{day.month}月{day.day}日"]
    return "\n".join(lines) + "\n"


def figure_lines(figures: dict) -> list[str]:
    """One line per service line: each figure with last week's value in brackets."""
    modules = (figures or {}).get("modules") or {}
    labels = (figures or {}).get("labels") or {key: key for key in modules}
    lines = []
    for key, label in labels.items():
        module = modules.get(key)
        if module is None:
            lines.append(f"  {_(label)}：" + _("尚未上线"))
            continue
        parts = [_("%(label)s %(value)s%(unit)s（上周 %(previous)s）", label=_(f["label"]),
                   value=plain_number(f["value"]), unit=f.get("unit") or "",
                   previous="—" if f.get("previous") is None else plain_number(f["previous"]))
                 for f in module.get("figures", [])]
        lines.append(f"  {_(label)}：" + "；".join(parts))
    return lines


def plain_number(value):
    """A figure as people write it: 12 rather than 12.0, one decimal otherwise."""
    if isinstance(value, float):
        value = round(value, 1)
        return int(value) if value.is_integer() else value
    return value


def _tell_supervisors(session, report, actor, link) -> None:
    supervisors = session.scalars(select(User).where(User.role == "supervisor",
                                                     User.is_active)).all()
    with force_locale("zh"):
        notifications.notify(session, supervisors, kind="weekly_submitted",
                             title=_("工作周报 %(key)s 已报送", key=report.week_key),
                             body=report_title(report) + "\n" + _("报送人：%(name)s",
                                                                  name=actor.display_name),
                             link=link)


def delivery_status(session, report: WeeklyReport) -> list[dict]:
    """Each recipient with how it went: e-mail sent, waiting, failed; or handed over by hand."""
    ids = [r["email_id"] for r in report.recipients or () if r.get("email_id")]
    emails = {e.id: e for e in session.scalars(select(OutboundEmail)
                                               .where(OutboundEmail.id.in_(ids)))} if ids else {}
    rows = []
    for recipient in report.recipients or ():
        email = emails.get(recipient.get("email_id"))
        rows.append({**recipient, "sent_at": email.sent_at if email else None,
                     "attempts": email.attempts if email else 0,
                     "error": email.last_error if email else None,
                     "status": _status(recipient, email)})
    return rows


def _status(recipient: dict, email) -> str:
    if recipient.get("via") != "email" or email is None:
        return "by_hand"
    if email.sent_at is not None:
        return "sent"
    return "failed" if email.attempts >= notifications.MAX_ATTEMPTS else "queued"
