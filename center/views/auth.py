"""Login, logout and the language switch."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from center.auth import any_user, clear_session_for_login, client_ip, is_safe_next, public
from center.extensions import db
from center.forms.accounts import LoginForm, OwnPasswordForm
from center.services import accounts
from center.services.errors import ValidationError

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(db.session, username=form.username.data,
                                         password=form.password.data, ip_address=client_ip(),
                                         config=current_app.config)
        except accounts.ThrottledError as error:
            minutes = max(1, round(error.retry_after.total_seconds() / 60))
            form.password.errors.append(
                _("登录失败次数过多，请 %(n)d 分钟后再试。", n=minutes))
            return render_template("auth/login.html", form=form), 429
        if user is None:
            db.session.commit()  # the failed attempt counts towards throttling
            form.password.errors.append(_("用户名或密码不正确，或账号已停用。"))
            return render_template("auth/login.html", form=form), 200
        session_id = accounts.start_session(db.session, user, remember=form.remember.data,
                                            ip_address=client_ip(), config=current_app.config)
        db.session.commit()
        clear_session_for_login()
        user.session_id = session_id
        login_user(user, remember=form.remember.data)
        session.permanent = True
        return redirect(next_url if is_safe_next(next_url) else url_for("main.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@any_user
def logout():
    accounts.end_session(db.session, current_user.session_id)
    db.session.commit()
    _end_browser_session()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
@public
def language():
    lang = request.form.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("main.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@any_user
def change_password():
    form = OwnPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_own_password(db.session, current_user, current=form.current_password.data,
                                         new=form.password.data,
                                         min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        except ValidationError as error:
            field = "current_password" if "current_password" in error.fields else "password"
            form[field].errors.append(error.fields.get(field, error.message))
        else:
            db.session.commit()
            _end_browser_session()
            flash(_("密码已修改，请用新密码重新登录。"), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/password.html", form=form)


def _end_browser_session():
    """Forget everything in the cookie, then let Flask-Login delete the remember-me cookie."""
    session.clear()
    logout_user()
