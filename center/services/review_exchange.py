"""Excel exchange of the pre-review: bulk intake from the registration authority's list, and
the exports of the queue and of a cycle's results.

Bulk intake rules (also on the template's 说明 sheet and the upload page):
- One row per annual report: credit code and report year required, receipt date optional
  (today when blank). The organization must be in the directory; the name column only helps
  read the messages.
- Every row is checked before anything is written; one bad row means nothing is taken in, and
  each problem is reported by row number, column and reason.
- One live submission per organization and year: a second row for the same pair in the file, or
  a pair that already has a live submission, is an error of that row.
Exports write text cells that can never become formulas (center.reports.xlsx); column labels
are a file format, so they are fixed Chinese text.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from center.models.accounts import User
from center.models.base import utcnow
from center.models.directory import TYPE_LABELS, Organization
from center.models.reviews import (CHANNEL_LABELS, REVIEW_STATE_LABELS, IntakeChannel,
                                   ReturnReason, ReviewCycle, ReviewEvent, ReviewState, Submission)
from center.reports.review_queue import WorkdayCounter
from center.reports.xlsx import Sheet, workbook_bytes
from center.services import reviews
from center.services.directory import credit_code_problem, normalize_credit_code
from center.services.directory_exchange import CHUNK, _Rows, _read, _text, _workbook
from center.services.errors import ConflictError, DomainError
from center.services.spreadsheets import Column
from center.services.venue_rules import CENTER_TZ

INTAKE_COLUMNS = [
    Column("credit_code", "统一社会信用代码", required=True), Column("name", "组织名称"),
    Column("year", "年度", required=True), Column("received_on", "接收日期"),
]
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
YEAR_RE = re.compile(r"^(\d{4})\s*年?(度)?$")


@dataclass
class IntakeResult:
    created: list[Submission] = field(default_factory=list)


@dataclass
class _Row:
    number: int
    organization: Organization | None
    cycle: ReviewCycle | None
    received_on: date | None


def parse_year(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = YEAR_RE.match(_text(value) or "")
    return int(match.group(1)) if match else None


def parse_day(value) -> date | None:
    """A date cell, or text like 2026-03-05, 2026/3/5 or 2026年3月5日; None when unreadable."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = DATE_RE.match(_text(value) or "")
    try:
        return date(*map(int, match.groups())) if match else None
    except ValueError:
        return None


class _Intake:
    """Checks the rows of one file against the directory, the cycles and the live submissions."""

    def __init__(self, session, rows, today: date):
        self.session, self.today = session, today
        self.check = _Rows(INTAKE_COLUMNS)
        codes = {normalize_credit_code(_text(row.get("credit_code"))) for _n, row in rows}
        self.orgs = self._organizations(sorted(c for c in codes if c))
        self.answers: dict = {}

    def _organizations(self, codes: list[str]) -> dict[str, Organization]:
        found = {}
        for start in range(0, len(codes), CHUNK):
            for org in self.session.scalars(select(Organization).where(
                    Organization.credit_code.in_(codes[start:start + CHUNK]))):
                found[org.credit_code] = org
        return found

    def row(self, number: int, values: dict) -> _Row:
        self.check.row = number
        org = self._organization(values)
        year, received_on = self._year(values.get("year")), self._received_on(values)
        if year is None or received_on is None:
            return _Row(number, org, None, received_on)
        cycle, problems = self._rules(year, received_on)
        for key, message in problems.items():
            self.check.report(key if key in ("year", "received_on") else "credit_code", message)
        return _Row(number, org, None if problems else cycle, received_on)

    def _rules(self, year: int, received_on: date):
        """The desk's rules (a cycle for the year, the receipt date within it), from one place;
        asked once per distinct year and date, as a list holds few of them."""
        key = (year, received_on)
        if key not in self.answers:
            self.answers[key] = reviews.intake_problems(
                self.session, year=year, received_on=received_on,
                channel=IntakeChannel.bulk.value, today=self.today)
        return self.answers[key]

    def _organization(self, values: dict) -> Organization | None:
        code = normalize_credit_code(_text(values.get("credit_code")))
        problem = credit_code_problem(code) if code else _l("请填写统一社会信用代码。")
        org = None if problem else self.orgs.get(code)
        if problem:
            self.check.report("credit_code", problem)
        elif org is None:
            name = _text(values.get("name"))
            self.check.report("credit_code", _l("名录中没有这个统一社会信用代码的组织（表中名称：%(name)s）。",
                                                name=name) if name else
                              _l("名录中没有这个统一社会信用代码的组织。"))
        elif org.archived_at is not None:
            self.check.report("credit_code", _l("“%(name)s”已归档，请先在名录中恢复。", name=org.name))
            org = None
        return org

    def _year(self, value) -> int | None:
        year = parse_year(value) if value is not None else None
        if value is None:
            self.check.report("year", _l("请填写年度，如 %(year)d。", year=self.today.year - 1))
        elif year is None:
            self.check.report("year", _l("年度应为四位数字，如 %(year)d。", year=self.today.year - 1))
        return year

    def _received_on(self, values: dict) -> date | None:
        value = values.get("received_on")
        if value is None:
            return self.today
        day = parse_day(value)
        if day is None:
            self.check.report("received_on", _l("日期格式应为 2026-03-05。"))
        return day

    def duplicates(self, rows: list[_Row]) -> None:
        """One live submission per organization and year: in the file and in the database."""
        seen, pairs = {}, [r for r in rows if r.organization and r.cycle]
        live = self._live({r.organization.id for r in pairs})
        for r in pairs:
            key = (r.organization.id, r.cycle.id)
            self.check.row = r.number
            if key in seen:
                self.check.report("credit_code", _l("与第 %(row)d 行重复：同一组织同一年度只能登记一份。",
                                                    row=seen[key]))
            elif key in live:
                self.check.report("credit_code", _l("该组织 %(year)d 年度的年报已登记，回执号 %(no)s。",
                                                    year=r.cycle.year, no=live[key]))
            seen.setdefault(key, r.number)

    def _live(self, org_ids: set[int]) -> dict[tuple[int, int], str]:
        ids, found = sorted(org_ids), {}
        for start in range(0, len(ids), CHUNK):
            found.update({(org, cycle): no for org, cycle, no in self.session.execute(
                select(Submission.organization_id, Submission.cycle_id, Submission.receipt_no)
                .where(Submission.organization_id.in_(ids[start:start + CHUNK]),
                       Submission.state != ReviewState.withdrawn.value))})
        return found


