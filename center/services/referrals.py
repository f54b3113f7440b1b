"""The expert pool (公益导师), the resource union's partners (资源联合体) and referrals of a
consultation to one of them.

A referral hands a consultation to an expert or a partner in one of the eight service modes and
sets the consultation's state to `referred`. It then moves proposed → accepted → done, or to
declined from either open state (REFERRAL_TRANSITIONS); done and declined carry an outcome note.
Each move is one guarded UPDATE, so of two people acting at once one wins and the other is told;
the audit log records who moved it and when. Experts and partners are archived, never deleted,
and an archived one takes no new referrals.
"""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from center.models.base import utcnow
from center.models.consultations import (MODE_LABELS, REFERRAL_STATE_LABELS, SECTOR_LABELS,
                                         TOPIC_LABELS, Consultation, ConsultationState, Expert,
                                         Partner, Referral, ReferralState)
from center.services import audit, field_checks as checks
from center.services.consultations import can_edit
from center.services.errors import ConflictError, PermissionDenied, ValidationError

OPEN_STATES = (ReferralState.proposed.value, ReferralState.accepted.value)
MAX_ID = 2**31 - 1


def _raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)


# --- the pool: experts and partners ----------------------------------------------------------

def _pool_codes(data: dict, errors: dict) -> dict:
    fields = checks.codes(data, "fields", TOPIC_LABELS, errors,
                          missing=_l("请至少选择一个擅长领域。"),
                          unknown=lambda codes: _l("未知的领域：%(codes)s。", codes=codes))
    modes = checks.codes(data, "modes", MODE_LABELS, errors,
                         missing=_l("请至少选择一种服务方式。"),
                         unknown=lambda codes: _l("未知的服务方式：%(codes)s。", codes=codes))
    return {"fields": " ".join(fields), "modes": " ".join(modes)}


def expert_values(data: dict) -> dict:
    """An expert's fields, cleaned; ValidationError listing every problem by field."""
    errors: dict = {}
    values = {
        "name": checks.text(data, "name", errors, required=True, limit=50,
                            missing=_l("请填写导师姓名。")),
        "title": checks.text(data, "title", errors, limit=100),
        "employer": checks.text(data, "employer", errors, limit=200),
        "sector": checks.choice(data, "sector", SECTOR_LABELS, errors, message=_l(
            "请选择来源：政府部门、社会组织、企业或高校与研究机构。")),
        **_pool_codes(data, errors),
        "phone": checks.phone(data, "phone", errors),
        "email": checks.email(data, "email", errors),
        "bio": checks.text(data, "bio", errors),
    }
    _raise_if(errors)
    return values


SAME_PARTNER_NAME = _l("已有同名的合作伙伴（可能已归档），请检查后再保存。")


def partner_values(session, data: dict, existing: Partner | None = None) -> dict:
    """A partner's fields, cleaned; the name is unique among partners."""
    errors: dict = {}
    values = {
        "name": checks.text(data, "name", errors, required=True, limit=200,
                            missing=_l("请填写合作伙伴名称。")),
        "kind": checks.text(data, "kind", errors, limit=50),
        **_pool_codes(data, errors),
        "contact_name": checks.text(data, "contact_name", errors, limit=50),
        "phone": checks.phone(data, "phone", errors),
        "email": checks.email(data, "email", errors),
        "description": checks.text(data, "description", errors),
    }
    if values["name"] and "name" not in errors:
        same = select(Partner.id).where(Partner.name == values["name"])
        if existing is not None:
            same = same.where(Partner.id != existing.id)
        if session.scalar(same) is not None:
            errors["name"] = SAME_PARTNER_NAME
    _raise_if(errors)
    return values


def _refuse_archived(record, message) -> None:
    if record.archived_at is not None:
        raise ValidationError(message)


def create_expert(session, data: dict, *, actor, now: datetime | None = None) -> Expert:
    """Add a mentor to the pool."""
    audit.acting(session, actor)
    expert = Expert(created_at=now or utcnow(), **expert_values(data))
    session.add(expert)
    session.flush()
    return expert


