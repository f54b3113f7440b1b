"""The benchmark scenarios: one registry, to which every module adds its pages.

A scenario names a URL per request number `i` (so requests rotate through queries or pages),
the demo user who makes it (None: anonymous), and the status it should answer. Exactly one
scenario is the baseline: a trivial route whose throughput the others are compared with.
`ctx` tells a scenario about the data set: {"scale", "organizations", "pages"}, and for the
venues {"venue_ids", "organization_ids", "weeks", "free_days", "bookings"} (bench/venues_data.py).
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
]
