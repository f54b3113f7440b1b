"""Builders of pre-review test data: make_cycle, make_submission, and small valid attachments.

make_submission goes through the real services (register, claim, return, resubmit, pass,
forward, withdraw), so every submission it builds has the timeline and deadlines the app would
have given it.
"""
import io
import itertools
import zipfile
from datetime import date, datetime, time

from center.models.reviews import ReviewCycle, Submission
from center.services import reviews
from center.services.venue_rules import CENTER_TZ
from tests.factories import make_organization, make_user

_counter = itertools.count(1)
# The cycle the tests use by default: the 2025 reports, handed in during spring 2026.
DEFAULT_YEAR = 2025
# The order a submission passes through its states, as (state, step that reaches it).
_PATHS = {
    "received": (),
    "in_review": ("claim",),
    "returned": ("claim", "return"),
    "resubmitted": ("claim", "return", "resubmit"),
    "passed": ("claim", "pass"),
    "forwarded": ("claim", "pass", "forward"),
    "withdrawn": ("withdraw",),
}


def center_time(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A moment of the center's working day (Asia/Shanghai), as the services take `now`."""
    return datetime.combine(day, time(hour, minute), tzinfo=CENTER_TZ)


def make_cycle(session, year: int = DEFAULT_YEAR, **fields) -> ReviewCycle:
    """A cycle for report year `year`, open 1 Jan – 31 May of the following year, with the
    default service levels (5 / 3 / 5 working days) unless overridden."""
    cycle = ReviewCycle(year=year, opens_on=fields.pop("opens_on", date(year + 1, 1, 1)),
                        closes_on=fields.pop("closes_on", date(year + 1, 5, 31)),
                        first_review_days=fields.pop("first_review_days", 5),
                        re_review_days=fields.pop("re_review_days", 3),
                        correction_days=fields.pop("correction_days", 5), **fields)
    session.add(cycle)
    session.flush()
    return cycle


def make_submission(session, *, state: str = "received", organization=None, cycle=None,
                    year: int | None = None, received_on: date | None = None, now=None,
                    reviewer=None, actor=None, reasons=("signature_seal",),
                    comment: str | None = None, channel: str = "desk",
                    assigned_to=None) -> Submission:
    """A submission brought to `state` through the services, every step at `now`.

    The cycle is `cycle`, else the one for `year` (default 2025), created when missing.
    `now` defaults to 10:00 center time on `received_on`, and `received_on` to today.
    The reviewer (made when missing) claims, returns, passes; `actor` registers (default: the
    reviewer). The return reasons are seeded when needed.
    """
    if state not in _PATHS:
        raise ValueError(f"unknown state {state!r}")
    if cycle is None:
        year = DEFAULT_YEAR if year is None else year
        cycle = reviews.cycle_for_year(session, year) or make_cycle(session, year=year)
    if received_on is None:
        received_on = reviews.today_in_center(now)
    now = now or center_time(received_on)
    reviewer = reviewer or make_user(session, role="reviewer")
    submission = reviews.register_submission(
        session, organization=organization or make_organization(session), year=cycle.year,
        received_on=received_on, channel=channel, actor=actor or reviewer, now=now)
    if assigned_to is not None:
        reviews.assign(session, [submission], reviewer=assigned_to, actor=reviewer, now=now)
    for step in _PATHS[state]:
        _step(session, submission, step, reviewer=reviewer, reasons=reasons, comment=comment,
              now=now)
    return submission


def _step(session, submission, step, *, reviewer, reasons, comment, now):
    if step == "claim":
        reviews.claim(session, submission, reviewer=reviewer, now=now)
    elif step == "return":
        reviews.seed_return_reasons(session)
        reviews.return_submission(session, submission, reasons=list(reasons), comment=comment,
                                  actor=reviewer, now=now)
    elif step == "resubmit":
        reviews.resubmit(session, submission, actor=reviewer, now=now)
    elif step == "pass":
        reviews.pass_submission(session, submission, actor=reviewer, comment=comment, now=now)
    elif step == "forward":
        reviews.forward(session, submission, actor=reviewer, now=now)
    elif step == "withdraw":
        reviews.withdraw(session, submission, actor=reviewer, comment=comment or "测试撤回",
                         now=now)


# --- attachments: the smallest files that are what their names say ----------------------------

def pdf_bytes(text: str = "annual report") -> bytes:
    """A tiny but well-formed one-page PDF."""
    n = next(_counter)
    body = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
            + f"% {text} {n}\n".encode()
            + b"trailer<</Root 1 0 R>>\n%%EOF\n")
    return body


def xlsx_bytes(rows=(("项目", "金额"), ("收入", "100"))) -> bytes:
    """A real one-sheet workbook, written by the app's own writer."""
    from center.reports.xlsx import Sheet, workbook_bytes
    return workbook_bytes([Sheet("报表", list(rows[0]), [list(r) for r in rows[1:]])])


def zip_bytes(names=("readme.txt",)) -> bytes:
    """A zip that is not a workbook (no [Content_Types].xml / xl/workbook.xml)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()
