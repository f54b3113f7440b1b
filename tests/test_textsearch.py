"""Substring search of Chinese text through the token index, identical on SQLite and PostgreSQL."""
import pytest
from sqlalchemy import select

from center.models.directory import Organization
from center.services import textsearch
from tests.factories import make_organization

NAMES = ["北京协作者社会工作发展中心", "朝阳区社区服务中心", "海淀区青少年发展基金会",
         "NGO2024 能力建设中心", "北京市慈善协会"]


@pytest.fixture
def orgs(session):
    made = {name: make_organization(session, name=name) for name in NAMES}
    session.commit()
    return made


def _found(session, query):
    return sorted(session.scalars(select(Organization.name)
                                  .where(textsearch.contains("organizations", query))))


def test_index_text_turns_chinese_runs_into_pairs_and_words_into_lower_case():
    assert textsearch.index_text("年检报告2024 ABC") == "年检 检报 报告 告 2024 abc"
    assert textsearch.index_text("NGO2024") == "ngo 2024"  # letters and digits apart
    assert textsearch.index_text("税", None, "，。！") == "税"


@pytest.mark.parametrize("query, expected", [
    ("协作者", ["北京协作者社会工作发展中心"]),  # inside a word, no spaces anywhere
    ("作者社会", ["北京协作者社会工作发展中心"]),  # across what a person calls two words
    ("服务中心", ["朝阳区社区服务中心"]),
    ("中心", ["NGO2024 能力建设中心", "北京协作者社会工作发展中心", "朝阳区社区服务中心"]),
    ("心", ["NGO2024 能力建设中心", "北京协作者社会工作发展中心", "朝阳区社区服务中心"]),
    ("慈", ["北京市慈善协会"]),  # one character: pairs that start with it
    ("会", ["北京协作者社会工作发展中心", "北京市慈善协会", "海淀区青少年发展基金会"]),
    ("ngo", ["NGO2024 能力建设中心"]),  # case does not matter
    ("20", ["NGO2024 能力建设中心"]),  # a word being typed is a prefix
    ("北京 慈善", ["北京市慈善协会"]),  # every part must be there, in any order
    ("社区协会", []),  # both words exist, but not together
    ("中心会", []),
])
def test_contains_finds_exactly_the_names_holding_the_fragment(session, orgs, query, expected):
    assert _found(session, query) == expected


def test_a_query_without_searchable_characters_gives_no_clause(session):
    assert textsearch.contains("organizations", "，。 --") is None
    assert textsearch.contains("organizations", "") is None


def test_quotes_and_operators_in_a_query_are_only_text(session, orgs):
    for query in ['"中心', "中心' OR 1=1 --", "NOT 中心", "中心*", "a & b | !c", "(中心)"]:
        _found(session, query)  # must not raise a syntax error in either engine
    assert _found(session, "NOT 慈善") == []  # NOT is a word here, not an operator


def test_renaming_an_organization_moves_it_in_the_index(session, orgs):
    org = orgs["北京市慈善协会"]
    org.name = "北京市公益联合会"
    session.commit()
    assert _found(session, "慈善") == []
    assert _found(session, "公益联合") == ["北京市公益联合会"]


def test_very_long_queries_are_cut_to_a_bounded_number_of_tokens(session, orgs):
    groups = textsearch.query_groups("中心" * 500)
    assert sum(len(g) for g in groups) <= textsearch.MAX_QUERY_TOKENS
    _found(session, "协作者" * 300)


def test_the_match_is_a_plain_where_clause_so_the_planner_uses_the_index(session):
    """On SQLite `(id IN (...)) = 1` would scan every row; the clause must stand alone."""
    stmt = select(Organization.id).where(textsearch.contains("organizations", "阳光"))
    compiled = stmt.compile(session.get_bind())
    sql = str(compiled)
    assert not sql.rstrip().endswith("= 1") and "= true" not in sql.lower()
    if session.get_bind().dialect.name == "sqlite":
        rows = session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + sql, tuple(compiled.params.values())).all()
        plan = " ".join(str(row[-1]) for row in rows)
        assert "SEARCH organizations USING INTEGER PRIMARY KEY" in plan, plan


def test_every_pair_present_is_not_enough_they_must_stand_together(session):
    """The pairs of "年检报" (年检, 检报) both occur in the first name, apart: not a match."""
    make_organization(session, name="年检和检报服务中心")
    make_organization(session, name="年检报告服务中心")
    session.commit()
    assert _found(session, "年检报") == ["年检报告服务中心"]
    assert _found(session, "检报告服务") == ["年检报告服务中心"]
