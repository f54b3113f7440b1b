"""Substring search in Chinese text that an index can answer, on SQLite and PostgreSQL alike.

Chinese has no spaces, so word tokenizers see a whole sentence as one word. Text is therefore
stored a second time as tokens (the CJK bigram method of Lucene's CJKAnalyzer): every run of
Chinese characters becomes its overlapping character pairs plus its last character, every run of
letters or of digits one lower-case word. "年检报告2024" is stored as "年检 检报 报告 告 2024".
A query becomes a phrase of its own pairs, which matches exactly the texts that contain it:
"检报告" → "检报" followed by "报告". A single character matches pairs starting with it (or the
last character of a run). SQLite indexes the tokens with FTS5, PostgreSQL with a GIN index on
to_tsvector('simple', ...); the migration creates both.
"""
import re

from sqlalchemy import Boolean, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

# CJK unified ideographs (with extension A and compatibility ideographs), and ASCII words.
_RUN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)|([0-9]+|[A-Za-z]+)")
MAX_QUERY_TOKENS = 32  # a pasted paragraph is not a search; its first part is enough


def _run_tokens(text_: str, *, for_query: bool) -> list[list[str]]:
    """Token groups of a text: one group per run (a Chinese run or a word)."""
    groups = []
    for cjk, word in _RUN.findall(text_ or ""):
        if word:
            groups.append([word.lower()])
        elif len(cjk) == 1:
            groups.append([cjk])
        else:
            pairs = [cjk[i:i + 2] for i in range(len(cjk) - 1)]
            groups.append(pairs if for_query else pairs + [cjk[-1]])
    return groups


def index_text(*parts: str | None) -> str:
    """The token string stored beside searchable text."""
    return " ".join(token for part in parts for group in _run_tokens(part, for_query=False)
                    for token in group)


def query_groups(query: str | None) -> list[list[str]]:
    """A query's phrases; empty when it has nothing searchable (only punctuation, say)."""
    groups, count = [], 0
    for group in _run_tokens(query or "", for_query=True):
        if count + len(group) > MAX_QUERY_TOKENS:
            break
        groups.append(group)
        count += len(group)
    return groups


def _fts5_query(groups) -> str:
    def phrase(group):
        if len(group) == 1 and len(group[0]) == 1:  # one Chinese character: a prefix
            return f'"{group[0]}"*'
        if len(group) == 1 and group[0].isascii():  # a word being typed: a prefix too
            return f'"{group[0]}"*'
        return '"' + " ".join(group) + '"'
    return " AND ".join(phrase(g) for g in groups)


def _tsquery(groups) -> str:
    def phrase(group):
        if len(group) == 1 and (len(group[0]) == 1 or group[0].isascii()):
            return f"'{group[0]}':*"
        return "(" + " & ".join(f"'{token}'" for token in group) + ")"
    return " & ".join(phrase(g) for g in groups)


class TextMatch(ColumnElement):
    """`<table> contains <query>` as a WHERE clause, compiled for the backend in use."""

    inherit_cache = False
    type = Boolean()
    # A bare boolean expression compiles to "(...) = 1" on SQLite, which hides the
    # id IN (...) from the planner (a full scan instead of rowid lookups).
    _is_implicitly_boolean = True

    def __init__(self, table: str, groups: list[list[str]]):
        self.table, self.groups = table, groups


@compiles(TextMatch, "sqlite")
def _match_sqlite(element, compiler, **kw):
    table = element.table
    query = compiler.process(bindparam(None, _fts5_query(element.groups), unique=True), **kw)
    return f"{table}.id IN (SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH {query})"


@compiles(TextMatch, "postgresql")
def _match_postgresql(element, compiler, **kw):
    """The GIN index finds rows holding every token (`&`, answered by the index alone); a
    phrase's order is then checked with LIKE on the token string. A `<->` phrase would make
    PostgreSQL re-parse every candidate's text (1.4 s instead of 90 ms for a common phrase at
    200,000 consultations). The LIKE is exact: pairs are always two characters between
    spaces, and a run's last single character separates it from the next run's pairs."""
    column = f"{element.table}.{SEARCH_COLUMNS[element.table]}"
    query = compiler.process(bindparam(None, _tsquery(element.groups), unique=True), **kw)
    clauses = [f"to_tsvector('simple', {column}) @@ to_tsquery('simple', {query})"]
    for group in element.groups:
        if len(group) > 1:
            pattern = compiler.process(
                bindparam(None, "%" + " ".join(group) + "%", unique=True), **kw)
            clauses.append(f"{column} LIKE {pattern}")
    return "(" + " AND ".join(clauses) + ")"


def contains(table: str, query: str | None):
    """A WHERE clause: rows of `table` whose searchable text contains the query; None when the
    query has nothing searchable in it (only punctuation, say)."""
    groups = query_groups(query)
    return TextMatch(table, groups) if groups else None


# Searchable tables and their token columns (the migration indexes each).
SEARCH_COLUMNS = {"consultations": "search_text", "organizations": "name_tokens",
                  "faqs": "search_text", "liaison_posts": "search_text"}


def is_search_index_table(name: str) -> bool:
    """SQLite's FTS5 tables (and their shadow tables) live outside the models' metadata."""
    return any(name == f"{table}_fts" or name.startswith(f"{table}_fts_")
               for table in SEARCH_COLUMNS)


def include_in_autogenerate(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object: leave the search indexes (SQLite's FTS5 tables, PostgreSQL's
    GIN expression indexes) to their migration."""
    if not reflected or compare_to is not None:
        return True
    if type_ == "table":
        return not is_search_index_table(name)
    return not (type_ == "index" and name.startswith("ix_") and name.endswith("_fts"))


def index_ddl(dialect: str, table: str, column: str) -> list[str]:
    """Statements a migration runs to index `table.column` tokens: an external-content FTS5
    table kept in step by triggers on SQLite, a GIN expression index on PostgreSQL."""
    if dialect != "sqlite":
        return [f"CREATE INDEX ix_{table}_{column}_fts ON {table} "
                f"USING gin (to_tsvector('simple', {column}))"]
    fts = f"{table}_fts"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 0')",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {column} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
        f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END",
    ]


def drop_index_ddl(dialect: str, table: str, column: str) -> list[str]:
    if dialect != "sqlite":
        return [f"DROP INDEX IF EXISTS ix_{table}_{column}_fts"]
    return [*(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}"
              for suffix in ("insert", "delete", "update")),
            f"DROP TABLE IF EXISTS {table}_fts"]