def import_submissions(session, data: bytes, *, actor, max_rows: int, max_uncompressed: int,
                       now: datetime | None = None) -> IntakeResult:
    """Take in every row of the list, or none (see the module docstring); RowErrors lists the
    problems. Each report gets its receipt number and deadline as at the desk."""
    now = now or utcnow()
    table = _read(data, INTAKE_COLUMNS, max_rows=max_rows, max_uncompressed=max_uncompressed)
    intake = _Intake(session, table, reviews.today_in_center(now))
    rows = [intake.row(number, values) for number, values in table]
    intake.duplicates(rows)
    intake.check.raise_if_any()
    result = IntakeResult()
    try:
        for r in rows:
            result.created.append(reviews.register_submission(
                session, organization=r.organization, year=r.cycle.year,
                received_on=r.received_on, channel=IntakeChannel.bulk.value, actor=actor, now=now))
    except (DomainError, IntegrityError):
        # Checked above, so only a concurrent intake of the same report gets here.
        raise ConflictError(_l("导入期间有人同时登记了其中的年报，未导入任何数据。请重新上传。")) from None
    return result


def intake_template(*, max_rows: int) -> bytes:
    """The bulk-intake template: the header row, and a 说明 sheet with the rules."""
    notes = [
        _l("在第一个工作表“年报清单”中从第2行起每行填写一份年报；请勿修改第1行的表头。"),
        _l("必填：统一社会信用代码（18位）、年度（报告所属年度，如 2025）。组织须已在社会组织名录中。"),
        _l("组织名称可留空，只用于核对和提示；接收日期留空为导入当天，格式如 2026-03-05。"),
        _l("同一组织同一年度只能有一份在办年报：表内重复或已登记的，都会逐行列出。"),
        _l("上传后先检查所有行：任何一行有错误，都不会导入任何数据，并按行号、列名列出原因。"),
        _l("每个文件最多 %(n)d 行，只接受 .xlsx 格式。", n=max_rows),
    ]
    return _workbook("年报清单", INTAKE_COLUMNS, [], notes)


# --- exports ---------------------------------------------------------------------------------

QUEUE_HEADERS = ["回执号", "组织名称", "统一社会信用代码", "组织类型", "所在区", "年度", "状态",
                 "接收方式", "接收日期", "进入队列日期", "预审期限", "期限待定", "逾期工作日",
                 "分派给", "预审人", "退回次数", "改正期限"]
RESULT_HEADERS = ["回执号", "组织名称", "统一社会信用代码", "组织类型", "所在区", "接收方式",
                  "接收日期", "状态", "退回次数", "最近退回原因", "最近退回说明", "通过日期",
                  "通过人", "转登记管理机关日期"]


