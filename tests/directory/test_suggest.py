"""The organization autocomplete every picker uses: code prefix, pinyin initials, name fragment."""
from center.services import directory
from tests.factories import make_organization


def _names(session, q):
    return [org.name for org in directory.organization_suggestions(session, q)]


def test_suggestions_find_by_name_fragment_initials_and_code(session):
    org = make_organization(session, name="北京协作者社会工作发展中心",
                            credit_code="51110000MJ0101505U")
    make_organization(session, name="北京市慈善协会")
    session.commit()
    assert _names(session, "协作者") == [org.name]
    assert _names(session, "bjxzz") == [org.name]
    assert _names(session, "BJXZZ") == [org.name]
    assert _names(session, "51110000MJ01") == [org.name]
    assert _names(session, "51110000mj01") == [org.name]


def test_names_starting_with_the_fragment_and_shorter_names_come_first(session):
    for name in ("上海慈善基金会北京代表处", "慈善之家", "北京慈善协会"):
        make_organization(session, name=name)
    session.commit()
    assert _names(session, "慈善") == ["慈善之家", "北京慈善协会", "上海慈善基金会北京代表处"]


def test_archived_organizations_are_not_suggested(session):
    org = make_organization(session, name="已注销的测试协会")
    org.archived_at = org.created_at
    session.commit()
    assert _names(session, "测试协会") == []


def test_suggestions_are_bounded_and_empty_queries_suggest_nothing(session):
    for n in range(15):
        make_organization(session, name=f"朝阳社区服务站{n}")
    session.commit()
    assert len(_names(session, "朝阳")) == 10
    assert _names(session, "   ") == []
    assert _names(session, "，。") == []


def test_suggest_endpoint_answers_json_for_staff_only(client, auth, session):
    make_organization(session, name="北京协作者社会工作发展中心")
    session.commit()
    auth.login("org")
    assert client.get("/organizations/suggest?q=协作").status_code == 403
    auth.logout()
    auth.login("frontdesk")
    response = client.get("/organizations/suggest?q=协作")
    assert response.status_code == 200
    assert [item["name"] for item in response.json["items"]] == ["北京协作者社会工作发展中心"]
    assert set(response.json["items"][0]) == {"id", "name", "credit_code"}
