"""Directory pages: organizations, the region tree and platforms, with Excel exchange."""
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template,
                   request, send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from center import MAX_ID
from center.auth import roles
from center.extensions import db
from center.forms.directory import (ARCHIVED_CHOICES, FIELD_LABELS, LEVEL_LABELS, TIER_LABELS,
                                    TYPE_LABELS, ConfirmForm, ImportForm, OrganizationForm,
                                    PlatformForm)
from center.models.directory import Organization, Platform
from center.reports import directory as reports
from center.reports.audit import record_history
from center.reports.xlsx import XLSX_MIMETYPE
from center.services import audit, directory, directory_exchange as exchange
from center.services.errors import ConflictError, DomainError
from center.services.spreadsheets import RowErrors, WorkbookError

bp = Blueprint("directory", __name__)

ORGANIZATION_READERS = ("admin", "manager", "frontdesk", "reviewer")  # contacts: staff only
ORGANIZATION_WRITERS = ("admin", "manager", "frontdesk")
PLATFORM_READERS = ("admin", "manager", "frontdesk", "reviewer", "platform", "supervisor")
PLATFORM_WRITERS = ("admin", "manager")
MAX_PAGE = 100_000


@bp.context_processor
def labels():
    return {"TYPE_LABELS": TYPE_LABELS, "LEVEL_LABELS": LEVEL_LABELS, "TIER_LABELS": TIER_LABELS,
            "ARCHIVED_CHOICES": ARCHIVED_CHOICES, "FIELD_LABELS": FIELD_LABELS}


# --- organizations ---------------------------------------------------------------------------

@bp.route("/organizations")
@roles(*ORGANIZATION_READERS)
def organizations():
    filters, page = _organization_filter(), _page()
    items, total = reports.page_of(db.session, reports.organization_query(filters), page=page,
                                   per_page=current_app.config["PER_PAGE"])
    return render_template("directory/organizations.html", items=items, total=total, page=page,
                           filters=filters, districts=directory.districts(db.session),
                           can_write=current_user.role in ORGANIZATION_WRITERS)


@bp.route("/organizations/suggest")
@roles(*ORGANIZATION_READERS)
def organization_suggest():
    """Autocomplete for every organization picker: name fragment, pinyin initials or code."""
    orgs = directory.organization_suggestions(db.session, request.args.get("q"))
    return jsonify(items=[{"id": org.id, "name": org.name, "credit_code": org.credit_code}
                          for org in orgs])


@bp.route("/organizations/<int:org_id>")
@roles(*ORGANIZATION_READERS)
def organization(org_id):
    org = _get(Organization, org_id)
    return render_template("directory/organization.html", org=org, form=ConfirmForm(),
                           can_write=current_user.role in ORGANIZATION_WRITERS, **_history(org))


@bp.route("/organizations/new", methods=["GET", "POST"])
@roles(*ORGANIZATION_WRITERS)
def organization_new():
    return _organization_form(None)


@bp.route("/organizations/<int:org_id>/edit", methods=["GET", "POST"])
@roles(*ORGANIZATION_WRITERS)
def organization_edit(org_id):
    return _organization_form(_get(Organization, org_id))


def _organization_form(org):
    form = OrganizationForm(obj=org)
    form.set_districts(directory.districts(db.session))
    if form.validate_on_submit():
        data = _form_data(form)
        try:
            org = (directory.update_organization(db.session, org, data, actor=current_user) if org
                   else directory.create_organization(db.session, data, actor=current_user))
        except DomainError as error:
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("已保存“%(name)s”。", name=org.name), "success")
            return redirect(url_for(".organization", org_id=org.id))
    return render_template("directory/organization_form.html", form=form, org=org), _status(form)


@bp.route("/organizations/<int:org_id>/archive", methods=["POST"])
@roles(*ORGANIZATION_WRITERS)
def organization_archive(org_id):
    return _set_archived(_get(Organization, org_id), True, ".organization", org_id=org_id)


