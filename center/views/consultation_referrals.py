"""The expert pool (公益导师), the resource union's partners (资源联合体) and referrals from a
consultation to one of them. Frequent questions are in consultation_faqs, imported at the bottom.

Routes live on the consultations blueprint (endpoints `consultations.<function>`). Staff (admin,
manager, frontdesk) read and keep the pool, since the front desk knows the mentors best; who may
refer a consultation or record a referral's progress is the service's object-level rule
(center.services.referrals.can_refer / can_handle).
"""
from dataclasses import dataclass
from typing import Callable

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from center.auth import roles
from center.extensions import db
from center.forms.directory import ARCHIVED_CHOICES
from center.forms.referrals import (HISTORY_LABELS, ConfirmForm, ExpertForm, PartnerForm,
                                    ReferForm, ReferralStateForm)
from center.models.consultations import (MODE_LABELS, REFERRAL_STATE_LABELS, SECTOR_LABELS,
                                         TOPIC_LABELS, Consultation, Expert, Partner, Referral)
from center.reports import referrals as listing
from center.reports.audit import record_history
from center.reports.directory import page_of
from center.services import audit, referrals as service
from center.services.errors import DomainError, PermissionDenied
from center.views._helpers import now_utc, show_errors
from center.views.consultations import STAFF, bp

MAX_PAGE = 100_000
LABELS = {"TOPIC_LABELS": TOPIC_LABELS, "MODE_LABELS": MODE_LABELS,
          "SECTOR_LABELS": SECTOR_LABELS, "REFERRAL_STATE_LABELS": REFERRAL_STATE_LABELS,
          "ARCHIVED_CHOICES": ARCHIVED_CHOICES, "HISTORY_LABELS": HISTORY_LABELS}


@dataclass(frozen=True)
class Pool:
    """What differs between the expert and the partner pages."""
    model: type
    kind: str  # expert or partner: template and endpoint names
    form: type
    create: Callable
    update: Callable


EXPERTS = Pool(Expert, "expert", ExpertForm, service.create_expert, service.update_expert)
PARTNERS = Pool(Partner, "partner", PartnerForm, service.create_partner, service.update_partner)


# --- experts and partners --------------------------------------------------------------------

@bp.route("/consultations/experts")
@roles(*STAFF)
def experts():
    return _pool_list(EXPERTS)


@bp.route("/consultations/experts/<int:expert_id>")
@roles(*STAFF)
def expert(expert_id):
    return _pool_page(EXPERTS, get_or_404(Expert, expert_id))


@bp.route("/consultations/experts/new", methods=["GET", "POST"])
@roles(*STAFF)
def expert_new():
    return _pool_form(EXPERTS, None)


@bp.route("/consultations/experts/<int:expert_id>/edit", methods=["GET", "POST"])
@roles(*STAFF)
def expert_edit(expert_id):
    return _pool_form(EXPERTS, get_or_404(Expert, expert_id))


@bp.route("/consultations/experts/<int:expert_id>/archive", methods=["POST"])
@roles(*STAFF)
def expert_archive(expert_id):
    return _set_archived(EXPERTS, get_or_404(Expert, expert_id), True)


@bp.route("/consultations/experts/<int:expert_id>/restore", methods=["POST"])
@roles(*STAFF)
def expert_restore(expert_id):
    return _set_archived(EXPERTS, get_or_404(Expert, expert_id), False)


@bp.route("/consultations/partners")
@roles(*STAFF)
def partners():
    return _pool_list(PARTNERS)


@bp.route("/consultations/partners/<int:partner_id>")
@roles(*STAFF)
def partner(partner_id):
    return _pool_page(PARTNERS, get_or_404(Partner, partner_id))


@bp.route("/consultations/partners/new", methods=["GET", "POST"])
@roles(*STAFF)
def partner_new():
    return _pool_form(PARTNERS, None)


@bp.route("/consultations/partners/<int:partner_id>/edit", methods=["GET", "POST"])
@roles(*STAFF)
def partner_edit(partner_id):
    return _pool_form(PARTNERS, get_or_404(Partner, partner_id))


@bp.route("/consultations/partners/<int:partner_id>/archive", methods=["POST"])
@roles(*STAFF)
def partner_archive(partner_id):
    return _set_archived(PARTNERS, get_or_404(Partner, partner_id), True)


@bp.route("/consultations/partners/<int:partner_id>/restore", methods=["POST"])
@roles(*STAFF)
def partner_restore(partner_id):
    return _set_archived(PARTNERS, get_or_404(Partner, partner_id), False)


def _pool_list(pool: Pool):
    filters, page = _pool_filter(pool), page_arg()
    query = listing.expert_query(filters) if pool is EXPERTS else listing.partner_query(filters)
    items, total = page_of(db.session, query, page=page,
                           per_page=current_app.config["PER_PAGE"])
    counts = listing.open_referral_counts(db.session, pool.model, (i.id for i in items))
    return render_template(f"consultations/{pool.kind}s.html", items=items, total=total,
                           page=page, filters=filters, counts=counts, **LABELS)


def _pool_page(pool: Pool, record):
    filters = listing.ReferralFilter(**{f"{pool.kind}_id": record.id})
    referrals = db.session.scalars(listing.referral_query(filters).limit(200)).unique().all()
    return render_template(f"consultations/{pool.kind}.html", record=record,
                           referrals=referrals, form=ConfirmForm(),
                           entries=record_history(db.session, record), **LABELS)


def _pool_form(pool: Pool, record):
    form = pool.form(data=_record_data(record))
    if form.validate_on_submit():
        data = {k: v for k, v in form.data.items() if k != "csrf_token"}
        try:
            record = (pool.update(db.session, record, data, actor=current_user) if record
                      else pool.create(db.session, data, actor=current_user, now=now_utc()))
        except DomainError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已保存“%(name)s”。", name=record.name), "success")
            return redirect(url_for(f".{pool.kind}", **{f"{pool.kind}_id": record.id}))
    return render_template(f"consultations/{pool.kind}_form.html", form=form, record=record,
                           **LABELS), form_status(form)


