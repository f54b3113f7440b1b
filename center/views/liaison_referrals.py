"""Referral pages on the liaison blueprint: refer an organization to another platform or to the
city center, the referrals a user's side sent or received (the center's staff: all), and a
referral's page with accept/decline (the receiving side only), complete and its timeline.

Object-level access is center.services.liaison_referrals: not one of its sides → 404, a side
that may not do this → 403.
"""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from center.auth import roles
from center.extensions import db
from center.forms.liaison_matches import HISTORY_LABELS, AcceptForm, OutcomeForm, ReferralForm
from center.models.directory import Organization, Platform, Region, RegionTier
from center.models.liaison import REFERRAL_STATE_LABELS
from center.reports.audit import record_history
from center.reports.directory import page_of
from center.services import liaison_referrals as service
from center.services.errors import DomainError, NotFoundError, PermissionDenied
from center.services.liaison import is_center
from center.views._helpers import now_utc, show_errors
from center.views.consultations import try_url
from center.views.liaison import PLATFORM_USERS, bp

MAX_PAGE = 100_000
DIRECTIONS = ("incoming", "outgoing")
LABELS = {"REFERRAL_STATE_LABELS": REFERRAL_STATE_LABELS, "HISTORY_LABELS": HISTORY_LABELS}


def _render(template, status=200, **context):
    return render_template(template, try_url=try_url, **LABELS, **context), status


def _visible(referral_id):
    try:
        return service.visible_referral(db.session, referral_id, current_user)
    except NotFoundError:
        abort(404)


@bp.route("/referrals")
@roles(*PLATFORM_USERS)
def referrals():
    state = request.args.get("state", "")
    state = state if state in REFERRAL_STATE_LABELS else ""
    direction = request.args.get("direction", "")
    direction = direction if direction in DIRECTIONS else ""
    page = min(MAX_PAGE, max(1, request.args.get("page", 1, type=int)))
    stmt = service.visible_referrals(current_user, state=state, direction=direction)
    items, total = page_of(db.session, stmt, page=page, per_page=current_app.config["PER_PAGE"])
    return _render("liaison/referrals.html", items=items, total=total, page=page, state=state,
                   direction=direction, side=service.side_of(current_user))


@bp.route("/referrals/new", methods=["GET", "POST"])
@roles(*PLATFORM_USERS)
def referral_new():
    form = ReferralForm()
    form.set_targets(_platform_groups(), _("市级中心（社会组织发展服务中心）"))
    if not form.is_submitted():
        _prefill(form)
    if form.validate_on_submit():
        try:
            referral = service.create_referral(db.session, form.service_data(),
                                               actor=current_user, now=now_utc())
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        except DomainError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已转介，等待接收方确认。"), "success")
            return redirect(url_for(".referral", referral_id=referral.id))
    return _render("liaison/referral_form.html", 422 if form.is_submitted() else 200, form=form)


def _prefill(form) -> None:
    """?organization_id= from an organization's page; ?to= a platform."""
    org = db.session.get(Organization, request.args.get("organization_id", 0, type=int) or 0)
    if org is not None:
        form.organization.data = org.credit_code
    form.to_platform_id.data = request.args.get("to", "")[:12]


def _platform_groups() -> dict:
    """Active district and street platforms (other than the user's own) grouped by district.
    The city center is the form's own first choice, so its platform record is left out."""
    rows = db.session.scalars(select(Platform).join(Platform.region)
                              .where(Platform.archived_at.is_(None),
                                     Region.tier != RegionTier.city.value)
                              .options(selectinload(Platform.region).selectinload(Region.parent))
                              .order_by(Region.code, Platform.name)).all()
    groups: dict = {}
    for platform in rows:
        if platform.id != current_user.platform_id:
            region = platform.region
            district = region.parent if region.tier == RegionTier.street.value else region
            groups.setdefault((district or region).name, []).append(
                (str(platform.id), platform.name))
    return groups


@bp.route("/referrals/<int:referral_id>")
@roles(*PLATFORM_USERS)
def referral(referral_id):
    return _referral_page(_visible(referral_id))


@bp.route("/referrals/<int:referral_id>/accept", methods=["POST"])
@roles(*PLATFORM_USERS)
def referral_accept(referral_id):
    return _transition(referral_id, AcceptForm(), service.accept, _("已接收这条转介。"))


@bp.route("/referrals/<int:referral_id>/decline", methods=["POST"])
@roles(*PLATFORM_USERS)
def referral_decline(referral_id):
    return _transition(referral_id, OutcomeForm(), service.decline, _("已拒绝这条转介。"))


@bp.route("/referrals/<int:referral_id>/complete", methods=["POST"])
@roles(*PLATFORM_USERS)
def referral_complete(referral_id):
    return _transition(referral_id, OutcomeForm(), service.complete, _("这条转介已办结。"))


def _transition(referral_id, form, move, done_message):
    record = _visible(referral_id)
    if not form.validate_on_submit():
        return _referral_page(record, form, 422)
    extra = {"outcome": form.outcome.data} if hasattr(form, "outcome") else {}
    try:
        move(db.session, record, actor=current_user, now=now_utc(), **extra)
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    except DomainError as error:
        show_errors(form, error)
        return _referral_page(_visible(referral_id), form, error.status)
    db.session.commit()
    flash(done_message, "success")
    return redirect(url_for(".referral", referral_id=referral_id))


def _referral_page(record, form=None, status=200):
    user = current_user
    org_url = (try_url("directory.organization", org_id=record.organization_id)
               if is_center(user) else None)  # platforms may not open the directory
    return _render("liaison/referral.html", status, referral=record,
                   form=form or OutcomeForm(), accept_form=AcceptForm(), organization_url=org_url,
                   may_decide=service.is_receiver(record, user) and record.state == "proposed",
                   may_complete=service.can_complete(record, user) and record.state == "accepted",
                   entries=record_history(db.session, record))