@bp.route("/organizations/<int:org_id>/restore", methods=["POST"])
@roles(*ORGANIZATION_WRITERS)
def organization_restore(org_id):
    return _set_archived(_get(Organization, org_id), False, ".organization", org_id=org_id)


@bp.route("/organizations/template.xlsx")
@roles(*ORGANIZATION_WRITERS)
def organizations_template():
    data = exchange.organization_template(max_rows=current_app.config["XLSX_MAX_ROWS"])
    return _xlsx(data, _("社会组织导入模板"))


@bp.route("/organizations/export.xlsx")
@roles(*ORGANIZATION_WRITERS)
def organizations_export():
    orgs = db.session.scalars(reports.organization_query(_organization_filter())).unique()
    data = exchange.export_organizations(orgs, max_rows=current_app.config["XLSX_MAX_ROWS"])
    return _xlsx(data, _("社会组织名录"))


@bp.route("/organizations/import", methods=["GET", "POST"])
@roles(*ORGANIZATION_WRITERS)
def organizations_import():
    return _import_page(exchange.import_organizations, kind="organizations")


# --- regions ---------------------------------------------------------------------------------

@bp.route("/regions")
@roles(*PLATFORM_READERS)
def regions():
    return render_template("directory/regions.html", roots=reports.region_tree(db.session))


# --- platforms -------------------------------------------------------------------------------

@bp.route("/platforms")
@roles(*PLATFORM_READERS)
def platforms():
    filters, page = _platform_filter(), _page()
    items, total = reports.page_of(db.session, reports.platform_query(filters), page=page,
                                   per_page=current_app.config["PER_PAGE"])
    return render_template("directory/platforms.html", items=items, total=total, page=page,
                           filters=filters, districts=directory.districts(db.session),
                           can_write=current_user.role in PLATFORM_WRITERS)


@bp.route("/platforms/<int:platform_id>")
@roles(*PLATFORM_READERS)
def platform(platform_id):
    record = _get(Platform, platform_id)
    return render_template("directory/platform.html", platform=record, form=ConfirmForm(),
                           can_write=current_user.role in PLATFORM_WRITERS, **_history(record))


@bp.route("/platforms/new", methods=["GET", "POST"])
@roles(*PLATFORM_WRITERS)
def platform_new():
    return _platform_form(None)


@bp.route("/platforms/<int:platform_id>/edit", methods=["GET", "POST"])
@roles(*PLATFORM_WRITERS)
def platform_edit(platform_id):
    return _platform_form(_get(Platform, platform_id))


def _platform_form(record):
    form = PlatformForm(obj=record)
    form.set_regions(reports.region_choices(db.session))
    if form.validate_on_submit():
        data = _form_data(form)
        try:
            record = (directory.update_platform(db.session, record, data, actor=current_user)
                      if record else directory.create_platform(db.session, data, actor=current_user))
        except DomainError as error:
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("已保存“%(name)s”。", name=record.name), "success")
            return redirect(url_for(".platform", platform_id=record.id))
    return render_template("directory/platform_form.html", form=form, platform=record), \
        _status(form)


@bp.route("/platforms/<int:platform_id>/archive", methods=["POST"])
@roles(*PLATFORM_WRITERS)
def platform_archive(platform_id):
    return _set_archived(_get(Platform, platform_id), True, ".platform", platform_id=platform_id)


@bp.route("/platforms/<int:platform_id>/restore", methods=["POST"])
@roles(*PLATFORM_WRITERS)
def platform_restore(platform_id):
    return _set_archived(_get(Platform, platform_id), False, ".platform", platform_id=platform_id)


@bp.route("/platforms/template.xlsx")
@roles(*PLATFORM_WRITERS)
def platforms_template():
    return _xlsx(exchange.platform_template(max_rows=current_app.config["XLSX_MAX_ROWS"]),
                 _("支持平台导入模板"))


@bp.route("/platforms/export.xlsx")
@roles(*PLATFORM_WRITERS)
def platforms_export():
    records = db.session.scalars(reports.platform_query(_platform_filter())).unique()
    return _xlsx(exchange.export_platforms(records, max_rows=current_app.config["XLSX_MAX_ROWS"]),
                 _("支持平台名录"))


