"""Three-tier platform liaison pages (市区街三级平台联动). One blueprint, `liaison`, in modules:

- this module: posts (needs and offers) of a platform, the form, the city-wide board and its
  picture, the Excel template;
- liaison_matches: ranked offers for a need and the match pages;
- liaison_meetings: quarterly joint meetings and their decisions;
- liaison_referrals: referrals of organizations between platforms.

Who may see and change what is the services' object-level rule (center.services.liaison and
its siblings): 404 for what the caller may not know exists, 403 for what it may see but not change.
"""
import io

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BuildError

from center import MAX_ID
from center.auth import roles
from center.extensions import db
from center.forms.liaison import (FIELD_LABELS, BoardFilterForm, ConfirmForm, PostFilterForm,
                                  PostForm, PostImportForm)
from center.models.directory import Platform
from center.models.liaison import (CATEGORY_LABELS, KIND_LABELS, MATCH_STATE_LABELS,
                                   POST_STATE_LABELS)
from center.reports import directory as directory_reports, liaison_board as board
from center.reports.audit import record_history
from center.reports.xlsx import XLSX_MIMETYPE
from center.services import directory, liaison, liaison_exchange as exchange
from center.services.errors import DomainError, NotFoundError, PermissionDenied
from center.services.field_checks import ascii_int
from center.services.spreadsheets import RowErrors
from center.views._helpers import now_utc, show_errors

bp = Blueprint("liaison", __name__, url_prefix="/liaison")

PLATFORM_USERS = ("admin", "manager", "frontdesk", "platform")  # post, match, refer
READERS = PLATFORM_USERS + ("supervisor",)  # the board and the meetings


@bp.app_context_processor
def platform_todo_helper():
    """`liaison_todo()` for a platform user's home page: computed only where it is called."""
    def liaison_todo():
        from center.reports.liaison_todo import platform_todo
        return platform_todo(db.session, current_user.platform_id)
    return {"liaison_todo": liaison_todo}
MAX_PAGE = 100_000
LABELS = {"KIND_LABELS": KIND_LABELS, "CATEGORY_LABELS": CATEGORY_LABELS,
          "POST_STATE_LABELS": POST_STATE_LABELS, "MATCH_STATE_LABELS": MATCH_STATE_LABELS,
          "FIELD_LABELS": FIELD_LABELS}


def try_url(endpoint, **values):
    """A link to a page another module provides, or None while it does not exist."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _page(template, status=200, **context):
    return render_template(template, **LABELS, try_url=try_url, **context), status


def _page_number() -> int:
    return min(MAX_PAGE, max(1, request.args.get("page", 1, type=int)))


def _post(post_id, *, edit=False):
    """The post, with the services' answer: 404 unseen, 403 seen but not the caller's."""
    try:
        if edit:
            return liaison.editable_post(db.session, post_id, current_user)
        return liaison.visible_post(db.session, post_id, current_user)
    except NotFoundError:
        abort(404)
    except PermissionDenied:
        abort(403)


def _platforms():
    """The platforms the center's staff may post for; None for a platform user (their own)."""
    if current_user.role == "platform":
        return None
    return db.session.scalars(select(Platform).where(Platform.archived_at.is_(None))
                              .order_by(Platform.name)).all()


def _platform_id(form):
    raw = form.platform_id.data if "platform_id" in form else None
    number = ascii_int(str(raw or ""))
    return number if number is not None and number <= MAX_ID else None


# --- a platform's posts ----------------------------------------------------------------------

@bp.route("/posts")
@roles(*PLATFORM_USERS)
def posts():
    form = PostFilterForm(request.args)
    form.validate()
    good = {name: form[name].data or None for name in ("state", "kind") if not form[name].errors}
    page, per_page = _page_number(), current_app.config["PER_PAGE"]
    items, total = directory_reports.page_of(db.session, board.posts_query(current_user, **good),
                                             page=page, per_page=per_page)
    return _page("liaison/posts.html", form=form, items=items, total=total, page=page,
                 per_page=per_page)


@bp.route("/posts/new", methods=["GET", "POST"])
@roles(*PLATFORM_USERS)
def new_post():
    form = _post_form()
    if form.is_submitted():
        publish = request.form.get("action") == "publish"
        post = _save(form, lambda data: liaison.create_post(
            db.session, data, actor=current_user, platform_id=_platform_id(form),
            publish=publish, now=now_utc()))
        if post is not None:
            db.session.commit()
            flash(_("已发布。") if publish else _("已保存为草稿。"), "success")
            return redirect(url_for(".post", post_id=post.id))
    return _page("liaison/post_form.html", 422 if form.errors else 200, form=form, post=None)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@roles(*PLATFORM_USERS)
def edit_post(post_id):
    post = _post(post_id, edit=True)
    form = _post_form(own=True)
    if not form.is_submitted():
        form.fill_from(post)
    elif _save(form, lambda data: liaison.update_post(db.session, post, data, actor=current_user,
                                                      now=now_utc())) is not None:
        db.session.commit()
        flash(_("修改已保存。"), "success")
        return redirect(url_for(".post", post_id=post.id))
    return _page("liaison/post_form.html", 422 if form.errors else 200, form=form, post=post)


