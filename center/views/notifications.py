"""Every user's inbox, its unread count in the navigation bar, and e-mail sent after the commit."""
from flask import (Blueprint, abort, current_app, flash, g, has_app_context, redirect,
                   render_template, request, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from center.auth import any_user, is_safe_next
from center.extensions import db
from center.models.notifications import OutboundEmail
from center.services import notifications

bp = Blueprint("notifications", __name__)

MAIL_QUEUED = "center_mail_queued"  # session.info: the open transaction queued e-mail
MAX_PAGE = 100_000  # keeps OFFSET far inside what every backend holds


def _page(source) -> int:
    return min(MAX_PAGE, max(1, source.get("page", 1, type=int) or 1))


@bp.route("/notifications")
@any_user
def index():
    page = _page(request.args)
    per_page = current_app.config["PER_PAGE"]
    items, total = notifications.inbox(db.session, current_user, page=page, per_page=per_page)
    return render_template("notifications/index.html", items=items, total=total, page=page,
                           per_page=per_page)


def _own_or_404(notification_id):
    """Another user's message is answered exactly like a missing one."""
    item = notifications.own_notification(db.session, current_user, notification_id)
    if item is None:
        abort(404)
    return item


def _inbox_page():
    page = _page(request.form)
    return url_for("notifications.index", page=page) if page > 1 else url_for("notifications.index")


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@any_user
def mark_read(notification_id):
    item = _own_or_404(notification_id)
    notifications.mark_read(db.session, current_user, [item.id])
    db.session.commit()
    return redirect(_inbox_page(), 303)


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@any_user
def open_item(notification_id):
    """Clicking a message reads it and follows its link, if it is a path on this site."""
    item = _own_or_404(notification_id)
    link = item.link
    notifications.mark_read(db.session, current_user, [item.id])
    db.session.commit()
    return redirect(link if is_safe_next(link) else _inbox_page(), 303)


@bp.route("/notifications/read-all", methods=["POST"])
@any_user
def mark_all_read():
    count = notifications.mark_all_read(db.session, current_user)
    db.session.commit()
    flash(_("已将 %(count)d 条通知标为已读。", count=count), "success")
    return redirect(url_for("notifications.index"), 303)


@bp.app_context_processor
def unread_notifications():
    """Templates call unread_notifications(): at most one COUNT per request, none if unused."""
    def count() -> int:
        if "unread_notifications" not in g:
            g.unread_notifications = notifications.unread_count(db.session, current_user) \
                if current_user.is_authenticated else 0
        return g.unread_notifications
    return {"unread_notifications": count}


# --- e-mail after the commit ------------------------------------------------------------------

def _note_queued_mail(session, flush_context, instances):
    if any(isinstance(obj, OutboundEmail) for obj in session.new):
        session.info[MAIL_QUEUED] = True


def _forget_queued_mail(session):
    session.info.pop(MAIL_QUEUED, None)


def _mail_committed(session):
    if session.info.pop(MAIL_QUEUED, False) and has_app_context():
        g.mail_committed = True


SESSION_EVENTS = (("before_flush", _note_queued_mail), ("after_rollback", _forget_queued_mail),
                  ("after_commit", _mail_committed))


def send_committed_mail(error=None):
    """teardown_request: the request committed queued e-mail, so send it now, in a session of
    its own. Failures stay on the e-mail rows (or in the log); the response is already made."""
    if not g.pop("mail_committed", False) or not current_app.config.get("MAIL_SERVER"):
        return
    try:
        with Session(db.engine) as session:
            notifications.send_queued(session, smtp_config=current_app.config)
            session.commit()
    except Exception:  # noqa: BLE001  (mail must never break a request)
        current_app.logger.exception("sending queued e-mail failed")


@bp.record_once
def _install_mail_after_commit(state):
    for name, listener in SESSION_EVENTS:
        if not event.contains(Session, name, listener):  # once per process, however many apps
            event.listen(Session, name, listener)
    state.app.teardown_request(send_committed_mail)
