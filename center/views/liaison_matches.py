"""Matching pages on the liaison blueprint: the ranked offers for a need (with the score and the
reasons of each rank, and a propose button), the list of matches a user is involved in, and a
match's page with its accept/decline/complete forms and audit timeline.

Object-level access is the services' rule (center.services.liaison, .liaison_matches): a need or
match the caller may not know exists is 404; one it sees but may not change is 403.
"""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased, selectinload

from center.auth import roles
from center.extensions import db
from center.forms.liaison_matches import HISTORY_LABELS, AcceptForm, OutcomeForm, ProposeForm
from center.models.directory import Platform, Region
from center.models.liaison import (CATEGORY_LABELS, KIND_LABELS, LIVE_MATCH_STATES,
                                   MATCH_STATE_LABELS, POST_STATE_LABELS, Match, Post, PostState)
from center.reports.audit import record_history
from center.reports.directory import page_of
from center.services import liaison, liaison_matches as service
from center.services.errors import DomainError, NotFoundError, PermissionDenied
from center.services.field_checks import ascii_int
from center.views._helpers import now_utc, show_errors
from center.views.consultations import try_url
from center.views.liaison import PLATFORM_USERS, bp

RANKED = 20  # offers shown for a need
SCORED = 200  # offers scored when a proposal records its rank
MAX_PAGE = 100_000
LABELS = {"KIND_LABELS": KIND_LABELS, "CATEGORY_LABELS": CATEGORY_LABELS,
          "MATCH_STATE_LABELS": MATCH_STATE_LABELS, "POST_STATE_LABELS": POST_STATE_LABELS,
          "HISTORY_LABELS": HISTORY_LABELS,
          # a match's stored reasons (and those in its timeline) in the reader's language
          "match_reason": service.describe_reason, "join_reasons": service.join_reasons}


def _render(template, status=200, **context):
    return render_template(template, try_url=try_url, **LABELS, **context), status


def _or_abort(load, *args):
    """Run a service lookup; its NotFoundError/PermissionDenied become 404/403."""
    try:
        return load(db.session, *args, current_user)
    except NotFoundError:
        abort(404)
    except PermissionDenied:
        abort(403)


# --- ranked offers for a need ------------------------------------------------------------------

@bp.route("/posts/<int:post_id>/matches")
@roles(*PLATFORM_USERS)
def need_matches(post_id):
    need = _or_abort(liaison.visible_post, post_id)
    if need.kind != "need":
        abort(404)
    return _need_page(need, ProposeForm())


@bp.route("/posts/<int:post_id>/matches/propose", methods=["POST"])
@roles(*PLATFORM_USERS)
def propose_match(post_id):
    need = _or_abort(liaison.visible_post, post_id)
    if need.kind != "need":
        abort(404)
    form = ProposeForm()
    if not form.validate_on_submit():
        return _need_page(need, form, 422)
    offer_id = ascii_int(form.offer_id.data or "")
    offer = _or_abort(liaison.visible_post, offer_id)
    rank = next((r for r in service.ranked_offers(db.session, need, limit=SCORED, now=now_utc())
                 if r.offer.id == offer.id), None)
    try:
        match = service.propose(db.session, need=need, offer=offer, actor=current_user,
                                note=form.note.data or None, now=now_utc(),
                                score=rank.score if rank else None,
                                reason=rank.reason if rank else None)
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    except DomainError as error:
        show_errors(form, error)
        return _need_page(need, form, error.status)
    db.session.commit()
    flash(_("已提出对接，等待对方平台确认。"), "success")
    return redirect(url_for(".match", match_id=match.id))


def _need_page(need: Post, form, status=200):
    ranked = service.ranked_offers(db.session, need, limit=RANKED, now=now_utc())
    places = _load_places(r.offer for r in ranked)  # held while the page renders
    stmt = select(Match).where(Match.need_id == need.id)
    if not liaison.is_center(current_user) and current_user.platform_id != need.platform_id:
        # another platform sees only its own offers' matches, those it may open (visible_match)
        stmt = stmt.join(Post, Match.offer_id == Post.id).where(
            Post.platform_id == current_user.platform_id)
    matches = db.session.scalars(stmt.order_by(Match.created_at.desc(), Match.id.desc())).all()
    live = {m.offer_id: m for m in matches if m.state in LIVE_MATCH_STATES}
    can_propose = need.state == PostState.published.value and (
        liaison.is_center(current_user) or current_user.role == "platform")
    return _render("liaison/match_need.html", status, need=need, ranked=ranked, live=live,
                   matches=matches, form=form, can_propose=can_propose,
                   mine=current_user.platform_id, places=places)


