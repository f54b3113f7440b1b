"""The city-wide board: published posts only, filtered by kind, category, district and time; the
picture of needs against offers by district × category; the board page."""
from datetime import date, datetime, timezone

import pytest

from center.reports import liaison_board as board
from center.reports.liaison_board import BoardFilters
from center.services import liaison
from tests.factories import make_platform, make_region, make_user

TODAY = date(2026, 11, 2)


@pytest.fixture
def world(session):
    city = make_region(session, tier="city", name="北京市")
    east = make_region(session, tier="district", parent=city, name="东城区", code="110101")
    west = make_region(session, tier="district", parent=city, name="西城区", code="110102")
    street = make_region(session, tier="street", parent=east, name="东华门街道", code="110101001")
    users = {"street": make_user(session, role="platform",
                                 platform=make_platform(session, region=street)),
             "west": make_user(session, role="platform",
                               platform=make_platform(session, region=west)),
             "city": make_user(session, role="platform",
                               platform=make_platform(session, region=city)),
             "supervisor": make_user(session, role="supervisor")}
    session.commit()
    return users, {"east": east, "west": west}


def post(session, user, *, publish=True, **data):
    data = {"kind": "need", "category": "trainer", "title": "讲师", **data}
    created = liaison.create_post(session, data, actor=user, publish=publish,
                                  now=datetime(2026, 11, 1, tzinfo=timezone.utc))
    session.commit()
    return created


def titles(session, filters=BoardFilters()):
    return {p.title for p in session.scalars(board.board_query(filters, today=TODAY))}


def test_the_board_shows_published_posts_not_drafts_closed_or_past_expiry(session, world):
    users, _d = world
    post(session, users["street"], title="已发布")
    post(session, users["street"], title="草稿", publish=False)
    post(session, users["street"], title="过期", expires_on="2026-11-01")
    post(session, users["street"], title="今天到期", expires_on="2026-11-02")
    closed = post(session, users["west"], title="已关闭")
    liaison.close(session, closed, actor=users["west"])
    session.commit()
    assert titles(session) == {"已发布", "今天到期"}


def test_the_board_filters_by_kind_category_district_and_time(session, world):
    users, districts = world
    post(session, users["street"], title="东城需求讲师", starts_on="2026-12-01",
         ends_on="2026-12-10")
    post(session, users["street"], title="东城资源场地", kind="offer", category="venue")
    post(session, users["west"], title="西城需求讲师", starts_on="2027-01-05")
    post(session, users["city"], title="市级资源讲师", kind="offer", ends_on="2026-11-30")
    assert titles(session, BoardFilters(kind="offer")) == {"东城资源场地", "市级资源讲师"}
    assert titles(session, BoardFilters(category="venue")) == {"东城资源场地"}
    # a street's post belongs to its district
    assert titles(session, BoardFilters(district_id=districts["east"].id)) == {
        "东城需求讲师", "东城资源场地"}
    december = BoardFilters(date_from=date(2026, 12, 1), date_to=date(2026, 12, 31))
    assert titles(session, december) == {"东城需求讲师", "东城资源场地"}  # open windows overlap
    assert titles(session, BoardFilters(date_from=date(2027, 1, 1))) == {
        "西城需求讲师", "东城资源场地"}


