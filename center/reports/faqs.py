"""Read-only listings of the frequently asked questions: per topic, searched by substrings of
Chinese words through the token index (center.services.textsearch)."""
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select

from center.models.consultations import TOPIC_LABELS, Faq
from center.services import textsearch


@dataclass
class FaqFilter:
    topic: str = ""
    q: str = ""  # substring of question or answer
    archived: str = "active"  # active, archived or all


def faq_query(filters: FaqFilter):
    """Questions matching the filters, by topic in the usual topic order, oldest first within a
    topic (a select)."""
    stmt = select(Faq)
    if filters.archived == "active":
        stmt = stmt.where(Faq.archived_at.is_(None))
    elif filters.archived == "archived":
        stmt = stmt.where(Faq.archived_at.is_not(None))
    if filters.topic:
        stmt = stmt.where(Faq.topic == filters.topic)
    q = filters.q.strip()
    match = textsearch.contains("faqs", q)
    if match is not None:
        stmt = stmt.where(match)
    elif q:  # nothing searchable (punctuation only): match the text as typed
        stmt = stmt.where(or_(Faq.question.contains(q, autoescape=True),
                              Faq.answer.contains(q, autoescape=True)))
    topic_order = case({code: n for n, code in enumerate(TOPIC_LABELS)}, value=Faq.topic)
    return stmt.order_by(topic_order, Faq.id)


def topic_counts(session) -> dict[str, int]:
    """Active questions per topic code: one grouped query."""
    rows = session.execute(select(Faq.topic, func.count()).where(Faq.archived_at.is_(None))
                           .group_by(Faq.topic))
    return dict(rows.all())


def promoted_from(session, consultation_id: int) -> Faq | None:
    """The active question already promoted from this consultation, if any."""
    return session.scalar(select(Faq).where(Faq.source_consultation_id == consultation_id,
                                            Faq.archived_at.is_(None)).order_by(Faq.id))
