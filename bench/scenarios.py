"""The benchmark scenarios: one registry, to which every module adds its pages.

A scenario names a URL per request number `i` (so requests rotate through queries or pages),
the demo user who makes it (None: anonymous), and the status it should answer. Exactly one
scenario is the baseline: a trivial route whose throughput the others are compared with.
`ctx` tells a scenario about the data set: {"scale", "organizations", "pages"}.
"""
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlencode


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Callable[[int, dict], str]
    user: str | None = "manager"  # a demo user name from center.services.demo.DEMO_USERS
    expect: int = 200
    baseline: bool = False


# Pinyin initials (北京市海淀区 → bjshdq) and name fragments present in the demo data.
SEARCHES = ["阳光", "bjshdq", "助残", "bjqsn", "社区营造", "基金会", "bjscyq", "养老", "xh",
            "志愿者", "bjsdcq", "心理", "bjsxcq", "服务站", "bj"]


def _search(i: int, ctx: dict) -> str:
    return "/organizations?" + urlencode({"q": SEARCHES[i % len(SEARCHES)]})


def _directory_page(i: int, ctx: dict) -> str:
    return f"/organizations?page={i % ctx['pages'] + 1}"


SCENARIOS: list[Scenario] = [
    Scenario("trivial: static css", lambda i, ctx: "/static/css/center.css", user=None,
             baseline=True),
    Scenario("login page", lambda i, ctx: "/login", user=None),
    Scenario("organization search", _search),
    Scenario("directory list", _directory_page),
]