def _local_date(moment: datetime | None) -> date | None:
    return moment.astimezone(CENTER_TZ).date() if moment else None


def _clean(rows):
    """Cells as given, with characters Excel cannot store removed from text."""
    for row in rows:
        yield [_text(v) if isinstance(v, str) else v for v in row]


def _org_cells(org: Organization) -> list:
    return [org.name, org.credit_code, str(TYPE_LABELS.get(org.type, org.type)),
            org.district.name if org.district else None]


def queue_rows(session, submissions, *, today: date, names: dict[int, str]):
    """Rows of the queue export, in the order given (streamed)."""
    counter = WorkdayCounter(session, today - timedelta(days=366), today)
    for s in submissions:
        late = counter.until_last(s.due_on) if s.is_overdue(today) else None
        yield [s.receipt_no, *_org_cells(s.organization), s.cycle.year,
               str(REVIEW_STATE_LABELS[s.state]), str(CHANNEL_LABELS[s.channel]), s.received_on,
               s.queued_on, s.due_on, "是" if s.due_on and s.due_provisional else None, late,
               names.get(s.assigned_to_id), names.get(s.claimed_by_id), s.return_count,
               s.correction_due_on]


def export_queue(session, stmt, *, today: date, names: dict[int, str]) -> bytes:
    """The queue as filtered on screen, every matching row (not just one page)."""
    items = session.scalars(stmt.options(selectinload(Submission.cycle))
                            .execution_options(yield_per=1000))
    return workbook_bytes([Sheet("预审队列", QUEUE_HEADERS,
                                 _clean(queue_rows(session, items, today=today, names=names)))])


def _last_returns(session, cycle_id: int) -> dict[int, ReviewEvent]:
    """The latest return of each returned submission of the cycle (one query)."""
    latest = (select(func.max(ReviewEvent.id)).join(Submission)
              .where(Submission.cycle_id == cycle_id, ReviewEvent.kind == "returned")
              .group_by(ReviewEvent.submission_id))
    return {e.submission_id: e for e in session.scalars(
        select(ReviewEvent).where(ReviewEvent.id.in_(latest)))}


def result_rows(session, cycle: ReviewCycle, reasons: dict[str, str], names: dict[int, str]):
    returns = _last_returns(session, cycle.id)
    items = session.scalars(select(Submission).join(Submission.organization)
                            .options(contains_eager(Submission.organization))
                            .where(Submission.cycle_id == cycle.id)
                            .order_by(Submission.received_on, Submission.id)
                            .execution_options(yield_per=1000))
    for s in items:
        last = returns.get(s.id)
        yield [s.receipt_no, *_org_cells(s.organization), str(CHANNEL_LABELS[s.channel]),
               s.received_on, str(REVIEW_STATE_LABELS[s.state]), s.return_count,
               "；".join(reasons.get(c, c) for c in last.reason_list) if last else None,
               last.comment if last else None, _local_date(s.passed_at),
               names.get(s.passed_by_id), _local_date(s.forwarded_at)]


def summary_rows(session, cycle: ReviewCycle, reasons: dict[str, str]):
    """Counts by state, then how often each reason was given in the cycle's returns."""
    states = dict(session.execute(select(Submission.state, func.count())
                                  .where(Submission.cycle_id == cycle.id)
                                  .group_by(Submission.state)).all())
    rows = [["状态", str(label), states.get(state, 0)]
            for state, label in REVIEW_STATE_LABELS.items()]
    given: dict[str, int] = {}
    for codes in session.scalars(select(ReviewEvent.reason_codes).join(Submission).where(
            Submission.cycle_id == cycle.id, ReviewEvent.kind == "returned")):
        for code in codes.split():
            given[code] = given.get(code, 0) + 1
    rows += [["退回原因", reasons.get(code, code), n]
             for code, n in sorted(given.items(), key=lambda kv: -kv[1])]
    return rows


def export_results(session, cycle: ReviewCycle) -> bytes:
    """A cycle's results: one row per submission with its outcome, and a summary sheet."""
    reasons = dict(session.execute(select(ReturnReason.code, ReturnReason.label)).all())
    names = dict(session.execute(select(User.id, User.display_name)).all())
    return workbook_bytes([
        Sheet(f"{cycle.year}年度预审结果", RESULT_HEADERS,
              _clean(result_rows(session, cycle, reasons, names))),
        Sheet("统计", ["类别", "项目", "数量"], _clean(summary_rows(session, cycle, reasons)),
              widths=[12, 50, 10]),
    ])