def update_expert(session, expert: Expert, data: dict, *, actor) -> Expert:
    """Correct a mentor's record; an archived one is restored first."""
    _refuse_archived(expert, _l("该导师已归档，请先恢复再修改。"))
    values = expert_values(data)
    audit.acting(session, actor)
    for key, value in values.items():
        setattr(expert, key, value)
    session.flush()
    return expert


def _flush_partner(session, partner: Partner) -> Partner:
    """Flush; the same name saved by someone else a moment ago is a ConflictError on `name`.
    The caller rolls back, as after any domain error."""
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(SAME_PARTNER_NAME, {"name": SAME_PARTNER_NAME}) from None
    return partner


def create_partner(session, data: dict, *, actor, now: datetime | None = None) -> Partner:
    """Add a member of the resource union."""
    values = partner_values(session, data)
    audit.acting(session, actor)
    partner = Partner(created_at=now or utcnow(), **values)
    session.add(partner)
    return _flush_partner(session, partner)


def update_partner(session, partner: Partner, data: dict, *, actor) -> Partner:
    """Correct a partner's record; an archived one is restored first."""
    _refuse_archived(partner, _l("该合作伙伴已归档，请先恢复再修改。"))
    values = partner_values(session, data, partner)
    audit.acting(session, actor)
    for key, value in values.items():
        setattr(partner, key, value)
    return _flush_partner(session, partner)


# --- referrals -------------------------------------------------------------------------------

def can_refer(consultation: Consultation, user) -> bool:
    """Who may edit a consultation may refer it: its own staff member, a manager, an admin."""
    return user is not None and can_edit(consultation, user)


def can_handle(referral: Referral, user) -> bool:
    """Recording a referral's progress: managers and admins any; front desk the referrals they
    made or those of consultations they logged."""
    if user is None:
        return False
    return user.role in ("admin", "manager") or (
        user.role == "frontdesk"
        and user.id in (referral.created_by_id, referral.consultation.staff_id))


def _record_id(raw) -> int | None:
    if isinstance(raw, str):
        raw = checks.ascii_int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= MAX_ID:
        return None
    return raw


def _target(session, data: dict, errors: dict) -> Expert | Partner | None:
    raw_expert, raw_partner = data.get("expert_id"), data.get("partner_id")
    if raw_expert in (None, "") and raw_partner in (None, ""):
        errors["target"] = _l("请选择转介的导师或合作伙伴。")
        return None
    if raw_expert not in (None, "") and raw_partner not in (None, ""):
        errors["target"] = _l("一次只能转介给一位导师或一个合作伙伴。")
        return None
    model, raw = (Expert, raw_expert) if raw_expert not in (None, "") else (Partner, raw_partner)
    record_id = _record_id(raw)
    target = session.get(model, record_id) if record_id else None
    if target is None:
        errors["target"] = _l("找不到该导师或合作伙伴，请从列表中选择。")
    elif target.archived_at is not None:
        errors["target"] = _l("“%(name)s”已归档，不能再接受转介。", name=target.name)
        return None
    return target


def _mode(data: dict, target, errors: dict) -> str | None:
    mode = checks.choice(data, "mode", MODE_LABELS, errors,
                         message=_l("请选择服务方式（八种服务方式之一）。"))
    if mode and target is not None and target.mode_list and mode not in target.mode_list:
        errors["mode"] = _l("“%(name)s”不提供%(mode)s，可选：%(modes)s。", name=target.name,
                            mode=MODE_LABELS[mode],
                            modes="、".join(str(MODE_LABELS[m]) for m in target.mode_list))
    return mode


def _open_referral_to(session, consultation: Consultation, target) -> Referral | None:
    column = Referral.expert_id if isinstance(target, Expert) else Referral.partner_id
    return session.scalar(select(Referral).where(
        Referral.consultation_id == consultation.id, column == target.id,
        Referral.state.in_(OPEN_STATES)))


