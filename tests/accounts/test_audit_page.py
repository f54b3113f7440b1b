"""The admin's audit log page: filters, readable changes, bounded queries, bad filter input."""
from center.services import accounts, audit, directory
from tests.factories import make_organization, make_user


def test_audit_page_shows_who_changed_what_before_and_after(auth, client, session):
    admin = auth.login("admin", display_name="管理员甲")
    org = make_organization(session, name="原来的名字")
    directory.update_organization(session, org, {"name": "后来的名字",
                                                 "credit_code": org.credit_code}, actor=admin)
    session.commit()
    page = client.get(f"/admin/audit?table=organizations&record_id={org.id}&action=update")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "管理员甲" in html and "原来的名字 → 后来的名字" in html
    assert "新建" not in html.split("<tbody>")[1]  # the create entry is filtered out


def test_audit_page_filters_by_actor_and_dates(auth, client, session):
    auth.login("admin")
    someone = make_user(session, role="manager", username="someone", display_name="某人")
    make_organization(session, name="别人建的组织")
    directory.create_organization(session, {"name": "某人建的组织",
                                            "credit_code": "51110000MJ0101505U"}, actor=someone)
    session.commit()
    html = client.get("/admin/audit?actor=someone").get_data(as_text=True)
    assert "某人建的组织" in html and "别人建的组织" not in html
    html = client.get("/admin/audit?date_from=2000-01-01&date_to=2000-01-02").get_data(as_text=True)
    assert "没有符合条件的记录。" in html


def test_audit_page_bad_filters_show_messages_not_errors(auth, client):
    auth.login("admin")
    response = client.get("/admin/audit?date_from=not-a-date&date_to=2025-01-01")
    assert response.status_code == 200
    assert "不是有效的日期值" in response.get_data(as_text=True)
    response = client.get("/admin/audit?date_from=2025-02-01&date_to=2025-01-01&page=abc")
    assert response.status_code == 200
    assert "截止日期不能早于起始日期。" in response.get_data(as_text=True)


def test_audit_page_runs_a_bounded_number_of_queries(auth, client, session, count_queries):
    admin = auth.login("admin")

    def queries():
        with count_queries() as counter:
            assert client.get("/admin/audit").status_code == 200
        return counter.count

    few = queries()
    for n in range(30):
        org = make_organization(session)
        audit.archive(session, org, actor=admin if n % 2 else None)
        accounts.issue_token(session, admin, actor=admin)
    session.commit()
    assert queries() == few


def test_audit_page_runs_the_same_queries_for_5_or_40_changes_by_different_actors(
        auth, client, session, count_queries):
    auth.login("admin")

    def change_by_new_actors(n):
        # Each change by its own actor on its own record: the actors cannot all come from
        # the identity map, so a lazy actor load would show as one query per row.
        for _i in range(n):
            actor = make_user(session, role="manager")
            org = make_organization(session)
            audit.archive(session, org, actor=actor)
        session.commit()

    def queries():
        with count_queries() as counter:
            page = client.get("/admin/audit?action=archive")
            assert page.status_code == 200
        return counter.count, page.get_data(as_text=True).count('<span class="badge">归档</span>')

    change_by_new_actors(5)
    few, shown = queries()
    assert shown == 5
    change_by_new_actors(35)
    assert queries() == (few, 40)


def test_audit_page_is_paginated_newest_first(auth, client, session, app):
    app.config["PER_PAGE"] = 2
    auth.login("admin")
    for name in ("第一个组织", "第二个组织", "第三个组织"):
        make_organization(session, name=name)
        session.commit()
    html = client.get("/admin/audit?table=organizations").get_data(as_text=True)
    assert "第三个组织" in html and "第二个组织" in html and "第一个组织" not in html
    html = client.get("/admin/audit?table=organizations&page=2").get_data(as_text=True)
    assert "第一个组织" in html and "第三个组织" not in html