def _post_form(own=False) -> PostForm:
    form = PostForm()
    form.set_choices(regions=directory_reports.region_choices(db.session),
                     platforms=None if own else _platforms())
    return form


def _save(form, save):
    """save(data) when the shape is right; the service's problems beside the fields; None when
    anything is wrong (nothing stored)."""
    if not form.validate():
        return None
    try:
        return save(form.service_data())
    except DomainError as error:
        show_errors(form, error)
        if not form.errors:  # a refusal with no field (e.g. a closed post): still an error page
            form.form_errors.append(error.message)
        return None


@bp.route("/posts/<int:post_id>")
@roles(*READERS)
def post(post_id):
    post = _post(post_id)
    entries = record_history(db.session, post)
    ids = [value for entry in entries for value in entry.changes.get("region_id", [])]
    return _page("liaison/post.html", post=post, entries=entries,
                 region_names=directory_reports.region_names(db.session, ids),
                 matches=board.post_matches(db.session, post, current_user),
                 can_edit=liaison.can_edit(post, current_user), form=ConfirmForm())


@bp.route("/posts/<int:post_id>/publish", methods=["POST"])
@roles(*PLATFORM_USERS)
def publish_post(post_id):
    return _transition(post_id, liaison.publish, _("已发布到全市需求与资源栏。"))


@bp.route("/posts/<int:post_id>/close", methods=["POST"])
@roles(*PLATFORM_USERS)
def close_post(post_id):
    return _transition(post_id, liaison.close, _("已关闭。"))


def _transition(post_id, change, done_message):
    post = _post(post_id, edit=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        change(db.session, post, actor=current_user, now=now_utc())
    except DomainError as error:
        db.session.rollback()
        flash(" ".join([str(error.message), *map(str, error.fields.values())]), "error")
    else:
        db.session.commit()
        flash(done_message, "success")
    return redirect(url_for(".post", post_id=post_id), 303)


# --- the city-wide board ---------------------------------------------------------------------

@bp.route("/board")
@roles(*READERS)
def board_page():
    form = BoardFilterForm(request.args)
    districts = directory.districts(db.session)
    form.set_districts(districts)
    form.validate()
    filters = _board_filters(form)
    today = liaison.today_in_center(now_utc())
    page, per_page = _page_number(), current_app.config["PER_PAGE"]
    items, total = directory_reports.page_of(db.session, board.board_query(filters, today=today),
                                             page=page, per_page=per_page)
    picture = board.needs_offers(db.session, filters, today=today)
    return _page("liaison/board.html", form=form, items=items, total=total, page=page,
                 per_page=per_page, picture=picture, filters=filters)


def _board_filters(form) -> board.BoardFilters:
    """The filters from the fields that passed; a bad one is shown with its message, unused."""
    def ok(name):
        return form[name].data if not form[name].errors and form[name].data else None
    district = ok("district")
    window_ok = not (form.date_from.errors or form.date_to.errors)  # one window: all or none
    return board.BoardFilters(kind=ok("kind"), category=ok("category"),
                              district_id=int(district) if district else None,
                              date_from=ok("date_from") if window_ok else None,
                              date_to=ok("date_to") if window_ok else None)


# --- the Excel template ----------------------------------------------------------------------

@bp.route("/posts/template.xlsx")
@roles(*PLATFORM_USERS)
def posts_template():
    name = f"{_('平台需求与资源导入模板')}-{exchange.TEMPLATE_VERSION}.xlsx"
    return send_file(io.BytesIO(exchange.template()), mimetype=XLSX_MIMETYPE,
                     as_attachment=True, download_name=name)


@bp.route("/posts/import", methods=["GET", "POST"])
@roles(*PLATFORM_USERS)
def posts_import():
    form, problems = PostImportForm(), []
    form.set_platforms(_platforms())
    if form.validate_on_submit():
        try:
            result = exchange.import_posts(
                db.session, form.file.data.read(exchange.MAX_BYTES + 1), actor=current_user,
                platform_id=_platform_id(form), now=now_utc())
        except RowErrors as error:
            db.session.rollback()
            problems = error.problems
            flash(error.message, "error")
        except DomainError as error:  # the file as a whole, or the platform
            show_errors(form, error, {"file": "file", "platform_id": "platform_id"})
        else:
            db.session.commit()
            flash(_("导入完成：新增 %(n)d 条，其中 %(p)d 条已发布。", n=result.created,
                    p=result.published), "success")
            return redirect(url_for(".posts"))
    status = 422 if form.is_submitted() and (form.errors or problems) else 200
    return _page("liaison/import.html", status, form=form, problems=problems,
                 max_rows=exchange.MAX_ROWS, max_mb=exchange.MAX_BYTES // (1024 * 1024),
                 version=exchange.TEMPLATE_VERSION)


from center.views import liaison_matches, liaison_meetings, liaison_referrals  # noqa: E402,F401
