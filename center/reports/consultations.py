"""Read-only queries of consultations: the filtered list (pages, export, API) and its search."""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from center.models.consultations import Consultation, ConsultationTopic
from center.services import textsearch
from center.services.venue_rules import CENTER_TZ


@dataclass
class ConsultationFilter:
    first: date | None = None  # occurred on or after (center's date)
    last: date | None = None  # occurred on or before
    topics: list[str] = field(default_factory=list)  # any of these
    channel: str = ""
    staff_id: int | None = None
    state: str = ""
    organization_id: int | None = None
    q: str = ""  # substring of question, answer or requester's name
    include_archived: bool = False


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=CENTER_TZ)


def consultation_query(filters: ConsultationFilter):
    """Consultations matching the filters, newest first (a select, for pages, export and API).

    The text search uses the token index (center.services.textsearch), so it finds substrings of
    Chinese words without scanning the text."""
    stmt = select(Consultation).options(selectinload(Consultation.topic_rows),
                                        selectinload(Consultation.organization),
                                        selectinload(Consultation.staff))
    if not filters.include_archived:
        stmt = stmt.where(Consultation.archived_at.is_(None))
    if filters.first:
        stmt = stmt.where(Consultation.occurred_at >= local_midnight(filters.first))
    if filters.last:
        stmt = stmt.where(Consultation.occurred_at
                          < local_midnight(filters.last + timedelta(days=1)))
    if filters.topics:
        stmt = stmt.where(Consultation.id.in_(
            select(ConsultationTopic.consultation_id)
            .where(ConsultationTopic.topic.in_(filters.topics))))
    for column, value in ((Consultation.channel, filters.channel),
                          (Consultation.staff_id, filters.staff_id),
                          (Consultation.state, filters.state),
                          (Consultation.organization_id, filters.organization_id)):
        if value:
            stmt = stmt.where(column == value)
    match = textsearch.contains("consultations", filters.q)
    if match is not None:
        stmt = stmt.where(match)
    elif filters.q.strip():  # nothing searchable (punctuation only): match the text as typed
        stmt = stmt.where(Consultation.question.contains(filters.q.strip(), autoescape=True))
    return stmt.order_by(Consultation.occurred_at.desc(), Consultation.id.desc())
