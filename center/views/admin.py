"""Administration: user accounts, their API tokens, and the audit log."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from center import MAX_ID
from center.auth import roles
from center.extensions import db
from center.forms.accounts import (ROLE_LABELS, AuditFilterForm, PasswordForm, TokenForm,
                                   UserEditForm, UserFilterForm, UserForm)
from center.models.accounts import User
from center.reports import audit as audit_report
from center.services import accounts
from center.services.errors import DomainError

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Service field names that differ from the form's.
FIELD_ALIASES = {"organization_id": "organization_code"}
AUDIT_FILTERS = ("table", "record_id", "actor", "action", "date_from", "date_to")
AUDIT_YEARS = (2000, 2100)  # the log starts with the system; later dates are typing mistakes
MAX_PAGE = 100_000


def show_errors(form, error: DomainError) -> None:
    """Put a domain error's messages beside their fields; the rest goes in a flash."""
    placed = False
    for name, message in error.fields.items():
        form_field = getattr(form, FIELD_ALIASES.get(name, name), None)
        if form_field is not None:
            form_field.errors = [*form_field.errors, message]
            placed = True
    if not placed:
        flash(str(error.message), "error")


def _platform_id_fits(form) -> bool:
    """A hand-posted platform id no row can have is refused here, before the database sees it."""
    platform_id = form.platform_id.data
    if platform_id is None or 0 < platform_id <= MAX_ID:
        return True
    form.platform_id.errors = [*form.platform_id.errors, _("请选择平台。")]
    return False


def _page() -> int:
    return min(MAX_PAGE, max(1, request.args.get("page", 1, type=int)))


@bp.route("/users")
@roles("admin")
def users():
    form = UserFilterForm(request.args)
    form.validate()
    active = {"1": True, "0": False}.get(form.active.data)
    stmt = accounts.user_search(q=form.q.data, role=form.role.data or None, active=active)
    per_page = current_app.config["PER_PAGE"]
    rows, total = accounts.user_page(db.session, stmt, page=_page(), per_page=per_page)
    return render_template("admin/users.html", form=form, users=rows, total=total,
                           page=_page(), per_page=per_page, role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@roles("admin")
def create_user():
    form = UserForm()
    form.set_platform_choices(accounts.platform_choices(db.session))
    if form.validate_on_submit() and _platform_id_fits(form):
        try:
            user = accounts.register_user(db.session, form.data, actor=current_user,
                                          min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已创建用户 %(name)s。", name=user.username), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles("admin")
def edit_user(user_id):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    form.set_platform_choices(accounts.platform_choices(db.session))
    if request.method == "GET" and user.organization:
        form.organization_code.data = user.organization.credit_code
    if form.validate_on_submit() and _platform_id_fits(form):
        try:
            accounts.edit_user(db.session, user, form.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=user, token_form=TokenForm(),
                           tokens=accounts.user_tokens(db.session, user))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@roles("admin")
def deactivate_user(user_id):
    return _set_active(user_id, False, _("账号已停用，其登录会话和 API 令牌均已失效。"))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@roles("admin")
def reactivate_user(user_id):
    return _set_active(user_id, True, _("账号已重新启用。"))


def _set_active(user_id, active: bool, done_message: str):
    user = db.get_or_404(User, user_id)
    try:
        accounts.set_active(db.session, user, active, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(done_message, "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@roles("admin")
def reset_password(user_id):
    user = db.get_or_404(User, user_id)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(db.session, user, form.password.data, actor=current_user,
                                  min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已为 %(name)s 设置新密码，其登录会话均已结束。", name=user.username), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/password.html", form=form, user=user)


@bp.route("/users/<int:user_id>/tokens", methods=["POST"])
@roles("admin")
def issue_token(user_id):
    user = db.get_or_404(User, user_id)
    form = TokenForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.valid_days.errors) or _("请求无效。"), "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    try:
        token = accounts.issue_user_token(db.session, user, actor=current_user,
                                          valid_days=form.valid_days.data)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    db.session.commit()
    # Rendered, not redirected: the clear token must never sit in a session cookie or flash.
    return render_template("admin/token.html", user=user, token=token)


@bp.route("/users/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@roles("admin")
def revoke_token(user_id, token_id):
    user = db.get_or_404(User, user_id)
    try:
        token = accounts.get_user_token(db.session, user, token_id)
    except DomainError:
        abort(404)
    accounts.revoke_token(db.session, token, actor=current_user)
    db.session.commit()
    flash(_("令牌 %(prefix)s… 已撤销。", prefix=token.prefix), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/audit")
@roles("admin")
def audit_log():
    form = AuditFilterForm(request.args)
    form.set_choices(audit_report.audited_tables(), audit_report.ACTION_LABELS.items())
    form.validate()  # a filter with an error is shown beside its field and left out
    _check_years(form.date_from, form.date_to)
    filters = audit_report.AuditFilters(**{
        name: form[name].data or None for name in AUDIT_FILTERS if not form[name].errors})
    result = audit_report.audit_page(db.session, filters, page=_page(),
                                     per_page=current_app.config["PER_PAGE"],
                                     timezone=current_app.config["CENTER_TIMEZONE"])
    return render_template("admin/audit.html", form=form, result=result)


def _check_years(*fields) -> None:
    """A date filter outside AUDIT_YEARS gets a message beside it (and is left out)."""
    first, last = AUDIT_YEARS
    for date_field in fields:
        if date_field.data and not date_field.errors and not first <= date_field.data.year <= last:
            date_field.errors = [_("年份应在 %(a)d 年至 %(b)d 年之间。", a=first, b=last)]
