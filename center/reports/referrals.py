"""Read-only listings of the expert pool, the resource union's partners and referrals, and the
experts and partners suggested for a consultation.

Fields and modes are stored as space-separated codes; a filter matches a whole code inside
" <codes> ", so `hr` never matches inside another code. Counts of open referrals are one grouped
query per page, whatever the number of rows.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, func, literal, or_, select
from sqlalchemy.orm import joinedload

from center.models.consultations import Consultation, Expert, Partner, Referral
from center.services.referrals import OPEN_STATES

REFERRAL_STATE_FILTERS = ("open", "proposed", "accepted", "done", "declined")
SUGGESTIONS = 8


@dataclass
class PoolFilter:
    q: str = ""  # part of a name, employer, title or kind
    field: str = ""  # a topic code
    mode: str = ""  # a service-mode code
    sector: str = ""  # experts only
    archived: str = "active"  # active, archived or all


@dataclass
class ReferralFilter:
    state: str = ""  # a state, "open" (proposed or accepted) or "" (all)
    mode: str = ""
    expert_id: int | None = None
    partner_id: int | None = None
    consultation_id: int | None = None
    staff_id: int | None = None  # referred by this user, or of a consultation they logged


@dataclass
class Suggestion:
    target: Expert | Partner
    matched: list[str]  # the consultation's topics among the target's fields
    open_referrals: int


def has_code(column, code: str):
    """`column` (space-separated codes) holds `code` as a whole code."""
    return (literal(" ", String) + column + literal(" ", String)).contains(f" {code} ",
                                                                          autoescape=True)


def _pool_query(model, filters: PoolFilter, searched):
    stmt = select(model)
    if filters.archived == "active":
        stmt = stmt.where(model.archived_at.is_(None))
    elif filters.archived == "archived":
        stmt = stmt.where(model.archived_at.is_not(None))
    q = filters.q.strip()
    if q:
        stmt = stmt.where(or_(*(column.contains(q, autoescape=True) for column in searched)))
    if filters.field:
        stmt = stmt.where(has_code(model.fields, filters.field))
    if filters.mode:
        stmt = stmt.where(has_code(model.modes, filters.mode))
    return stmt.order_by(model.name, model.id)


def expert_query(filters: PoolFilter):
    """Experts matching the filters, by name (a select)."""
    stmt = _pool_query(Expert, filters, (Expert.name, Expert.employer, Expert.title))
    return stmt.where(Expert.sector == filters.sector) if filters.sector else stmt


def partner_query(filters: PoolFilter):
    """Partners matching the filters, by name (a select)."""
    return _pool_query(Partner, filters, (Partner.name, Partner.kind, Partner.contact_name))


def open_referral_counts(session, model, ids) -> dict[int, int]:
    """Open referrals (proposed or accepted) per expert or partner id: one grouped query."""
    column = Referral.expert_id if model is Expert else Referral.partner_id
    ids = list(ids)
    if not ids:
        return {}
    rows = session.execute(select(column, func.count()).where(
        column.in_(ids), Referral.state.in_(OPEN_STATES)).group_by(column))
    return dict(rows.all())


def referral_query(filters: ReferralFilter):
    """Referrals matching the filters with their consultation and target, newest first."""
    stmt = select(Referral).options(
        joinedload(Referral.consultation).joinedload(Consultation.organization),
        joinedload(Referral.expert), joinedload(Referral.partner),
        joinedload(Referral.created_by))
    if filters.state == "open":
        stmt = stmt.where(Referral.state.in_(OPEN_STATES))
    elif filters.state:
        stmt = stmt.where(Referral.state == filters.state)
    for column, value in ((Referral.mode, filters.mode), (Referral.expert_id, filters.expert_id),
                          (Referral.partner_id, filters.partner_id),
                          (Referral.consultation_id, filters.consultation_id)):
        if value:
            stmt = stmt.where(column == value)
    if filters.staff_id:
        stmt = stmt.where(or_(Referral.created_by_id == filters.staff_id,
                              Referral.consultation.has(Consultation.staff_id == filters.staff_id)))
    return stmt.order_by(Referral.created_at.desc(), Referral.id.desc())


def suggestions(session, consultation: Consultation, model=Expert,
                limit: int = SUGGESTIONS) -> list[Suggestion]:
    """Active experts (or partners) whose fields meet the consultation's topics: most topics
    matched first, then those with fewer open referrals, so work is spread over the pool."""
    topics = consultation.topics
    if not topics:
        return []
    candidates = session.scalars(select(model).where(
        model.archived_at.is_(None), or_(*(has_code(model.fields, t) for t in topics)))).all()
    counts = open_referral_counts(session, model, (c.id for c in candidates))
    found = [Suggestion(c, [t for t in topics if t in c.field_list], counts.get(c.id, 0))
             for c in candidates]
    found.sort(key=lambda s: (-len(s.matched), s.open_referrals, s.target.name, s.target.id))
    return found[:limit]


def target_value(target) -> str:
    """How a select names an expert or a partner: expert:12, partner:3."""
    return f"{'expert' if isinstance(target, Expert) else 'partner'}:{target.id}"


def target_choices(session, suggested=()) -> dict:
    """Active experts and partners for the referral form's select, suggested experts first:
    {group label: [(value, label), ...]}."""
    first = [s.target for s in suggested]
    chosen = {target_value(t) for t in first}
    experts = session.scalars(select(Expert).where(Expert.archived_at.is_(None))
                              .order_by(Expert.name, Expert.id)).all()
    partners = session.scalars(select(Partner).where(Partner.archived_at.is_(None))
                               .order_by(Partner.name, Partner.id)).all()

    def label(target):
        extra = getattr(target, "employer", None) or getattr(target, "kind", None)
        return f"{target.name}（{extra}）" if extra else target.name
    groups = {
        str(_l("推荐导师（领域与咨询主题相符）")): [(target_value(t), label(t)) for t in first],
        str(_l("其他导师")): [(target_value(t), label(t)) for t in experts
                          if target_value(t) not in chosen],
        str(_l("资源联合体")): [(target_value(t), label(t)) for t in partners
                           if target_value(t) not in chosen],
    }
    return {name: pairs for name, pairs in groups.items() if pairs}
