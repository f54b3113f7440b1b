"""Consultation pages (咨询辅导). One blueprint, `consultations`, in three modules:

- this module: the quick-entry form, a consultation's page and its changes (follow-up, evaluation)
  and the follow-ups due;
- consultation_lists: the filtered list and its search, the Excel export, the statistics;
- consultation_referrals: experts, resource-union partners, referrals and frequent questions.
"""
from flask import (Blueprint, abort, flash, jsonify, redirect, render_template, request,
                   session as browser_session, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from center.auth import roles
from center.extensions import db
from center.forms.consultations import (FIELD_LABELS, SATISFACTION_LABELS, SERVICE_ALIASES,
                                        CloseFollowUpForm, ConfirmForm, ConsultationForm,
                                        EvaluationForm)
from center.models.consultations import (CHANNEL_LABELS, MODE_LABELS, REFERRAL_STATE_LABELS,
                                         STATE_LABELS, TOPIC_LABELS, Consultation)
from center.models.directory import Organization
from center.reports import consultation_suggestions as suggestions
from center.reports.audit import readable, record_history
from center.services import audit, consultations as services, directory
from center.services.errors import ValidationError
from center.services.field_checks import ascii_int
from center.services.venue_rules import CENTER_TZ
from center.views._helpers import now_utc, show_errors

bp = Blueprint("consultations", __name__)

STAFF = ("admin", "manager", "frontdesk")  # log, edit, refer, export
STATS_READERS = ("admin", "manager", "frontdesk", "supervisor")
MANAGERS = ("admin", "manager")  # see everyone's follow-ups
FOLLOW_UP_ROWS = 500
SAVED_KEY = "consultation_saved"  # one-shot: the next page clears the entry form's draft
LABELS = {"CHANNEL_LABELS": CHANNEL_LABELS, "TOPIC_LABELS": TOPIC_LABELS,
          "STATE_LABELS": STATE_LABELS, "MODE_LABELS": MODE_LABELS,
          "REFERRAL_STATE_LABELS": REFERRAL_STATE_LABELS, "FIELD_LABELS": FIELD_LABELS,
          "SATISFACTION_LABELS": SATISFACTION_LABELS}


@bp.app_context_processor
def follow_up_helpers():
    """`my_follow_up_counts()` for the home page: computed only where a template calls it."""
    def my_follow_up_counts():
        return services.follow_up_counts(db.session, staff=current_user,
                                         today=services.center_today(now_utc()))
    return {"my_follow_up_counts": my_follow_up_counts}


def _page(template, status=200, **context):
    return render_template(template, **LABELS, try_url=try_url, **context), status


def try_url(endpoint, **values):
    """A link to a page another module provides, or None while it does not exist."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _get(consultation_id) -> Consultation:
    return db.session.get(Consultation, consultation_id) or abort(404)


def _editable(consultation_id) -> Consultation:
    consultation = _get(consultation_id)
    if not services.can_edit(consultation, current_user):
        abort(403)
    return consultation


# --- entry and edit ------------------------------------------------------------------------

@bp.route("/consultations/new", methods=["GET", "POST"])
@roles(*STAFF)
def new():
    form = ConsultationForm()
    if not form.is_submitted():
        _prefill_organization(form, request.args.get("organization_id", ""))
    if form.is_submitted():
        consultation = _save(form, lambda data: services.log_consultation(
            db.session, data, actor=current_user, now=now_utc()))
        if consultation is not None:
            db.session.commit()
            browser_session[SAVED_KEY] = True
            flash(_("咨询已记录。"), "success")
            return redirect(url_for(".detail", consultation_id=consultation.id))
    return _page("consultations/new.html", 422 if form.errors else 200, form=form)


def _prefill_organization(form, raw: str) -> None:
    """From an organization's page: the form opens with that organization picked."""
    org_id = ascii_int(raw, max_digits=9)
    org = db.session.get(Organization, org_id) if org_id is not None else None
    if org is not None and org.archived_at is None:
        form.organization_id.data, form.organization_q.data = str(org.id), org.name


@bp.route("/consultations/<int:consultation_id>/edit", methods=["GET", "POST"])
@roles(*STAFF)
def edit(consultation_id):
    consultation = _editable(consultation_id)
    form = ConsultationForm()
    if not form.is_submitted():
        form.fill_from(consultation)
    else:
        saved = _save(form, lambda data: services.update_consultation(
            db.session, consultation, _unless_same_minute(data, consultation), actor=current_user,
            now=now_utc()))
        if saved is not None:
            db.session.commit()
            flash(_("修改已保存。"), "success")
            return redirect(url_for(".detail", consultation_id=consultation.id))
    return _page("consultations/edit.html", 422 if form.errors else 200, form=form,
                 consultation=consultation)


def _save(form, save):
    """save(data) when everything is right; otherwise every problem beside its field (the
    form's, the organization box's and the service's at once) and None."""
    shape_ok = form.validate()
    organization_id, problems = _picked_organization(form)
    data = form.service_data(organization_id)
    try:
        if shape_ok and not problems:
            return save(data)
        services.validated(db.session, data)  # list the service's problems too
    except ValidationError as error:
        problems = {**error.fields, **problems}
    if problems:
        show_errors(form, ValidationError(_("请更正标出的内容。"), problems), SERVICE_ALIASES)
    else:
        db.session.rollback()
    return None


def _picked_organization(form) -> tuple[str | None, dict]:
    """The organization's id: the one picked from the suggestions (the hidden field) while the
    box still shows it; else, without JavaScript or before picking, the one the typed text names
    exactly or alone matches. An empty box means an individual asked."""
    typed, picked = form.organization_q.data, form.organization_id.data
    if not typed:
        form.organization_id.data = ""
        return None, {}
    if picked and not _renamed(picked, typed):
        return picked, {}  # the service checks that it exists
    found = directory.organization_suggestions(db.session, typed)
    exact = [o for o in found if typed in (o.name, o.credit_code)]
    chosen = exact[0] if exact else (found[0] if len(found) == 1 else None)
    if chosen is None:
        form.organization_id.data = ""
        message = _("找不到“%(q)s”，请从候选列表中选择组织；个人咨询请清空此栏并填写姓名。", q=typed) \
            if not found else _("有多个组织与“%(q)s”相符，请从候选列表中选择一个。", q=typed)
        return None, {"organization_id": message}
    form.organization_id.data, form.organization_q.data = str(chosen.id), chosen.name
    return str(chosen.id), {}


def _renamed(picked: str, typed: str) -> bool:
    """The box no longer shows the picked organization (text edited with scripts off)."""
    org_id = ascii_int(picked)
    org = db.session.get(Organization, org_id) if org_id is not None and org_id < 2**31 else None
    return org is not None and typed not in (org.name, org.credit_code)


def _unless_same_minute(data: dict, consultation: Consultation) -> dict:
    """The edit form shows the time to the minute: unchanged, it keeps the stored seconds."""
    moment = data.get("occurred_at")
    stored = consultation.occurred_at.replace(second=0, microsecond=0)
    if moment is not None and moment == stored:
        data.pop("occurred_at")
    return data


# --- a consultation's page and its changes -------------------------------------------------

@bp.route("/consultations/<int:consultation_id>")
@roles(*STAFF)
def detail(consultation_id):
    consultation = _get(consultation_id)
    entries = record_history(db.session, consultation)
    org_ids = {value for entry in entries for value in entry.changes.get("organization_id", ())
               if isinstance(value, int)}
    org_names = dict(db.session.execute(select(Organization.id, Organization.name)
                                        .where(Organization.id.in_(org_ids))).all()) \
        if org_ids else {}
    return _page("consultations/detail.html", c=consultation, entries=entries,
                 org_names=org_names, can_edit=services.can_edit(consultation, current_user),
                 draft_saved=browser_session.pop(SAVED_KEY, False), form=ConfirmForm(),
                 readable=lambda value: readable(value, CENTER_TZ))


@bp.route("/consultations/<int:consultation_id>/close", methods=["GET", "POST"])
@roles(*STAFF)
def close_follow_up(consultation_id):
    consultation = _editable(consultation_id)
    form = CloseFollowUpForm()
    if form.validate_on_submit():
        try:
            services.close_follow_up(db.session, consultation, actor=current_user,
                                     outcome=form.follow_up_outcome.data,
                                     resolved=form.resolved.data, now=now_utc())
        except ValidationError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("跟进已关闭。"), "success")
            return redirect(url_for(".follow_ups") if request.form.get("back") == "follow_ups"
                            else url_for(".detail", consultation_id=consultation.id))
    return _page("consultations/close.html", 422 if form.errors else 200, form=form,
                 c=consultation, back=request.values.get("back", ""))


