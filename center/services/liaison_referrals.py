"""Referrals (转介) of an organization from one platform to another, or to or from the city
center: proposed → accepted → completed, or declined, or expired when nobody accepted it by its
deadline (accept_by, by default 5 working days of the shared calendar).

Sides: a platform user acts for their platform; the center's staff act for the center (a NULL
platform id on the referral). Both sides and the center's staff see a referral; anyone else gets
NotFoundError (404). Only the receiving side accepts or declines (PermissionDenied, 403, for the
sending side); the receiving side or the center's staff record completion with its outcome.
"""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, or_, select
from sqlalchemy.orm import joinedload

from center.models.base import utcnow
from center.models.directory import Organization, Platform
from center.models.liaison import PlatformReferral, ReferralState
from center.services import audit, calendar, field_checks, notifications
from center.services.directory import normalize_credit_code
from center.services.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from center.services.field_checks import ascii_int
from center.services.liaison import is_center, today_in_center

DEFAULT_ACCEPT_DAYS = 5  # working days
MAX_ACCEPT_DAYS = 366
MAX_REASON = 2000
OPEN_STATES = (ReferralState.proposed.value, ReferralState.accepted.value)
CENTER_NOTIFIED = ("admin", "manager")  # who hears of a referral to the center


# --- sides and access -------------------------------------------------------------------------

def side_of(user) -> int | None | bool:
    """The side a user acts for: a platform id, None for the center, False for no side."""
    if user is not None and user.role == "platform" and user.platform_id:
        return user.platform_id
    return None if is_center(user) else False


def can_see(referral: PlatformReferral, user) -> bool:
    return is_center(user) or side_of(user) in (referral.from_platform_id,
                                                 referral.to_platform_id)


def is_receiver(referral: PlatformReferral, user) -> bool:
    return side_of(user) is not False and side_of(user) == referral.to_platform_id


def can_complete(referral: PlatformReferral, user) -> bool:
    return is_receiver(referral, user) or is_center(user)


def visible_referral(session, referral_id, user) -> PlatformReferral:
    """The referral if the user is one of its sides or the center's staff; NotFoundError else."""
    referral = (session.get(PlatformReferral, referral_id)
                if isinstance(referral_id, int) else None)
    if referral is None or not can_see(referral, user):
        raise NotFoundError(_l("没有找到这条转介。"))
    return referral


def visible_referrals(user, *, state: str = "", direction: str = ""):
    """A select of the referrals the user may see, newest first; direction incoming/outgoing
    relative to the user's side."""
    stmt = (select(PlatformReferral)
            .order_by(PlatformReferral.created_at.desc(), PlatformReferral.id.desc())
            .options(joinedload(PlatformReferral.organization),
                     joinedload(PlatformReferral.from_platform),
                     joinedload(PlatformReferral.to_platform)))
    side = side_of(user)
    incoming = _is(PlatformReferral.to_platform_id, side)
    outgoing = _is(PlatformReferral.from_platform_id, side)
    if direction == "incoming":
        stmt = stmt.where(incoming)
    elif direction == "outgoing":
        stmt = stmt.where(outgoing)
    elif not is_center(user):
        stmt = stmt.where(or_(incoming, outgoing))
    if state:
        stmt = stmt.where(PlatformReferral.state == state)
    return stmt


def _is(column, side):
    if side is False:
        return false()
    return column.is_(None) if side is None else column == side


# --- validation --------------------------------------------------------------------------------

def _organization(session, data, errors) -> Organization | None:
    raw = data.get("organization_id")
    if isinstance(raw, str):
        raw = ascii_int(raw.strip())
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw < 2**31:
        org = session.get(Organization, raw)
    else:
        org = _organization_named(session, data.get("organization"))
    if org is None:
        errors["organization"] = _l("没有找到这个组织，请填写统一社会信用代码或完整名称。")
    elif org.archived_at is not None:
        errors["organization"] = _l("这个组织已归档，不能转介。")
    return org


def _organization_named(session, text) -> Organization | None:
    text = text.strip() if isinstance(text, str) else ""
    if not text or len(text) > 200:
        return None
    code = normalize_credit_code(text)
    found = session.scalars(select(Organization).where(
        or_(Organization.credit_code == code, Organization.name == text)).limit(2)).all()
    return found[0] if len(found) == 1 else None


def _target(session, data, errors, from_id) -> int | None:
    """The receiving platform's id; empty means the city center."""
    raw = data.get("to_platform_id")
    if raw in (None, ""):
        target = None
    else:
        if isinstance(raw, str):
            raw = ascii_int(raw.strip())
        platform = (session.get(Platform, raw) if isinstance(raw, int)
                    and not isinstance(raw, bool) and 0 < raw < 2**31 else None)
        if platform is None or platform.archived_at is not None:
            errors["to_platform_id"] = _l("请选择一个在册的平台。")
            return None
        target = platform.id
    if target == from_id:
        errors["to_platform_id"] = _l("不能转介给本平台自己。") if target else \
            _l("中心不能转介给中心自己，请选择一个平台。")
    return target


