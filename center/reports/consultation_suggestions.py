"""Answers worth reusing while a question is typed: similar answered consultations and matching
frequently asked questions (FAQ entries).

"Similar" is not "contains": staff rarely type a question word for word as it was asked before.
The typed text is cut into three-character pieces (two adjacent CJK bigrams of
center.services.textsearch) and every stored text containing some of them is a candidate. Each
piece brings at most PER_PIECE rows straight from the search index, so a piece common to half
the questions ("社会组") costs about as little as a rare one ("换届选"); rows found by the most
pieces are the candidates, ranked then by how much of the typed text their question covers
(bigram overlap), each answer once. Read-only; three queries for consultations (candidates,
rows, topics) and two for FAQ entries, whatever the size.

Cost at 200,000 consultations (bench data set, a busy two-core machine): SQLite 130-440 ms,
PostgreSQL 130-580 ms per typed question; the entry form asks 400 ms after the last keystroke.
On PostgreSQL a common piece costs most: the GIN index is on an expression, so every row read
has its tokens computed again (a stored tsvector column would remove that).
"""
from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, func, select, text, union_all
from sqlalchemy.orm import selectinload

from center.models.consultations import TOPIC_LABELS, Consultation, Faq
from center.services import textsearch

MAX_PIECES = 8  # of a long question, pieces spread over it are enough
PER_PIECE = 40
CANDIDATES = 60
MIN_COVERAGE = 0.25  # a quarter of the typed bigrams appear in the stored question,
MIN_SHARED = 3  # and at least three of them (all, when fewer were typed)
MIN_BIGRAMS = 2  # "年检" alone suggests everything; "年检报" starts to mean something


@dataclass
class Suggestion:
    kind: str  # "consultation" or "faq"
    id: int
    question: str
    answer: str
    topics: list[str]  # labels
    score: float  # share of the typed question found in it (0..1)
    closeness: float  # Dice coefficient of both texts' bigrams, for ties
    occurred_at: object = None  # consultations only


def bigrams(text: str | None) -> set[str]:
    """The text's CJK bigrams and ASCII words (as the search index stores them)."""
    return {token for token in textsearch.index_text(text).split()
            if len(token) > 1 or token.isascii()}


def pieces(query: str) -> list[list[str]]:
    """Indexed phrases of the query: adjacent bigram pairs, or the bigram/word itself."""
    found = []
    for group in textsearch.query_groups(query):
        if len(group) == 1:
            if len(group[0]) > 1:
                found.append(group)
            continue
        found.extend([group[i], group[i + 1]] for i in range(len(group) - 1))
    if len(found) > MAX_PIECES:
        step = len(found) / MAX_PIECES
        found = [found[int(i * step)] for i in range(MAX_PIECES)]
    return found


def _rows_with(dialect: str, table: str, piece: list[str]):
    """Ids of at most PER_PIECE rows containing the piece, read from the search index so that
    a common piece stops as early as a rare one. SQLite: the newest (FTS5 walks its rowids
    backwards). PostgreSQL: any, and the bigrams anywhere in the text, since ordering or a
    phrase would make it recompute the text's tokens for every matching row."""
    if dialect == "sqlite":
        sql = (f"SELECT rowid AS id FROM {table}_fts WHERE {table}_fts MATCH :q "
               f"ORDER BY rowid DESC LIMIT {PER_PIECE}")
        query = '"' + " ".join(piece) + '"'
    else:
        sql = (f"SELECT id FROM {table} WHERE to_tsvector('simple', "
               f"{textsearch.SEARCH_COLUMNS[table]}) @@ to_tsquery('simple', :q) "
               f"LIMIT {PER_PIECE}")
        query = " & ".join(f"'{token}'" for token in piece)
    return text(sql).bindparams(bindparam("q", query, unique=True)).columns(id=Integer)


def _candidate_ids(session, model, table: str, conditions, query: str) -> list[int]:
    """Ids of the rows (meeting the conditions) that share the most pieces with the query."""
    dialect = session.get_bind().dialect.name
    parts = [_rows_with(dialect, table, piece).subquery() for piece in pieces(query)]
    if not parts:
        return []
    hits = union_all(*[select(part.c.id) for part in parts]).subquery()
    stmt = (select(hits.c.id).join(model, model.id == hits.c.id).where(*conditions)
            .group_by(hits.c.id).order_by(func.count().desc(), hits.c.id.desc())
            .limit(CANDIDATES))
    return list(session.scalars(stmt))


def likeness(typed: set[str], stored: str) -> tuple[float, float]:
    """(share of the typed bigrams found in the stored text, Dice coefficient of both): the
    first says it answers what is asked, the second prefers the closer of two that do."""
    theirs = bigrams(stored)
    shared = len(typed & theirs)
    if not typed or shared < min(MIN_SHARED, len(typed)):
        return 0.0, 0.0
    return shared / len(typed), 2 * shared / (len(typed) + len(theirs))


def _ranked(suggestions: list[Suggestion], limit: int) -> list[Suggestion]:
    """The best first, each answer once (the same answer given twice is one suggestion)."""
    chosen, answers = [], set()
    for s in sorted(suggestions, key=lambda s: (-s.score, -s.closeness, -s.id)):
        if s.score >= MIN_COVERAGE and s.answer.strip() not in answers:
            answers.add(s.answer.strip())
            chosen.append(s)
    return chosen[:limit]


def similar_consultations(session, query: str, *, limit=5, exclude_id=None) -> list[Suggestion]:
    """Answered, unarchived consultations whose question is most like the typed one."""
    typed = bigrams(query)
    if len(typed) < MIN_BIGRAMS:
        return []
    conditions = [Consultation.archived_at.is_(None), Consultation.answer.is_not(None),
                  Consultation.answer != ""]
    if exclude_id is not None:
        conditions.append(Consultation.id != exclude_id)
    ids = _candidate_ids(session, Consultation, "consultations", conditions, query)
    rows = session.scalars(select(Consultation).where(Consultation.id.in_(ids)).options(
        selectinload(Consultation.topic_rows))).all() if ids else []
    return _ranked([Suggestion("consultation", c.id, c.question, c.answer,
                               [str(TOPIC_LABELS[t]) for t in c.topics],
                               *likeness(typed, c.question), c.occurred_at) for c in rows],
                   limit)


def matching_faqs(session, query: str, *, limit=3) -> list[Suggestion]:
    """Unarchived FAQ entries whose question (or, less so, answer) is most like the typed one."""
    typed = bigrams(query)
    if len(typed) < MIN_BIGRAMS:
        return []
    ids = _candidate_ids(session, Faq, "faqs", [Faq.archived_at.is_(None)], query)
    rows = session.scalars(select(Faq).where(Faq.id.in_(ids))).all() if ids else []
    found = []
    for faq in rows:
        by_answer = likeness(typed, faq.answer)
        score = max(likeness(typed, faq.question), (0.8 * by_answer[0], 0.8 * by_answer[1]))
        found.append(Suggestion("faq", faq.id, faq.question, faq.answer,
                                [str(TOPIC_LABELS[faq.topic])], *score))
    return _ranked(found, limit)