def _load_places(posts) -> list:
    """The posts' platforms and regions in two queries, so the rows do not load one by one
    (the identity map holds them only while the caller keeps the list)."""
    posts = list(posts)
    return [*db.session.scalars(select(Platform).where(
                Platform.id.in_({p.platform_id for p in posts}))),
            *db.session.scalars(select(Region).where(
                Region.id.in_({p.region_id for p in posts})))]


# --- matches -----------------------------------------------------------------------------------

@bp.route("/matches")
@roles(*PLATFORM_USERS)
def matches():
    state = request.args.get("state", "")
    state = state if state in MATCH_STATE_LABELS or state == "live" else ""
    page = min(MAX_PAGE, max(1, request.args.get("page", 1, type=int)))
    items, total = page_of(db.session, _match_query(current_user, state), page=page,
                           per_page=current_app.config["PER_PAGE"])
    return _render("liaison/matches.html", items=items, total=total, page=page, state=state)


def _match_query(user, state: str):
    """The matches the user is involved in (the center's staff: all), newest first."""
    need, offer = aliased(Post), aliased(Post)
    stmt = (select(Match).join(need, Match.need_id == need.id)
            .join(offer, Match.offer_id == offer.id)
            .order_by(Match.created_at.desc(), Match.id.desc())
            .options(selectinload(Match.need).joinedload(Post.platform),
                     selectinload(Match.offer).joinedload(Post.platform)))
    if not liaison.is_center(user):
        stmt = stmt.where(or_(need.platform_id == user.platform_id,
                              offer.platform_id == user.platform_id))
    if state == "live":
        stmt = stmt.where(Match.state.in_(LIVE_MATCH_STATES))
    elif state:
        stmt = stmt.where(Match.state == state)
    return stmt


@bp.route("/matches/<int:match_id>")
@roles(*PLATFORM_USERS)
def match(match_id):
    return _match_page(_or_abort(service.visible_match, match_id))


@bp.route("/matches/<int:match_id>/accept", methods=["POST"])
@roles(*PLATFORM_USERS)
def match_accept(match_id):
    return _transition(match_id, AcceptForm(), service.accept, _("已接受这条对接。"))


@bp.route("/matches/<int:match_id>/decline", methods=["POST"])
@roles(*PLATFORM_USERS)
def match_decline(match_id):
    return _transition(match_id, OutcomeForm(), service.decline, _("已谢绝这条对接。"))


@bp.route("/matches/<int:match_id>/complete", methods=["POST"])
@roles(*PLATFORM_USERS)
def match_complete(match_id):
    return _transition(match_id, OutcomeForm(), service.complete, _("这条对接已记为完成。"))


def _transition(match_id, form, move, done_message):
    record = _or_abort(service.visible_match, match_id)
    if not form.validate_on_submit():
        return _match_page(record, form, 422)
    extra = {"outcome": form.outcome.data or None} if hasattr(form, "outcome") else {}
    try:
        move(db.session, record, actor=current_user, now=now_utc(), **extra)
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    except DomainError as error:
        show_errors(form, error)
        return _match_page(db.session.get(Match, match_id), form, error.status)
    db.session.commit()
    flash(done_message, "success")
    return redirect(url_for(".match", match_id=match_id))


def _match_page(record: Match, form=None, status=200):
    user = current_user
    involved = service.involved(record, user)
    may_decide = record.state == "proposed" and involved and \
        user.platform_id == service._accepting_platform_id(record)
    may_close = involved or liaison.is_center(user)
    return _render("liaison/match.html", status, match=record, form=form or OutcomeForm(),
                   accept_form=AcceptForm(), may_accept=may_decide,
                   may_decline=may_close and record.state in LIVE_MATCH_STATES,
                   may_complete=may_close and record.state == "accepted",
                   entries=record_history(db.session, record))
