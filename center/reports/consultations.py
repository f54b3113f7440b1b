"""Read-only queries of consultations: the filtered list (pages, export, API) and its search, a
bounded pager for it, an organization's consultation history and the list's Excel export.

Pages never count every matching row: at 200,000 consultations a COUNT of a broad filter costs
more than the page itself, and nobody pages past the first few dozen. `list_page` counts at
most COUNT_CAP rows ("2,000+"), so each page costs a bounded count and one index-driven page
whatever the table size; narrower filters (a week, an organization) get exact totals. Query
plans were checked on 200,000 consultations on SQLite and PostgreSQL (see list_page).
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from center.models.accounts import User
from center.models.consultations import Consultation, ConsultationTopic
from center.reports.xlsx import Sheet, workbook_bytes
from center.services import textsearch
from center.services.field_checks import ascii_int
from center.services.venue_rules import CENTER_TZ

COUNT_CAP = 2_000  # a page counts at most this many matches ("2,000+"): 40 pages of 50
HISTORY_LIMIT = 10  # consultations shown on an organization's page
STAFF_ROLES = ("admin", "manager", "frontdesk")  # those who log consultations


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


def consultation_conditions(filters: ConsultationFilter, *, members_checked: bool = False) -> list:
    """The WHERE clauses of a filter (shared by the list, its bounded count and the export).

    The text search uses the token index (center.services.textsearch), so it finds substrings of
    Chinese words without scanning the text. `members_checked` (SQLite only, see list_page)
    hides the topic and text conditions' id IN (...) from SQLite's planner (coalesce() is
    opaque to it, unlike likely()) and checks topics with a correlated EXISTS: it then walks
    a date, staff or organization index and checks each row, instead of fetching every topic
    or text match first (a month of one topic: 4 ms instead of 60 at 200,000 rows)."""
    conditions, members = [], []
    if not filters.include_archived:
        conditions.append(Consultation.archived_at.is_(None))
    if filters.first:
        conditions.append(Consultation.occurred_at >= local_midnight(filters.first))
    if filters.last:
        conditions.append(Consultation.occurred_at
                          < local_midnight(filters.last + timedelta(days=1)))
    if filters.topics and members_checked:  # a probe of (consultation_id, topic) per row
        conditions.append(select(ConsultationTopic.id).where(
            ConsultationTopic.consultation_id == Consultation.id,
            ConsultationTopic.topic.in_(filters.topics)).exists())
    elif filters.topics:
        members.append(Consultation.id.in_(
            select(ConsultationTopic.consultation_id)
            .where(ConsultationTopic.topic.in_(filters.topics))))
    for column, value in ((Consultation.channel, filters.channel),
                          (Consultation.staff_id, filters.staff_id),
                          (Consultation.state, filters.state),
                          (Consultation.organization_id, filters.organization_id)):
        if value:
            conditions.append(column == value)
    match = textsearch.contains("consultations", filters.q)
    if match is not None:
        members.append(match)
    elif filters.q.strip():  # nothing searchable (punctuation only): match the text as typed
        conditions.append(Consultation.question.contains(filters.q.strip(), autoescape=True))
    if members_checked:
        members = [func.coalesce(member, False) for member in members]
    return conditions + members


def consultation_query(filters: ConsultationFilter, *, members_checked: bool = False):
    """Consultations matching the filters, newest first (a select, for pages, export and API),
    with their topics, organization and staff member loaded."""
    return (select(Consultation)
            .options(selectinload(Consultation.topic_rows),
                     selectinload(Consultation.organization),
                     selectinload(Consultation.staff))
            .where(*consultation_conditions(filters, members_checked=members_checked))
            .order_by(Consultation.occurred_at.desc(), Consultation.id.desc()))


def count_matches(session, filters: ConsultationFilter, *, cap: int | None = None) -> int:
    """How many consultations match, counting at most cap + 1 (so `> cap` means "more");
    cap defaults to COUNT_CAP."""
    cap = cap or COUNT_CAP
    checked = members_checked_for(session, filters)
    ids = (select(Consultation.id)
           .where(*consultation_conditions(filters, members_checked=checked)).limit(cap + 1))
    return session.scalar(select(func.count()).select_from(ids.subquery()))


def staff_members(session, *, also=None) -> list[User]:
    """Who can have logged consultations (the list's staff filter), by name; `also` (an id, as
    typed in a URL) adds that user when they hold another role now."""
    condition = User.role.in_(STAFF_ROLES)
    also = ascii_int(also)
    if also is not None and also < 2**31:
        condition = or_(condition, User.id == also)
    return list(session.scalars(select(User).where(condition)
                                .order_by(User.display_name, User.id)))


def _on_sqlite(session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def members_checked_for(session, filters: ConsultationFilter, *, capped: bool = False) -> bool:
    """Whether SQLite should check topic and text membership row by row (see
    consultation_conditions): when an index bounds the rows, or matches are so common (past
    the cap) that the newest page is a short walk down the date index. PostgreSQL's planner
    sees that from its statistics; SQLite's needs to be told."""
    return _on_sqlite(session) and (capped or _has_index_range(filters))