@bp.route("/consultations/<int:consultation_id>/evaluate", methods=["GET", "POST"])
@roles(*STAFF)
def evaluate(consultation_id):
    consultation = _editable(consultation_id)
    form = EvaluationForm()
    if not form.is_submitted() and consultation.satisfaction:
        form.satisfaction.data, form.outcome.data = str(consultation.satisfaction), \
            consultation.outcome
    if form.validate_on_submit():
        try:
            services.evaluate(db.session, consultation, satisfaction=form.satisfaction.data,
                              outcome=form.outcome.data, actor=current_user, now=now_utc())
        except ValidationError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("成效评估已记录。"), "success")
            return redirect(url_for(".detail", consultation_id=consultation.id))
    return _page("consultations/evaluate.html", 422 if form.errors else 200, form=form,
                 c=consultation)


@bp.route("/consultations/<int:consultation_id>/archive", methods=["POST"])
@roles(*STAFF)
def archive(consultation_id):
    consultation = _editable(consultation_id)
    if ConfirmForm().validate_on_submit():
        if consultation.archived_at is None:
            audit.archive(db.session, consultation, actor=current_user, now=now_utc())
            flash(_("咨询已归档，不再出现在列表和统计中。"), "success")
        else:
            audit.restore(db.session, consultation, actor=current_user)
            flash(_("咨询已恢复。"), "success")
        db.session.commit()
    return redirect(url_for(".detail", consultation_id=consultation.id))


