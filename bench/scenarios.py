"""The benchmark scenarios: one registry, to which every module adds its pages.

A scenario names a URL per request number `i` (so requests rotate through queries or pages),
the demo user who makes it (None: anonymous), and the status it should answer. Exactly one
scenario is the baseline: a trivial route whose throughput the others are compared with.
`ctx` tells a scenario about the data set: {"scale", "organizations", "pages"}, for the
venues {"venue_ids", "organization_ids", "weeks", "free_days", "bookings"} (bench/venues_data.py),
for the liaison {"need_ids", "district_ids"} (bench/liaison_data.py).
The consultation scenarios need the data of bench/consultations_data.py to say much.
An API scenario (`token=True`) sends the user's API token instead of logging in; with `body`
it POSTs that JSON.
"""
import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable
from urllib.parse import urlencode
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Callable[[int, dict], str]
    user: str | None = "manager"  # a demo user name from center.services.demo.DEMO_USERS
    expect: int = 200
    baseline: bool = False
    body: Callable[[int, dict], dict] | None = None  # a JSON body to POST
    token: bool = False  # authenticate with the user's API token, not the login form

    def request(self, i: int, ctx: dict) -> tuple[str, str, dict | None]:
        """(method, path, JSON body or None) of request number i."""
        if self.body is None:
            return "GET", self.path(i, ctx), None
        return "POST", self.path(i, ctx), self.body(i, ctx)


# Pinyin initials (北京市海淀区 → bjshdq) and name fragments present in the demo data.
SEARCHES = ["阳光", "bjshdq", "助残", "bjqsn", "社区营造", "基金会", "bjscyq", "养老", "xh",
            "志愿者", "bjsdcq", "心理", "bjsxcq", "服务站", "bj"]


def _search(i: int, ctx: dict) -> str:
    return "/organizations?" + urlencode({"q": SEARCHES[i % len(SEARCHES)]})


def _directory_page(i: int, ctx: dict) -> str:
    return f"/organizations?page={i % ctx['pages'] + 1}"


def _monday(i: int, ctx: dict) -> date:
    """Weeks of the data set in a scattered order (a stride prime to their count)."""
    mondays = ctx["weeks"]
    return mondays[(i * 7919) % len(mondays)]


def _week_calendar(i: int, ctx: dict) -> str:
    year, week, _day = _monday(i, ctx).isocalendar()
    return "/venues/week?" + urlencode({"week": f"{year}-W{week:02d}"})


def _week_bookings(i: int, ctx: dict) -> str:
    monday = _monday(i, ctx)
    return "/api/v1/bookings?" + urlencode({"from": monday.isoformat(), "per_page": 100,
                                             "to": (monday + timedelta(days=6)).isoformat()})


CENTER_TZ = ZoneInfo("Asia/Shanghai")
SLOT_MINUTES, SLOTS_PER_DAY = 30, 26  # 08:00–21:00, the benchmark venues' hours
# One counter for every booking request of the run (in-process counting, warm-up, measuring),
# so each asks for a slot nobody has asked for: free unless the data set holds it.
_slots = itertools.count()


