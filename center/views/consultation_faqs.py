"""Frequently asked questions (常见问题) per topic: the searchable list, a question's page, writing
and correcting one, archiving, and promoting a consultation's answer into one (the form starts
from the consultation's topic, question and answer).

Routes live on the consultations blueprint; this module is imported at the bottom of
consultation_referrals. Staff (admin, manager, frontdesk) read and keep the list."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from center.auth import roles
from center.extensions import db
from center.forms.referrals import ConfirmForm, FaqForm
from center.models.consultations import Consultation, Faq
from center.reports import faqs as listing
from center.reports.audit import record_history
from center.reports.directory import page_of
from center.services import audit, faqs as service
from center.services.errors import DomainError
from center.views._helpers import now_utc, show_errors
from center.views.consultation_referrals import (ARCHIVED_CHOICES, LABELS, TOPIC_LABELS,
                                                 choice_arg, consultation_url, form_status,
                                                 get_or_404, page_arg)
from center.views.consultations import STAFF, bp


@bp.route("/consultations/faqs")
@roles(*STAFF)
def faqs():
    filters = listing.FaqFilter(topic=choice_arg("topic", TOPIC_LABELS),
                                q=request.args.get("q", "").strip()[:100],
                                archived=choice_arg("archived", ARCHIVED_CHOICES) or "active")
    page = page_arg()
    items, total = page_of(db.session, listing.faq_query(filters), page=page,
                           per_page=current_app.config["PER_PAGE"])
    return render_template("consultations/faqs.html", items=items, total=total, page=page,
                           filters=filters, counts=listing.topic_counts(db.session), **LABELS)


@bp.route("/consultations/faqs/<int:faq_id>")
@roles(*STAFF)
def faq(faq_id):
    record = get_or_404(Faq, faq_id)
    source = record.source_consultation_id
    return render_template("consultations/faq.html", faq=record, form=ConfirmForm(),
                           entries=record_history(db.session, record),
                           source_url=consultation_url(source) if source else None, **LABELS)


@bp.route("/consultations/faqs/new", methods=["GET", "POST"])
@roles(*STAFF)
def faq_new():
    form = FaqForm(data={"topic": choice_arg("topic", TOPIC_LABELS)})
    return _faq_form(form, None, lambda data: service.create_faq(
        db.session, data, actor=current_user, now=now_utc()))


@bp.route("/consultations/faqs/<int:faq_id>/edit", methods=["GET", "POST"])
@roles(*STAFF)
def faq_edit(faq_id):
    record = get_or_404(Faq, faq_id)
    form = FaqForm(data={"topic": record.topic, "question": record.question,
                         "answer": record.answer})
    return _faq_form(form, record, lambda data: service.update_faq(
        db.session, record, data, actor=current_user))


@bp.route("/consultations/<int:consultation_id>/promote-faq", methods=["GET", "POST"])
@roles(*STAFF)
def promote_faq(consultation_id):
    consultation = get_or_404(Consultation, consultation_id)
    form = FaqForm(data=service.promotion_draft(consultation))
    return _faq_form(form, None, lambda data: service.promote_to_faq(
        db.session, consultation, data, actor=current_user, now=now_utc()),
        consultation=consultation)


@bp.route("/consultations/faqs/<int:faq_id>/archive", methods=["POST"])
@roles(*STAFF)
def faq_archive(faq_id):
    return _set_archived(get_or_404(Faq, faq_id), True)


@bp.route("/consultations/faqs/<int:faq_id>/restore", methods=["POST"])
@roles(*STAFF)
def faq_restore(faq_id):
    return _set_archived(get_or_404(Faq, faq_id), False)


def _faq_form(form, record, save, consultation=None):
    """Show the form; on a valid submission run `save(data)`, commit and go to the question."""
    if form.validate_on_submit():
        try:
            record = save({key: form.data[key] for key in service.FIELDS})
        except DomainError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已保存常见问题。"), "success")
            return redirect(url_for(".faq", faq_id=record.id))
    promoted = listing.promoted_from(db.session, consultation.id) if consultation else None
    return render_template("consultations/faq_form.html", form=form, faq=record,
                           consultation=consultation, promoted=promoted,
                           back=consultation_url(consultation.id) if consultation else None,
                           **LABELS), form_status(form)


def _set_archived(record: Faq, archive: bool):
    """Archive or restore after the confirm form; a repeated click changes nothing."""
    if ConfirmForm().validate_on_submit() and (record.archived_at is None) == archive:
        (audit.archive if archive else audit.restore)(db.session, record, actor=current_user)
        db.session.commit()
        flash(_("已归档这条常见问题，可随时恢复。") if archive else _("已恢复这条常见问题。"),
              "success")
    return redirect(url_for(".faq", faq_id=record.id))
