"""Frequently asked questions (常见问题) per topic: written by staff, or promoted from a
consultation whose answer was good, so the next person asking gets the vetted answer."""
from datetime import datetime

from flask_babel import lazy_gettext as _l

from center.models.base import utcnow
from center.models.consultations import TOPIC_LABELS, Consultation, Faq
from center.reports.faqs import promoted_from
from center.services import audit, field_checks as checks
from center.services.errors import ValidationError

FIELDS = ("topic", "question", "answer")


def faq_values(data: dict) -> dict:
    """A question's fields, cleaned; ValidationError listing every problem by field."""
    errors: dict = {}
    values = {
        "topic": checks.choice(data, "topic", TOPIC_LABELS, errors,
                               message=_l("请选择一个主题。")),
        "question": checks.text(data, "question", errors, required=True,
                                missing=_l("请填写问题。")),
        "answer": checks.text(data, "answer", errors, required=True,
                              missing=_l("请填写答案。")),
    }
    if errors:
        raise ValidationError(_l("请更正标出的内容。"), errors)
    return values


def create_faq(session, data: dict, *, actor, now: datetime | None = None) -> Faq:
    """Add a question with its answer under one topic."""
    values = faq_values(data)
    audit.acting(session, actor)
    faq = Faq(created_by_id=actor.id, created_at=now or utcnow(), **values)
    session.add(faq)
    session.flush()
    return faq


def update_faq(session, faq: Faq, data: dict, *, actor) -> Faq:
    """Correct a question or its answer; an archived one is restored first."""
    if faq.archived_at is not None:
        raise ValidationError(_l("该问题已归档，请先恢复再修改。"))
    values = faq_values(data)
    audit.acting(session, actor)
    for key, value in values.items():
        setattr(faq, key, value)
    session.flush()
    return faq


def promotion_draft(consultation: Consultation) -> dict:
    """What the promotion form starts with: the consultation's first topic, question and answer."""
    return {"topic": (consultation.topics or [""])[0], "question": consultation.question,
            "answer": consultation.answer or ""}


def promote_to_faq(session, consultation: Consultation, data: dict, *, actor,
                   now: datetime | None = None) -> Faq:
    """Turn a consultation's answer (as edited by staff in `data`) into a question of the list,
    remembering where it came from. One active question per consultation."""
    if consultation.archived_at is not None:
        raise ValidationError(_l("这条咨询已归档，不能收入常见问题。"))
    existing = promoted_from(session, consultation.id)
    if existing is not None:
        raise ValidationError(_l("这条咨询已收入常见问题（第 %(id)d 条），请直接修改那一条。",
                                 id=existing.id))
    faq = create_faq(session, data, actor=actor, now=now)
    faq.source_consultation_id = consultation.id
    session.flush()
    return faq