@bp.route("/platforms/import", methods=["GET", "POST"])
@roles(*PLATFORM_WRITERS)
def platforms_import():
    return _import_page(exchange.import_platforms, kind="platforms")


# --- helpers ---------------------------------------------------------------------------------

def _set_archived(record, archive: bool, endpoint: str, **ids):
    """Archive or restore after the confirm form; a repeated click changes nothing."""
    if ConfirmForm().validate_on_submit() and (record.archived_at is None) == archive:
        (audit.archive if archive else audit.restore)(db.session, record, actor=current_user)
        db.session.commit()
        flash(_("已归档“%(name)s”。归档的记录不会删除，可随时恢复。", name=record.name) if archive
              else _("已恢复“%(name)s”。", name=record.name), "success")
    return redirect(url_for(endpoint, **ids))


def _get(model, record_id):
    return db.session.get(model, record_id) or abort(404)


def _page() -> int:
    return min(MAX_PAGE, max(1, request.args.get("page", 1, type=int)))


def _id_arg(name: str) -> int | None:
    """An id from the query string; one no row can have (not a number, negative, huge) is None."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None


def _choice(name: str, allowed) -> str:
    value = request.args.get(name, "")
    return value if value in allowed else ""


def _organization_filter() -> reports.OrganizationFilter:
    return reports.OrganizationFilter(
        q=request.args.get("q", "").strip()[:100], type=_choice("type", TYPE_LABELS),
        district_id=_id_arg("district"),
        archived=_choice("archived", ARCHIVED_CHOICES) or "active")


def _platform_filter() -> reports.PlatformFilter:
    return reports.PlatformFilter(
        tier=_choice("tier", TIER_LABELS), district_id=_id_arg("district"),
        joint=_choice("joint", ("yes", "no")),
        archived=_choice("archived", ARCHIVED_CHOICES) or "active")


def _status(form) -> int:
    """Unprocessable when a submitted form is shown again with its errors."""
    return 422 if form.is_submitted() else 200


def _form_data(form) -> dict:
    return {key: (None if value == "" else value) for key, value in form.data.items()
            if key != "csrf_token"}


def _show_error(form, error: DomainError) -> None:
    """Put a service's field messages beside the fields; a conflict names the existing record."""
    db.session.rollback()
    for name, message in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors.append(error.message if isinstance(error, ConflictError) else message)
    flash(error.message, "error")


def _history(record) -> dict:
    entries = record_history(db.session, record)
    ids = [value for entry in entries for key in ("district_id", "region_id")
           for value in entry.changes.get(key, [])]
    return {"entries": entries, "region_names": reports.region_names(db.session, ids)}


def _xlsx(data: bytes, title: str):
    today = datetime.now(ZoneInfo(current_app.config["CENTER_TIMEZONE"])).date()
    name = f"{title}-{today:%Y%m%d}.xlsx"
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=name)


def _import_page(importer, *, kind: str):
    form, problems, config = ImportForm(), [], current_app.config
    if form.validate_on_submit():
        try:
            result = importer(db.session, form.file.data.read(), actor=current_user,
                              update_existing=form.update_existing.data,
                              max_rows=config["XLSX_MAX_ROWS"],
                              max_uncompressed=config["XLSX_MAX_UNCOMPRESSED"])
        except RowErrors as error:
            db.session.rollback()
            problems = error.problems
            flash(error.message, "error")
        except (WorkbookError, DomainError) as error:
            db.session.rollback()
            form.file.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("导入完成：新增 %(created)d 条，更新 %(updated)d 条，未变 %(unchanged)d 条。",
                    created=result.created, updated=result.updated, unchanged=result.unchanged),
                  "success")
            return redirect(url_for(f".{kind}"))
    return render_template("directory/import.html", form=form, problems=problems, kind=kind,
                           max_mb=config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
                           max_rows=config["XLSX_MAX_ROWS"]), _status(form)