def _record_data(record) -> dict | None:
    """A record's values for its edit form; codes as lists for the checkboxes."""
    if record is None:
        return None
    data = {column.key: getattr(record, column.key) for column in record.__table__.columns}
    return data | {"fields": record.field_list, "modes": record.mode_list}


def _set_archived(pool: Pool, record, archive: bool):
    """Archive or restore after the confirm form; a repeated click changes nothing."""
    if ConfirmForm().validate_on_submit() and (record.archived_at is None) == archive:
        (audit.archive if archive else audit.restore)(db.session, record, actor=current_user)
        db.session.commit()
        still_open = listing.open_referral_counts(db.session, pool.model, [record.id])
        if not archive:
            flash(_("已恢复“%(name)s”。", name=record.name), "success")
        elif still_open:
            flash(_("已归档“%(name)s”，不再接受新的转介；进行中的转介 %(n)d 条仍可记录结果。",
                    name=record.name, n=still_open[record.id]), "success")
        else:
            flash(_("已归档“%(name)s”，不再接受新的转介，可随时恢复。", name=record.name),
                  "success")
    return redirect(url_for(f".{pool.kind}", **{f"{pool.kind}_id": record.id}))


# --- referrals -------------------------------------------------------------------------------

@bp.route("/consultations/<int:consultation_id>/refer", methods=["GET", "POST"])
@roles(*STAFF)
def refer(consultation_id):
    consultation = get_or_404(Consultation, consultation_id)
    if not service.can_refer(consultation, current_user):
        abort(403)
    suggested = listing.suggestions(db.session, consultation)
    form = ReferForm()
    form.set_targets(listing.target_choices(db.session, suggested))
    if not form.is_submitted():
        form.target.data = request.args.get("target", "")[:30]
        form.mode.data = request.args.get("mode", "consulting")[:30]
    if form.validate_on_submit():
        try:
            referral = service.refer_consultation(db.session, consultation, form.service_data(),
                                                  actor=current_user, now=now_utc())
        except DomainError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已转介给“%(name)s”，这条咨询的状态已改为“已转介”。",
                    name=referral.target_name), "success")
            return redirect(url_for(".referral", referral_id=referral.id))
    partners_suggested = listing.suggestions(db.session, consultation, Partner, limit=5)
    return render_template("consultations/refer.html", form=form, consultation=consultation,
                           suggested=suggested, partners_suggested=partners_suggested,
                           back=consultation_url(consultation.id), **LABELS), form_status(form)


@bp.route("/consultations/referrals")
@roles(*STAFF)
def referrals():
    filters = listing.ReferralFilter(state=choice_arg("state", listing.REFERRAL_STATE_FILTERS),
                                     mode=choice_arg("mode", MODE_LABELS),
                                     staff_id=current_user.id if request.args.get("mine")
                                     else None)
    page = page_arg()
    items, total = page_of(db.session, listing.referral_query(filters), page=page,
                           per_page=current_app.config["PER_PAGE"])
    return render_template("consultations/referrals.html", items=items, total=total, page=page,
                           filters=filters, mine=bool(request.args.get("mine")), **LABELS)


@bp.route("/consultations/referrals/<int:referral_id>")
@roles(*STAFF)
def referral(referral_id):
    return _referral_page(get_or_404(Referral, referral_id), ReferralStateForm())


@bp.route("/consultations/referrals/<int:referral_id>/state", methods=["POST"])
@roles(*STAFF)
def referral_move(referral_id):
    record = get_or_404(Referral, referral_id)
    form = ReferralStateForm()
    if form.validate_on_submit():
        try:
            service.move_referral(db.session, record, to=form.state.data,
                                  outcome=form.outcome.data, actor=current_user,
                                  resolve_consultation=form.resolve.data, now=now_utc())
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        except DomainError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("转介状态已改为“%(state)s”。", state=REFERRAL_STATE_LABELS[record.state]),
                  "success")
            return redirect(url_for(".referral", referral_id=record.id))
    return _referral_page(record, form), 422


def _referral_page(record: Referral, form):
    return render_template("consultations/referral.html", referral=record, form=form,
                           can_handle=service.can_handle(record, current_user),
                           entries=record_history(db.session, record),
                           back=consultation_url(record.consultation_id), **LABELS)


# --- helpers ---------------------------------------------------------------------------------

def consultation_url(consultation_id: int) -> str:
    """The consultation's own page (center.views.consultations)."""
    return url_for(".detail", consultation_id=consultation_id)


def get_or_404(model, record_id):
    return db.session.get(model, record_id) or abort(404)


def page_arg() -> int:
    return min(MAX_PAGE, max(1, request.args.get("page", 1, type=int)))


def choice_arg(name: str, allowed) -> str:
    value = request.args.get(name, "")
    return value if value in allowed else ""


def _pool_filter(pool: Pool) -> listing.PoolFilter:
    return listing.PoolFilter(
        q=request.args.get("q", "").strip()[:100], field=choice_arg("field", TOPIC_LABELS),
        mode=choice_arg("mode", MODE_LABELS),
        sector=choice_arg("sector", SECTOR_LABELS) if pool is EXPERTS else "",
        archived=choice_arg("archived", ARCHIVED_CHOICES) or "active")


def form_status(form) -> int:
    """Unprocessable when a submitted form is shown again with its errors."""
    return 422 if form.is_submitted() else 200


# Frequent questions register their routes on bp too.
from center.views import consultation_faqs  # noqa: E402,F401