def _has_index_range(filters: ConsultationFilter) -> bool:
    """A date range, a staff member or an organization: an index bounds the rows to check."""
    return bool(filters.first or filters.last or filters.staff_id or filters.organization_id)


@dataclass
class ListPage:
    items: list
    total: int  # exact when not capped; else COUNT_CAP + 1
    page: int
    per_page: int
    cap: int = COUNT_CAP

    @property
    def capped(self) -> bool:
        return self.total > self.cap

    @property
    def pages(self) -> int:
        shown = min(self.total, self.cap)
        return max(1, (shown + self.per_page - 1) // self.per_page)


def list_page(session, filters: ConsultationFilter, *, page: int, per_page: int,
              cap: int | None = None) -> ListPage:
    """One page of the filtered list (newest first) and a count bounded by `cap`: three
    queries (count, page, related rows) whatever the table size. Pages past the cap are
    clamped to the last reachable one: narrowing the filter finds older entries."""
    cap = cap or COUNT_CAP
    total = count_matches(session, filters, cap=cap)
    result = ListPage([], total, 1, per_page, cap)
    result.page = min(max(1, page), result.pages)
    checked = members_checked_for(session, filters, capped=result.capped)
    stmt = (consultation_query(filters, members_checked=checked)
            .limit(per_page).offset((result.page - 1) * per_page))
    result.items = list(session.scalars(stmt).unique())
    return result


@dataclass
class OrganizationHistory:
    organization_id: int
    recent: list  # newest first, at most HISTORY_LIMIT
    total: int
    open_follow_ups: int
    first_at: datetime | None


def organization_history(session, organization_id: int, *,
                         limit: int | None = None) -> OrganizationHistory:
    """An organization's consultations for its page: the latest few, how many in all, how many
    follow-ups are open and when it first asked. Two queries on the organization's index."""
    filters = ConsultationFilter(organization_id=organization_id)
    recent = list(session.scalars(consultation_query(filters).limit(limit or HISTORY_LIMIT)))
    open_follow_up = ((Consultation.state == "follow_up")
                      & Consultation.follow_up_closed_at.is_(None))
    total, open_count, first_at = session.execute(
        select(func.count(), func.count().filter(open_follow_up),
               func.min(Consultation.occurred_at))
        .where(*consultation_conditions(filters))).one()
    return OrganizationHistory(organization_id, recent, total, open_count, first_at)


# --- Excel export ----------------------------------------------------------------------------

EXPORT_COLUMNS = ("id", "occurred_at", "channel", "requester", "credit_code", "phone", "topics",
                  "question", "answer", "minutes", "state", "follow_up_on", "follow_up_outcome",
                  "satisfaction", "outcome", "staff")
EXPORT_WIDTHS = (8, 17, 8, 30, 21, 15, 20, 50, 60, 10, 10, 12, 40, 8, 40, 12)


def export_row(c: Consultation, labels: dict) -> list:
    """One consultation as a row of the export (local times, Chinese labels)."""
    org = c.organization
    return [
        c.id, c.occurred_at.astimezone(CENTER_TZ),
        str(labels["channels"].get(c.channel, c.channel)),
        c.requester_label, org.credit_code if org else None, c.requester_phone,
        "、".join(str(labels["topics"].get(t, t)) for t in c.topics), c.question, c.answer,
        c.minutes, str(labels["states"].get(c.state, c.state)), c.follow_up_on,
        c.follow_up_outcome, c.satisfaction, c.outcome, c.staff.display_name if c.staff else None,
    ]


def export_workbook(session, filters: ConsultationFilter, labels: dict) -> bytes:
    """The filtered list as .xlsx, newest first: one sheet, one row per consultation.

    labels: {"title", "headers" (by EXPORT_COLUMNS key), "channels", "topics", "states"}, the
    texts translated by the caller. Every text cell is written as text (center.reports.xlsx), so
    a question starting with "=" never becomes a formula. Callers cap the row count first
    (count_matches)."""
    rows = session.scalars(consultation_query(filters).execution_options(yield_per=500))
    headers = [str(labels["headers"][key]) for key in EXPORT_COLUMNS]
    return workbook_bytes([Sheet(str(labels["title"]), headers,
                                 (export_row(c, labels) for c in rows),
                                 widths=EXPORT_WIDTHS)])