def test_the_picture_counts_needs_and_offers_by_district_and_category(session, world):
    users, districts = world
    for _ in range(3):
        post(session, users["street"])  # 东城: 3 trainer needs
    post(session, users["west"], kind="offer")
    post(session, users["west"], kind="offer", category="venue")
    post(session, users["city"], kind="offer")
    post(session, users["street"], publish=False)  # a draft is not counted
    picture = board.needs_offers(session, BoardFilters(), today=TODAY)
    rows = {row.name: {c.category: (c.needs, c.offers) for c in row.cells} for row in picture.rows}
    assert list(rows) == ["东城区", "西城区", "北京市"]
    assert rows["东城区"]["trainer"] == (3, 0)
    assert rows["西城区"]["trainer"] == (0, 1) and rows["西城区"]["venue"] == (0, 1)
    assert rows["北京市"]["trainer"] == (0, 1)
    assert (picture.needs, picture.offers) == (3, 3)
    trainer_total = next(c for c in picture.totals if c.category == "trainer")
    assert (trainer_total.needs, trainer_total.offers) == (3, 2)
    (gap_row, gap_cell), = picture.gaps
    assert (gap_row.name, gap_cell.category, gap_cell.gap) == ("东城区", "trainer", 3)
    east_trainer = picture.rows[0].cells[0]
    assert east_trainer.tint in board.GAP_TINTS and east_trainer.need_width == board.BAR_WIDTH
    assert picture.rows[1].cells[0].tint in board.SURPLUS_TINTS


def test_the_picture_follows_the_category_and_district_filters(session, world):
    users, districts = world
    post(session, users["street"])
    post(session, users["west"], category="venue")
    picture = board.needs_offers(session, BoardFilters(category="venue",
                                                       district_id=districts["west"].id),
                                 today=TODAY)
    assert [code for code, _label in picture.categories] == ["venue"]
    assert [(r.name, r.needs) for r in picture.rows] == [("西城区", 1)]


def test_building_the_board_only_reads(session, world):
    users, _d = world
    post(session, users["street"])
    board.needs_offers(session, BoardFilters(), today=TODAY)
    session.scalars(board.board_query(BoardFilters(), today=TODAY)).all()
    assert not (session.new or session.dirty or session.deleted)


# --- the page --------------------------------------------------------------------------------

def test_the_board_page_shows_posts_and_the_picture_to_a_supervisor(auth, session, world):
    users, _d = world
    post(session, users["street"], title="财务讲师需求")
    post(session, users["street"], title="本平台草稿", publish=False)
    auth.login(users["supervisor"])
    response = auth.client.get("/liaison/board")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "财务讲师需求" in html and "本平台草稿" not in html
    assert "<svg" in html and "东城区" in html and "缺口最大" in html
    assert "<script" not in html.split("<main")[1]  # no script drawn into the page


def test_the_board_page_applies_good_filters_and_reports_bad_ones(auth, session, world):
    users, districts = world
    post(session, users["street"], title="东城讲师")
    post(session, users["west"], title="西城讲师")
    auth.login(users["street"])
    html = auth.client.get(f"/liaison/board?district={districts['west'].id}&category=money"
                           "&date_from=tomorrow").get_data(as_text=True)
    assert "西城讲师" in html and "东城讲师" not in html
    assert "未知的类别" in html and "日期格式" in html
    post(session, users["west"], title="十月讲师", starts_on="2026-10-01", ends_on="2026-10-31")
    html = auth.client.get("/liaison/board?date_from=2026-12-31&date_to=2026-12-01"
                           "&district=99999").get_data(as_text=True)
    assert "截止日期不能早于起始日期" in html and "请从列表中选择一个区" in html
    assert "十月讲师" in html  # a window that ends before it starts filters nothing, not half


def test_the_board_page_is_refused_to_organizations(auth, world):
    auth.login("org")
    assert auth.client.get("/liaison/board").status_code == 403


def test_the_board_page_runs_a_fixed_number_of_queries(auth, session, world, count_queries):
    users, _d = world
    auth.login(users["street"])
    auth.client.get("/liaison/board")
    for i in range(5):
        post(session, users["west"], title=f"讲师{i}")
        post(session, users["street"], title=f"场地{i}", kind="offer", category="venue")
    with count_queries() as few:
        auth.client.get("/liaison/board")
    for i in range(20):
        post(session, users["city"], title=f"更多{i}", category="course")
    with count_queries() as many:
        auth.client.get("/liaison/board")
    assert many.count == few.count
