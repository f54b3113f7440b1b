"""Browser journey of the platform liaison (平台联动): a street platform downloads the Excel
template, fills in its needs and uploads them (a file with a bad row first: every problem shown
by row, column and reason, nothing imported); on the need's ranked offers it sees a district
platform's offer with its score and reasons and proposes the match; the district platform opens
the match and accepts it; both sides then see it accepted.

The set-up (before the browser starts, through the services) is only the cast: a street platform
under a district, that district's platform, a user for each, and the district's published offer.
Everything after it goes through the real pages."""
import io
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.serving import make_server

from center import create_app
from center.extensions import db
from center.models.directory import Platform, Region
from center.models.liaison import Post
from center.services import liaison
from tests.e2e.conftest import PASSWORD, _load_users, log_in
from tests.factories import make_platform, make_user

DISTRICT = "延庆区"
NEED_TITLE = "社区志愿者骨干培训讲师E2E"
OTHER_NEED = "周末亲子阅读活动场地E2E"
OFFER_TITLE = "志愿者骨干培训讲师团E2E"
STREET_USER, DISTRICT_USER = "e2e-street-platform", "e2e-district-platform"


def _prepare(session) -> dict:
    """A street platform and its district's platform, a user each, the district's offer."""
    district = session.scalar(select(Region).where(Region.tier == "district",
                                                   Region.name == DISTRICT))
    district_platform = session.scalar(select(Platform).where(
        Platform.region_id == district.id)) or make_platform(session, region=district)
    taken = set(session.scalars(select(Platform.region_id)))
    street = next(r for r in session.scalars(select(Region).where(
        Region.parent_id == district.id, Region.tier == "street").order_by(Region.code))
        if r.id not in taken)
    street_platform = make_platform(session, region=street,
                                    name=f"{street.name}社会组织服务中心E2E")
    street_user = make_user(session, role="platform", platform=street_platform,
                            username=STREET_USER, display_name="街道平台联络员", password=PASSWORD)
    district_user = make_user(session, role="platform", platform=district_platform,
                              username=DISTRICT_USER, display_name="区平台联络员",
                              password=PASSWORD)
    today = liaison.today_in_center()
    offer = liaison.create_post(session, {
        "kind": "offer", "category": "trainer", "title": OFFER_TITLE,
        "description": "区级平台讲师团，可为社区志愿者骨干开展培训，半天课程。",
        "quantity": 3, "starts_on": today + timedelta(days=5),
        "ends_on": today + timedelta(days=90)}, actor=district_user, publish=True)
    assert (district_platform.tier, street_platform.tier) == ("district", "street")
    session.commit()
    return {"today": today, "offer_id": offer.id, "street": street_platform.name,
            "district": district_platform.name, "street_user_id": street_user.id}