def _new_booking(i: int, ctx: dict) -> dict:
    n = next(_slots)
    venues, orgs, days = ctx["venue_ids"], ctx["organization_ids"], ctx["free_days"]
    k = n // len(venues)
    day = days[(k // SLOTS_PER_DAY) % len(days)]
    start = datetime.combine(day, time(8), CENTER_TZ) + timedelta(
        minutes=SLOT_MINUTES * (k % SLOTS_PER_DAY))
    return {"venue_id": venues[n % len(venues)], "organization_id": orgs[n % len(orgs)],
            "title": f"基准测试预约 {n}", "attendees": 10, "start": start.isoformat(),
            "end": (start + timedelta(minutes=SLOT_MINUTES)).isoformat()}


# The organization picker, keystroke by keystroke: the start of a distinctive part of the name
# (1–4 Chinese characters), pinyin initials and credit-code prefixes, as staff type them.
TYPED = ["朝阳区", "阳光助残", "养老服务", "社会工作", "志愿服务", "蒲公英", "心理健康", "北京市",
         "基金会", "bjscyq", "bjshdq", "bjyg", "52110105", "53110000", "5111"]
KEYSTROKES = [word[:n] for word in TYPED for n in range(1, len(word) + 1)]
# Consultation searches, from a fifth of the rows to none (bench/consultations_data.py prints
# how many each finds), and receipt numbers (受理号) that find one row or none.
CONSULTATION_TERMS = ["年检", "审计", "年度工作报告", "换届", "公开募捐", "免税资格", "党支部",
                      "劳动合同", "心理", "捐赠票据", "垃圾分类", "非遗", "赵女士", "填报入口",
                      "区块链"]


def _suggest(i: int, ctx: dict) -> str:
    return "/organizations/suggest?" + urlencode({"q": KEYSTROKES[i % len(KEYSTROKES)]})


def _consultation_term(i: int) -> str:
    if i % 8 == 7:
        return f"受理号 {i * 7919 % 10**6:06d}"
    return CONSULTATION_TERMS[i % len(CONSULTATION_TERMS)]


def _consultation_page(i: int, ctx: dict) -> str:
    return "/consultations?" + urlencode({"q": _consultation_term(i)})


def _consultation_api(i: int, ctx: dict) -> str:
    return "/api/v1/consultations?" + urlencode({"q": _consultation_term(i)})


TOPICS = ["policy", "annual_check", "finance", "governance", "project", "party_building", "hr",
          "fundraising", "wellbeing", "other"]


def _consultation_month(i: int, ctx: dict) -> str:
    """One topic in one of the last 24 months."""
    today = date.today()
    year, month = divmod(today.year * 12 + today.month - 2 - i % 24, 12)
    first = date(year, month + 1, 1)
    last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    return "/api/v1/consultations?" + urlencode({
        "from": first.isoformat(), "to": last.isoformat(), "topic": TOPICS[i % len(TOPICS)]})


# Liaison (bench/liaison_data.py): the board with the filters people use, the API list, and the
# ranked offers of published needs (ctx["need_ids"], a scattered sample; ctx["district_ids"]).
LIAISON_CATEGORIES = ["trainer", "venue", "visit", "funding", "volunteer", "course", "other"]


def _board_filters(i: int, ctx: dict) -> dict:
    """No filter, a kind, a category, a district, a month's window, and combinations."""
    params, today = {}, date.today()
    if i % 2:
        params["kind"] = ("need", "offer")[i // 2 % 2]
    if i % 3 == 1:
        params["category"] = LIAISON_CATEGORIES[i % len(LIAISON_CATEGORIES)]
    districts = ctx.get("district_ids") or []
    if i % 4 == 2 and districts:
        params["district"] = districts[i % len(districts)]
    if i % 5 == 3:
        first = today + timedelta(days=30 * (i % 6))
        params.update(date_from=first.isoformat(),
                      date_to=(first + timedelta(days=30)).isoformat())
    return params


def _liaison_board(i: int, ctx: dict) -> str:
    params = _board_filters(i, ctx)
    return "/liaison/board" + ("?" + urlencode(params) if params else "")


def _liaison_api_list(i: int, ctx: dict) -> str:
    params = {key: value for key, value in _board_filters(i, ctx).items()
              if key in ("kind", "category")}
    params.update(status="published", per_page=50, page=i % 5 + 1)
    return "/api/v1/platform-posts?" + urlencode(params)


def _need(i: int, ctx: dict) -> int:
    needs = ctx["need_ids"]
    return needs[(i * 7919) % len(needs)]


SCENARIOS: list[Scenario] = [
    Scenario("trivial: static css", lambda i, ctx: "/static/css/center.css", user=None,
             baseline=True),
    Scenario("login page", lambda i, ctx: "/login", user=None),
    Scenario("organization search", _search),
    Scenario("directory list", _directory_page),
    Scenario("venues: week, all venues", _week_calendar, user="frontdesk"),
    Scenario("venues: API week list", _week_bookings, user="frontdesk", token=True),
    Scenario("venues: API book", lambda i, ctx: "/api/v1/bookings", user="manager",
             token=True, body=_new_booking, expect=201),
    Scenario("org suggest: keystrokes", _suggest, user="frontdesk"),
    Scenario("consult: page, q=", _consultation_page, user="frontdesk"),
    Scenario("consult: API, q=", _consultation_api, user="frontdesk", token=True),
    Scenario("consult: API, month+topic", _consultation_month, user="frontdesk", token=True),
    Scenario("liaison: board page", _liaison_board, user="platform"),
    Scenario("liaison: API list", _liaison_api_list, user="platform", token=True),
    Scenario("liaison: API ranked offers",
             lambda i, ctx: f"/api/v1/platform-posts/{_need(i, ctx)}/matches",
             user="platform", token=True),
    Scenario("liaison: ranked offers page",
             lambda i, ctx: f"/liaison/posts/{_need(i, ctx)}/matches", user="frontdesk"),
]

# The pre-review's scenarios live beside their data set (they import Scenario from here).
from bench.review_scenarios import REVIEW_SCENARIOS  # noqa: E402

SCENARIOS.extend(REVIEW_SCENARIOS)