# --- follow-ups and suggestions ------------------------------------------------------------

@bp.route("/consultations/follow-ups")
@roles(*STAFF)
def follow_ups():
    """Open follow-ups due today and overdue: one's own; managers see everyone's."""
    today = services.center_today(now_utc())
    everyone = current_user.role in MANAGERS and request.args.get("scope") != "mine"
    stmt = services.follow_ups_due(db.session, staff=None if everyone else current_user,
                                   today=today)
    rows = db.session.scalars(stmt.options(
        selectinload(Consultation.organization), selectinload(Consultation.staff),
        selectinload(Consultation.topic_rows)).limit(FOLLOW_UP_ROWS + 1)).all()
    return _page("consultations/follow_ups.html", today=today, everyone=everyone,
                 may_see_all=current_user.role in MANAGERS, truncated=len(rows) > FOLLOW_UP_ROWS,
                 due_today=[c for c in rows[:FOLLOW_UP_ROWS] if c.follow_up_on == today],
                 overdue=[c for c in rows[:FOLLOW_UP_ROWS] if c.follow_up_on < today])


@bp.route("/consultations/similar")
@roles(*STAFF)
def similar():
    """JSON for the entry form: similar answered consultations and matching FAQ entries."""
    q = (request.args.get("q") or "")[:500]
    exclude = request.args.get("exclude", type=int)
    exclude = exclude if exclude is not None and 0 < exclude < 2**31 else None
    found = suggestions.similar_consultations(db.session, q, exclude_id=exclude)
    faqs = suggestions.matching_faqs(db.session, q)
    return jsonify(
        consultations=[{"id": s.id, "question": s.question, "answer": s.answer,
                        "topics": s.topics, "score": round(s.score, 2),
                        "occurred_on": services.center_today(s.occurred_at).isoformat(),
                        "url": url_for(".detail", consultation_id=s.id)} for s in found],
        faqs=[{"id": s.id, "question": s.question, "answer": s.answer, "topics": s.topics,
               "score": round(s.score, 2)} for s in faqs])


# Registers the other modules' routes on bp (they need bp above).
from center.views import consultation_lists, consultation_referrals  # noqa: E402,F401