def refer_consultation(session, consultation: Consultation, data: dict, *, actor,
                       now: datetime | None = None) -> Referral:
    """Refer a consultation to an expert (`expert_id`) or a partner (`partner_id`) in a service
    `mode` the target offers, with an optional `note`; the consultation becomes `referred`.
    Refused: an archived consultation or target, a second open referral to the same target."""
    if not can_refer(consultation, actor):
        raise PermissionDenied(_l("只能转介自己记录的咨询。"))
    if consultation.archived_at is not None:
        raise ValidationError(_l("这条咨询已归档，不能转介。"))
    errors: dict = {}
    target = _target(session, data, errors)
    mode = _mode(data, target, errors)
    note = checks.text(data, "note", errors)
    if target is not None and "target" not in errors and _open_referral_to(
            session, consultation, target):
        errors["target"] = _l("这条咨询已转介给“%(name)s”，尚未结束。", name=target.name)
    _raise_if(errors)
    audit.acting(session, actor)
    referral = Referral(consultation=consultation, mode=mode, note=note,
                        state=ReferralState.proposed.value, created_by_id=actor.id,
                        created_at=now or utcnow(),
                        **{"expert" if isinstance(target, Expert) else "partner": target})
    session.add(referral)
    consultation.state = ConsultationState.referred.value
    consultation.follow_up_on = None
    session.flush()
    return referral


OUTCOME_REQUIRED = {"done": _l("请写明转介的结果，例如导师给出的建议或后续安排。"),
                    "declined": _l("请写明未能转介的原因。")}


def _move_problems(referral: Referral, to, outcome, errors: dict) -> str | None:
    if to not in REFERRAL_STATE_LABELS or to == ReferralState.proposed.value:
        errors["state"] = _l("未知的转介状态。")
        return None
    if not referral.can_move_to(to):
        errors["state"] = _l("该转介当前为“%(state)s”，不能改为“%(to)s”。",
                             state=REFERRAL_STATE_LABELS[referral.state],
                             to=REFERRAL_STATE_LABELS[to])
    return checks.text({"outcome": outcome}, "outcome", errors,
                       required=to in OUTCOME_REQUIRED, missing=OUTCOME_REQUIRED.get(to))


def move_referral(session, referral: Referral, *, to: str, outcome: str | None = None, actor,
                  resolve_consultation: bool = False, now: datetime | None = None) -> Referral:
    """Record the target's answer: accepted, done (with the outcome) or declined (with the
    reason). Only the moves of REFERRAL_TRANSITIONS; `resolve_consultation` with done marks the
    consultation resolved. The staff who logged the consultation and who referred it are told."""
    if not can_handle(referral, actor):
        raise PermissionDenied(_l("只能处理自己发起的转介或自己记录的咨询的转介。"))
    errors: dict = {}
    text = _move_problems(referral, to, outcome, errors)
    _raise_if(errors)
    now = now or utcnow()
    stamps = {"accepted_at": now} if to == ReferralState.accepted.value else {"closed_at": now}
    audit.acting(session, actor)
    result = session.execute(
        update(Referral).where(Referral.id == referral.id, Referral.state == referral.state)
        .values(state=to, outcome=text or referral.outcome, **stamps)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise ConflictError(_l("该转介已被他人处理，请刷新后再看。"))
    # The same change through the object, so the audit hook records who, when and why.
    audit.with_reason(referral, text if to == ReferralState.declined.value else None)
    referral.state, referral.outcome = to, text or referral.outcome
    for key, value in stamps.items():
        setattr(referral, key, value)
    if to == ReferralState.done.value and resolve_consultation:
        referral.consultation.state = ConsultationState.resolved.value
        referral.consultation.follow_up_on = None
    session.flush()
    _tell_staff(session, referral, actor)
    return referral


def _tell_staff(session, referral: Referral, actor) -> None:
    from center.services.notifications import notify

    people = [p for p in (referral.consultation.staff, referral.created_by)
              if p is not None and p.id != getattr(actor, "id", None)]
    if people:
        notify(session, people, kind=f"referral_{referral.state}",
               title=str(_l("转介%(state)s：%(name)s", state=REFERRAL_STATE_LABELS[referral.state],
                            name=referral.target_name)),
               body=referral.outcome, link=f"/consultations/referrals/{referral.id}")