@pytest.fixture(scope="module")
def liaison_site(tmp_path_factory):
    from flask_migrate import upgrade

    path = tmp_path_factory.mktemp("e2e-liaison") / "center.db"
    app = create_app({"SECRET_KEY": "e2e-secret", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        _load_users(db.session)
        facts = _prepare(db.session)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", facts, app
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


def _log_out(page):
    page.click("form[action='/logout'] button")
    page.wait_for_load_state()


def _download_template(page, base_url) -> bytes:
    """The template from the import page's link: an .xlsx attachment."""
    page.goto(f"{base_url}/liaison/posts/import")
    with page.expect_download() as info:
        page.click("a:has-text('下载导入模板')")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    assert "LIAISON-POSTS-1" in download.suggested_filename
    data = Path(download.path()).read_bytes()
    assert data[:2] == b"PK"  # a zip, as every .xlsx
    return data


def _filled(template: bytes, rows: list[list], tmp_path, name: str) -> str:
    """The template with these rows from row 3, saved to a file to upload."""
    wb = load_workbook(io.BytesIO(template))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[2]][:3] == ["类型", "类别", "标题"]
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            ws.cell(row=3 + offset, column=column, value=value)
    path = tmp_path / name
    wb.save(path)
    return str(path)


def _upload(page, base_url, path):
    page.goto(f"{base_url}/liaison/posts/import")
    page.set_input_files("input[type=file][name=file]", path)
    page.click("button:has-text('上传并导入')")
    page.wait_for_load_state()


def _posts_by(app, user_id) -> list[str]:
    with app.app_context():
        titles = db.session.scalars(select(Post.title).where(Post.created_by_id == user_id)).all()
        db.session.remove()
    return titles


def _rows(today) -> tuple[list, list, list]:
    """A published need of the offer's category, a draft need, and a row with two mistakes."""
    need = ["需求", "师资", NEED_TITLE, "为社区志愿者骨干开展培训，需要讲师半天课程。", 1,
            today + timedelta(days=10), (today + timedelta(days=40)).isoformat(), None,
            "李老师", 13800138000, None, "是"]
    draft = ["需求", "场地", OTHER_NEED, "亲子阅读活动，约30人。", None, None, None, None,
             None, None, None, "否"]
    bad = ["需求", "培训", "缺讲师", None, None, today + timedelta(days=9), today, None,
           None, None, None, "是"]
    return need, draft, bad


def _refused_upload(page, base_url, path, *, app, user_id):
    """Row 4 has an unknown category and an end before its start: both shown, nothing stored."""
    _upload(page, base_url, path)
    assert page.url.endswith("/liaison/posts/import")
    problems = page.locator("table.errors-table tbody tr")
    rows = [[c.strip() for c in problems.nth(i).locator("th, td").all_inner_texts()]
            for i in range(problems.count())]
    assert ["4", "类别"] in [r[:2] for r in rows], rows
    assert ["4", "结束日期"] in [r[:2] for r in rows], rows
    assert all(r[0] == "4" for r in rows), rows  # the good row 3 is not blamed
    reasons = " ".join(r[2] for r in rows)
    assert "培训" in reasons and "结束日期不能早于开始日期" in reasons
    assert "未导入任何数据" in page.content()
    assert _posts_by(app, user_id) == []
    # The refused upload's 422 is the one console message (no script error, no CSP violation).
    assert len(page.errors) == 1 and "422" in page.errors[0], page.errors
    page.errors.clear()


def _imported(page, base_url, path):
    """Two needs: one published, one kept as a draft; the platform's list shows both."""
    _upload(page, base_url, path)
    page.wait_for_url("**/liaison/posts")
    assert "新增 2 条，其中 1 条已发布" in page.locator(".flash").inner_text()
    listing = page.locator("table.list").inner_text()
    assert NEED_TITLE in listing and OTHER_NEED in listing


def _propose(page, facts) -> tuple[int, str]:
    """From the need's page to its ranked offers: the district's offer with its score and
    reasons; propose it. Returns the score and the match's address."""
    page.click(f"a:has-text('{NEED_TITLE}')")
    page.wait_for_load_state()
    page.click("a:has-text('查看可对接的资源')")
    page.wait_for_url("**/liaison/posts/*/matches")
    offer_row = page.locator("table.list tbody tr",
                             has=page.locator(f"a:has-text('{OFFER_TITLE}')"))
    assert offer_row.count() == 1
    assert offer_row.locator("input[name=offer_id]").input_value() == str(facts["offer_id"])
    cells = offer_row.locator("td").all_inner_texts()
    assert facts["district"] in cells[2]
    score = int(cells[4])
    assert 25 < score <= 100  # same district (25) plus the time overlap and the text
    assert "同一区" in cells[5] and "时间重叠" in cells[5] and "文本相似度" in cells[5]
    offer_row.locator("input[name=note]").fill("请在六月上旬安排讲师。")
    offer_row.locator("button:has-text('提出对接')").click()
    page.wait_for_url("**/liaison/matches/*")
    assert "已提出对接" in page.locator(".flash").inner_text()
    assert "等待对方平台确认" in page.content()
    assert page.locator("button:has-text('接受对接')").count() == 0  # not the proposer's to accept
    return score, page.url


def _accept(page, base_url, match_url, *, score, facts):
    """The district platform finds the match among its own, reads it, and accepts it."""
    page.goto(f"{base_url}/liaison/matches")
    page.click(f"a[href='{match_url[len(base_url):]}']")
    page.wait_for_url(match_url)
    facts_text = page.locator("dl.facts").inner_text()
    assert NEED_TITLE in facts_text and facts["street"] in facts_text
    assert str(score) in facts_text and "同一区" in facts_text  # the rank and why, kept
    assert "请在六月上旬安排讲师" in facts_text
    page.click("button:has-text('接受对接')")
    page.wait_for_url(match_url)
    assert "已接受" in page.locator(".flash").inner_text()
    assert page.locator("h1 .badge").inner_text() == "已接受"
    assert page.locator("button:has-text('接受对接')").count() == 0


def _seen_accepted(page, base_url, match_url):
    """The proposing side sees it accepted, both transitions on the timeline by whom, in its
    list of accepted matches, and its need now matched."""
    page.goto(match_url)
    assert page.locator("h1 .badge").inner_text() == "已接受"
    timeline = page.locator("ol.timeline").inner_text()
    assert "街道平台联络员" in timeline and "区平台联络员" in timeline and "已接受" in timeline
    page.goto(f"{base_url}/liaison/matches?state=accepted")
    accepted = page.locator("table.list tbody").inner_text()
    assert NEED_TITLE in accepted and OFFER_TITLE in accepted
    page.goto(match_url)
    page.click(f"dl.facts a:has-text('{NEED_TITLE}')")
    page.wait_for_load_state()
    assert "已对接" in page.locator("h1 .badge").all_inner_texts()


def test_street_platform_imports_needs_and_the_district_platform_accepts_the_match(
        liaison_site, page, tmp_path):
    base_url, facts, app = liaison_site
    need, draft, bad = _rows(facts["today"])

    log_in(page, base_url, STREET_USER, PASSWORD)
    template = _download_template(page, base_url)
    _refused_upload(page, base_url, _filled(template, [need, bad], tmp_path, "bad.xlsx"),
                    app=app, user_id=facts["street_user_id"])
    _imported(page, base_url, _filled(template, [need, draft], tmp_path, "good.xlsx"))
    score, match_url = _propose(page, facts)
    assert page.errors == []
    _log_out(page)

    log_in(page, base_url, DISTRICT_USER, PASSWORD)
    _accept(page, base_url, match_url, score=score, facts=facts)
    assert page.errors == []
    _log_out(page)

    log_in(page, base_url, STREET_USER, PASSWORD)
    _seen_accepted(page, base_url, match_url)
    assert page.errors == []