def _accept_by(session, data, errors, today: date) -> date:
    accept_by = field_checks.iso_date(data, "accept_by", errors)
    if "accept_by" in errors:
        return today
    if accept_by is None:
        return calendar.add_working_days(session, today, DEFAULT_ACCEPT_DAYS).day
    if accept_by < today:
        errors["accept_by"] = _l("接收期限不能早于今天。")
    elif (accept_by - today).days > MAX_ACCEPT_DAYS:
        errors["accept_by"] = _l("接收期限最多为一年以内。")
    return accept_by


# --- writing -----------------------------------------------------------------------------------

def create_referral(session, data: dict, *, actor, now: datetime | None = None
                    ) -> PlatformReferral:
    """A platform (or the center) refers an organization to another platform or to the
    center. accept_by defaults to 5 working days after today; every problem is reported by field.
    """
    from_id = side_of(actor)
    if from_id is False:
        raise PermissionDenied(_l("只有平台和中心工作人员可以转介组织。"))
    now = now or utcnow()
    errors: dict = {}
    organization = _organization(session, data, errors)
    to_id = _target(session, data, errors, from_id)
    reason = field_checks.text(data, "reason", errors, limit=MAX_REASON, required=True,
                               missing=_l("请写明转介原因和组织的需要。"))
    accept_by = _accept_by(session, data, errors, today_in_center(now))
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    audit.acting(session, actor)
    referral = PlatformReferral(organization_id=organization.id, from_platform_id=from_id,
                                to_platform_id=to_id, reason=reason, accept_by=accept_by,
                                state=ReferralState.proposed.value, created_by_id=actor.id,
                                created_at=now)
    session.add(referral)
    session.flush()
    _notify(session, referral, to_id, _l("新的转介待接收：%(name)s", name=organization.name))
    return referral


def _decide(session, referral, state, *, actor, outcome=None, now=None) -> PlatformReferral:
    if not is_receiver(referral, actor):
        raise PermissionDenied(_l("只有接收方可以接收或拒绝这条转介。"))
    if referral.state != ReferralState.proposed.value:
        raise ConflictError(_l("这条转介已经处理过了。"))
    now = now or utcnow()
    if state == ReferralState.accepted.value and referral.accept_by < today_in_center(now):
        raise ConflictError(_l("已超过接收期限，请联系转出方重新转介。"))
    audit.acting(session, actor)
    referral.state, referral.decided_at = state, now
    if outcome is not None:
        referral.outcome = outcome
    if state == ReferralState.declined.value:
        referral.closed_at = now
    session.flush()
    return referral


def accept(session, referral: PlatformReferral, *, actor, now: datetime | None = None
           ) -> PlatformReferral:
    """Only the receiving side accepts, by the deadline."""
    _decide(session, referral, ReferralState.accepted.value, actor=actor, now=now)
    _notify(session, referral, referral.from_platform_id,
            _l("转介已被接收：%(name)s", name=referral.organization.name))
    return referral


def decline(session, referral: PlatformReferral, *, actor, outcome=None,
            now: datetime | None = None) -> PlatformReferral:
    """Only the receiving side declines, with its reason."""
    errors: dict = {}
    reason = field_checks.text({"outcome": outcome}, "outcome", errors, limit=MAX_REASON,
                               required=True, missing=_l("请写明拒绝的原因。"))
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    _decide(session, referral, ReferralState.declined.value, actor=actor, outcome=reason, now=now)
    _notify(session, referral, referral.from_platform_id,
            _l("转介被拒绝：%(name)s", name=referral.organization.name))
    return referral


def complete(session, referral: PlatformReferral, *, actor, outcome=None,
             now: datetime | None = None) -> PlatformReferral:
    """The receiving side (or the center's staff) closes an accepted referral with its outcome."""
    if not can_complete(referral, actor):
        raise PermissionDenied(_l("只有接收方可以办结这条转介。"))
    if referral.state != ReferralState.accepted.value:
        raise ConflictError(_l("只有已接收的转介可以办结。"))
    errors: dict = {}
    text = field_checks.text({"outcome": outcome}, "outcome", errors, limit=MAX_REASON,
                             required=True, missing=_l("请写明办理结果。"))
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    audit.acting(session, actor)
    referral.state, referral.outcome = ReferralState.completed.value, text
    referral.closed_at = now or utcnow()
    session.flush()
    return referral


def expire_referrals(session, now: datetime | None = None) -> int:
    """Proposed referrals past their accept_by day expire (a job; a second run changes nothing).
    The sending side hears of it."""
    now = now or utcnow()
    late = session.scalars(select(PlatformReferral).where(
        PlatformReferral.state == ReferralState.proposed.value,
        PlatformReferral.accept_by < today_in_center(now))).all()
    audit.acting(session, None)
    for referral in late:
        referral.state, referral.closed_at = ReferralState.expired.value, now
    session.flush()
    for referral in late:
        _notify(session, referral, referral.from_platform_id,
                _l("转介逾期未被接收：%(name)s", name=referral.organization.name))
    return len(late)


def _notify(session, referral: PlatformReferral, platform_id: int | None, title) -> None:
    """The users of a side: a platform's active users, or the center's managers."""
    from center.models.accounts import User

    who = (User.platform_id == platform_id if platform_id is not None
           else User.role.in_(CENTER_NOTIFIED))
    users = session.scalars(select(User).where(who, User.is_active.is_(True))).all()
    notifications.notify(session, users, kind="liaison_referral", title=title,
                         link=f"/liaison/referrals/{referral.id}")
