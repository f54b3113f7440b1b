"""The consultation list: filters kept in the URL, text search of Chinese substrings, bad filter
values answered beside their field, a bounded pager, and an organization's history."""
import re
from datetime import datetime, timezone

import pytest
from flask import render_template_string

from center.reports import consultations as reports
from tests.consultations.factories import make_consultation
from tests.factories import make_organization, make_user

UTC = timezone.utc


def _questions(html: str) -> list[str]:
    return re.findall(r'<a href="/consultations/\d+">([^<]*)</a>', html)


def _get(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


@pytest.fixture
def staff(auth):
    return auth.login("frontdesk")


def test_list_shows_newest_first_with_requester_topics_and_state(client, session, staff):
    org = make_organization(session, name="北京协作者社会工作发展中心")
    make_consultation(session, question="旧的问题", organization=org,
                      occurred_at=datetime(2026, 3, 2, 2, tzinfo=UTC))
    make_consultation(session, question="新的问题", organization=None, requester_name="王女士",
                      topics=["finance", "governance"], state="follow_up",
                      follow_up_on=datetime(2026, 3, 20).date(),
                      occurred_at=datetime(2026, 3, 9, 2, tzinfo=UTC))
    session.commit()
    html = _get(client, "/consultations")
    assert _questions(html) == ["新的问题", "旧的问题"]
    assert "北京协作者社会工作发展中心" in html and "王女士" in html
    assert "财务与审计" in html and "内部治理" in html and "待跟进" in html
    assert "2026-03-09 10:00" in html  # the center's local time
    assert "共 2 条咨询" in html
    assert 'role="alert"' not in html  # no filter, no complaint


def test_search_finds_substrings_of_chinese_words_in_question_and_answer(client, session,
                                                                        staff):
    make_consultation(session, question="理事会换届选举需要准备什么材料？", answer="章程规定的程序。")
    make_consultation(session, question="年度检查怎么报送？", answer="登录系统填写年度工作报告。")
    make_consultation(session, question="如何开具捐赠票据？", answer="向财政部门申领。")
    session.commit()
    assert _questions(_get(client, "/consultations?q=换届")) == ["理事会换届选举需要准备什么材料？"]
    assert _questions(_get(client, "/consultations?q=作报")) == ["年度检查怎么报送？"]  # in answer
    assert _questions(_get(client, "/consultations?q=届选举")) == ["理事会换届选举需要准备什么材料？"]
    assert _questions(_get(client, "/consultations?q=理事会 材料")) == [
        "理事会换届选举需要准备什么材料？"]
    assert _questions(_get(client, "/consultations?q=不存在的词")) == []


def test_search_finds_an_individual_requester_by_name(client, session, staff):
    make_consultation(session, question="个人咨询", organization=None, requester_name="李建国")
    make_consultation(session, question="组织咨询")
    session.commit()
    assert _questions(_get(client, "/consultations?q=建国")) == ["个人咨询"]


@pytest.mark.parametrize("query, expected", [
    ("date_from=2026-03-05", ["三月十日", "三月五日"]),
    ("date_to=2026-03-04", ["三月一日"]),
    ("date_from=2026-03-05&date_to=2026-03-05", ["三月五日"]),
    ("topic=finance", ["三月五日"]),
    ("topic=finance&topic=hr", ["三月十日", "三月五日"]),
    ("channel=visit", ["三月一日"]),
    ("state=follow_up", ["三月十日"]),
])
def test_each_filter_narrows_the_list(client, session, staff, query, expected):
    make_consultation(session, question="三月一日", channel="visit",
                      occurred_at=datetime(2026, 3, 1, 2, tzinfo=UTC))
    # 2026-03-05 00:30 in Beijing is still 03-04 in UTC: the center's day counts.
    make_consultation(session, question="三月五日", topics=["finance", "policy"],
                      occurred_at=datetime(2026, 3, 4, 16, 30, tzinfo=UTC))
    make_consultation(session, question="三月十日", topics=["hr"], state="follow_up",
                      follow_up_on=datetime(2026, 3, 12).date(),
                      occurred_at=datetime(2026, 3, 10, 2, tzinfo=UTC))
    session.commit()
    assert _questions(_get(client, f"/consultations?{query}")) == expected


def test_staff_and_organization_filters(client, session, staff):
    other = make_user(session, role="frontdesk", display_name="赵前台")
    org = make_organization(session, name="北京市慈善协会")
    make_consultation(session, question="我的", staff=staff)
    make_consultation(session, question="别人的", staff=other, organization=org)
    session.commit()
    assert _questions(_get(client, f"/consultations?staff={staff.id}")) == ["我的"]
    html = _get(client, f"/consultations?organization={org.id}")
    assert _questions(html) == ["别人的"]
    assert "北京市慈善协会" in html and "取消此条件" in html


def test_filter_values_stay_in_the_form(client, session, staff):
    html = _get(client, "/consultations?q=年检&topic=finance&topic=hr&channel=phone"
                        "&state=resolved&date_from=2026-03-01&date_to=2026-03-31")
    assert 'value="年检"' in html
    assert re.search(r'checked[^>]*value="finance"|value="finance"[^>]*checked', html)
    assert re.search(r'checked[^>]*value="hr"|value="hr"[^>]*checked', html)
    assert not re.search(r'checked[^>]*value="policy"|value="policy"[^>]*checked', html)
    assert re.search(r'<option selected value="phone">|<option value="phone" selected>', html)
    assert 'value="2026-03-01"' in html and 'value="2026-03-31"' in html


def test_export_link_carries_the_filters(client, session, staff):
    html = _get(client, "/consultations?q=年检&topic=finance")
    link = re.search(r'href="(/consultations/export.xlsx[^"]*)"', html).group(1)
    assert "topic=finance" in link and "q=" in link


@pytest.mark.parametrize("query, field, message", [
    ("date_from=2026/03/01", "date_from", "日期格式应为"),
    ("date_to=2026-02-30", "date_to", "日期格式应为"),
    ("date_from=9999-12-31", "date_from", "年份应在"),
    ("date_from=2026-03-10&date_to=2026-03-01", "date_to", "截止日期不能早于起始日期"),
    ("topic=astrology", "topic", "未知的主题：astrology"),
    ("channel=fax", "channel", "未知的渠道"),
    ("state=lost", "state", "未知的状态"),
    ("staff=999999", "staff", "找不到该工作人员"),
    ("staff=abc", "staff", "找不到该工作人员"),
])
def test_bad_filter_values_get_a_message_beside_the_field_and_are_left_out(
        client, session, staff, query, field, message):
    make_consultation(session, question="仍然列出")
    session.commit()
    html = _get(client, f"/consultations?{query}")
    errors = re.findall(r'<small class="error" role="alert">(.*?)</small>', html)
    assert any(message in error for error in errors), errors
    assert "有误的筛选条件未生效" in html
    if field != "date_to" or "早于" not in message:
        assert _questions(html) == ["仍然列出"]


def test_unknown_organization_id_is_reported(client, session, staff):
    html = _get(client, "/consultations?organization=424242")
    assert "找不到该组织" in html
    html = _get(client, "/consultations?organization=-3")
    assert "组织编号应为数字" in html


def test_typed_organization_filters_when_it_names_one(client, session, staff):
    org = make_organization(session, name="北京协作者社会工作发展中心")
    make_consultation(session, question="协作者的咨询", organization=org)
    make_consultation(session, question="别家的咨询")
    session.commit()
    html = _get(client, "/consultations?org_q=bjxzz")
    assert _questions(html) == ["协作者的咨询"]
    assert "取消此条件" in html


def test_typed_organization_matching_several_offers_candidates(client, session, staff):
    first = make_organization(session, name="朝阳区社区服务中心")
    make_organization(session, name="朝阳区志愿者协会")
    session.commit()
    html = _get(client, "/consultations?org_q=朝阳区&channel=phone")
    assert "找到多个组织，请点选其中一个" in html
    link = re.search(r'href="([^"]*organization=%d[^"]*)"' % first.id, html).group(1)
    assert "channel=phone" in link and "org_q" not in link
    assert "没有找到匹配的组织" in _get(client, "/consultations?org_q=不存在的组织名")


def test_text_from_users_is_shown_as_text(client, session, staff):
    make_consultation(session, question="<script>alert(1)</script>问题",
                      organization=None, requester_name="<b>张</b>")
    session.commit()
    html = _get(client, "/consultations")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<b>张</b>" not in html


def test_archived_consultations_are_left_out(client, session, staff):
    make_consultation(session, question="已归档", archived_at=datetime(2026, 3, 11, tzinfo=UTC))
    make_consultation(session, question="在册")
    session.commit()
    assert _questions(_get(client, "/consultations")) == ["在册"]


def test_pager_counts_at_most_the_cap_and_says_so(client, session, staff, app, monkeypatch):
    app.config["PER_PAGE"] = 2
    monkeypatch.setattr(reports, "COUNT_CAP", 4)
    user = make_user(session, role="frontdesk")
    for day in range(1, 8):
        make_consultation(session, question=f"第{day}天", staff=user,
                          occurred_at=datetime(2026, 3, day, 2, tzinfo=UTC))
    session.commit()
    html = _get(client, "/consultations")
    assert _questions(html) == ["第7天", "第6天"]
    assert "超过 4 条" in html and "第 1 / 2 页" in html
    assert _questions(_get(client, "/consultations?page=2")) == ["第5天", "第4天"]
    # Pages past the cap show the last reachable one; narrowing the dates finds older entries.
    assert _questions(_get(client, "/consultations?page=99")) == ["第5天", "第4天"]
    narrow = _get(client, "/consultations?date_to=2026-03-03")
    assert _questions(narrow) == ["第3天", "第2天"] and "共 3 条咨询" in narrow


def test_list_page_runs_the_same_queries_for_few_or_many_rows(client, session, staff,
                                                             count_queries):
    def queries():
        with count_queries() as counter:
            _get(client, "/consultations?topic=policy")
        return counter.count

    make_consultation(session)
    session.commit()
    few = queries()
    for _ in range(12):
        make_consultation(session, organization=make_organization(session))
    session.commit()
    assert queries() == few


def test_bounded_count_reports_more_than_the_cap(session):
    for _ in range(5):
        make_consultation(session)
    session.commit()
    assert reports.count_matches(session, reports.ConsultationFilter(), cap=3) == 4
    assert reports.count_matches(session, reports.ConsultationFilter(), cap=10) == 5


def test_consultation_query_keeps_its_contract(session):
    """The API and the export build on consultation_query(ConsultationFilter(...))."""
    c = make_consultation(session, question="合同范本", topics=["hr"])
    make_consultation(session, question="别的")
    session.commit()
    stmt = reports.consultation_query(reports.ConsultationFilter(topics=["hr"], q="合同"))
    assert [row.id for row in session.scalars(stmt)] == [c.id]


def test_supervisors_and_reviewers_cannot_open_the_list(client, auth):
    for role in ("supervisor", "reviewer", "org"):
        auth.login(role)
        assert client.get("/consultations").status_code == 403
        auth.logout()


# --- an organization's history -----------------------------------------------------------------

HISTORY_PAGE = '{% include "directory/_organization_consultations.html" %}'


@pytest.fixture
def history_page(app, session):
    """A page that includes the history partial as the organization page does (list it before
    fixtures that send requests: routes are added before the app's first request)."""
    from center.extensions import db
    from center.models.directory import Organization

    def view(org_id):
        return render_template_string(HISTORY_PAGE, org=db.session.get(Organization, org_id))
    view.access = frozenset({"admin", "manager", "frontdesk", "reviewer"})
    app.add_url_rule("/test/history/<int:org_id>", "test_history", view)
    return lambda org: f"/test/history/{org.id}"


def test_organization_history_lists_latest_with_totals_and_link(history_page, client, session,
                                                                staff, monkeypatch):
    monkeypatch.setattr(reports, "HISTORY_LIMIT", 2)
    org = make_organization(session, name="北京市慈善协会")
    for day in (1, 2, 3):
        make_consultation(session, organization=org, question=f"第{day}次",
                          occurred_at=datetime(2026, 3, day, 2, tzinfo=UTC))
    make_consultation(session, organization=org, question="待跟进的", state="follow_up",
                      follow_up_on=datetime(2026, 3, 9).date(),
                      occurred_at=datetime(2026, 2, 27, 2, tzinfo=UTC))
    make_consultation(session, question="别的组织")
    session.commit()
    reports_history = reports.organization_history(session, org.id, limit=2)
    assert reports_history.total == 4 and reports_history.open_follow_ups == 1
    assert reports_history.first_at == datetime(2026, 2, 27, 2, tzinfo=UTC)
    html = _get(client, history_page(org))
    assert "共 4 次咨询，首次在 2026-02-27" in html
    assert "1 条待跟进" in html
    assert _questions(html)[:2] == ["第3次", "第2次"]
    assert f"/consultations?organization={org.id}" in html and "查看全部 4 条咨询" in html


def test_organization_history_is_left_out_for_roles_without_access(client, session, auth,
                                                                 history_page):
    org = make_organization(session)
    make_consultation(session, organization=org, question="不给预审员看")
    session.commit()
    auth.login("reviewer")
    html = _get(client, history_page(org))
    assert "咨询记录" not in html and "不给预审员看" not in html


def test_organization_without_consultations_says_so(history_page, client, session, staff):
    org = make_organization(session)
    session.commit()
    html = _get(client, history_page(org))
    assert "还没有咨询记录" in html and "为该组织记录咨询" in html


def test_history_of_many_consultations_is_bounded(session):
    org = make_organization(session)
    for _ in range(13):
        make_consultation(session, organization=org)
    session.commit()
    history = reports.organization_history(session, org.id)
    assert len(history.recent) == reports.HISTORY_LIMIT and history.total == 13


@pytest.mark.parametrize("filters", [
    dict(topics=["finance"]), dict(q="换届"), dict(topics=["finance"], q="换届"),
    dict(q="换届", first=datetime(2026, 3, 2).date()), dict(topics=["hr", "finance"]),
])
def test_every_query_plan_finds_the_same_rows_newest_first(session, filters):
    """Past the count's cap, or with a date range, SQLite is told to walk the date index and
    check topics and text per row: the rows and their order do not change."""
    for day in range(1, 9):
        make_consultation(session, question=f"第{day}天：理事会换届" if day % 2 else f"第{day}天",
                          topics=["finance"] if day % 3 else ["hr"],
                          occurred_at=datetime(2026, 3, day, 2, tzinfo=UTC))
    session.commit()
    wanted = reports.ConsultationFilter(**filters)
    everything = reports.list_page(session, wanted, page=1, per_page=50, cap=100)
    assert not everything.capped and everything.items
    first_page = reports.list_page(session, wanted, page=1, per_page=2, cap=2)
    assert [c.id for c in first_page.items] == [c.id for c in everything.items[:2]]
    expected = sorted(everything.items, key=lambda c: c.occurred_at, reverse=True)
    assert everything.items == expected


def test_the_organization_page_shows_its_history_and_starts_a_consultation_for_it(
        client, session, staff):
    org = make_organization(session, name="北京市慈善协会")
    make_consultation(session, organization=org, question="换届需要准备哪些材料")
    session.commit()
    html = _get(client, f"/organizations/{org.id}")
    assert "咨询记录" in html and "换届需要准备哪些材料" in html
    assert f"/consultations/new?organization_id={org.id}" in html
    assert f"/reviews/intake?credit_code={org.credit_code}" in html
    entry = _get(client, f"/consultations/new?organization_id={org.id}")
    assert f'value="{org.id}"' in entry and 'value="北京市慈善协会"' in entry
    # An id that is not an organization opens an empty form.
    assert 'value="北京市慈善协会"' not in _get(client, "/consultations/new?organization_id=99x")
