"""Demo pre-review data: this spring's cycle with a few hundred reports in every state.

Six weeks of the peak are played through, working day by working day up to yesterday: reports
come in (more each week), reviewers claim the item due first and pass or return it with checklist
reasons, organizations resubmit a few days later, passed reports are forwarded, and people phone
or look up their status (fewer calls, more lookups as the weeks go by). So the queue, timelines,
the dashboard's pace and forecast and the public lookup all show something real. The demo
organization's own report then goes through the real services: received two days ago, returned
yesterday with two reasons, so its user has a notification, sees the reasons and can resubmit.

The play follows the state machine's rules (center.services.reviews) but writes its rows with
core INSERTs in batches: the same generator fills the benchmarks' 50,000 submissions
(bench/reviews_data.py), and a demo should not take minutes. Deadlines come from the shared
working-day calendar. Deterministic: one seeded generator, a fixed order, dates counted back from
`now`. A second run adds nothing.
"""
import hashlib
import heapq
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import exists, func, insert, select

from center.models.accounts import User
from center.models.base import utcnow
from center.models.directory import Organization
from center.models.reviews import (ReviewCycle, ReviewDuty, ReviewEnquiry, ReviewEvent,
                                   Submission, SubmissionFile)
from center.services import audit, calendar, reviews
from center.services.review_intake import RECEIPT_ALPHABET
from center.services.venue_rules import CENTER_TZ

SUBMISSIONS, DAYS = 240, 30  # the demo: reports, working days played (ending yesterday)
RETURN_SHARE = 0.3
REASON_WEIGHTS = {"signature_seal": 30, "financial_statements": 22, "basic_info": 14,
                  "attachments": 12, "arithmetic": 8, "party_building": 6, "governance": 4,
                  "late": 2, "activities": 2}
COMMENTS = ["请补盖单位公章后重新提交。", "资产负债表合计数与审计报告不一致，请核对。",
            "法定代表人签字缺失。", "附件无法打开，请重新上传 PDF。", None, None, None]
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
BATCH = 5000


def add_reviews(session, *, now: datetime | None = None) -> int:
    """The demo cycle and its submissions; returns how many (0 when it already has some)."""
    now = now or utcnow()
    today = reviews.today_in_center(now)
    reviews.seed_return_reasons(session)
    days = past_working_days(session, today, DAYS)
    cycle = demo_cycle(session, year=today.year - 1, first=days[0], today=today)
    if session.scalar(select(Submission.id).where(Submission.cycle_id == cycle.id).limit(1)):
        return 0
    people = {role: session.scalar(select(User).where(User.role == role).order_by(User.id)
                                   .limit(1))
              for role in ("reviewer", "manager", "frontdesk", "org")}
    if people["reviewer"] is None or people["manager"] is None:
        return 0
    own = people["org"].organization_id if people["org"] is not None else None
    orgs = organizations_without_report(session, cycle, SUBMISSIONS - bool(own), skip=own)
    peak = Peak(session, cycle, days, [people["reviewer"].id, people["manager"].id],
                quotas=[(5, 7), (1, 3)], seed=2026, staff=[people["frontdesk"].id,
                                                           people["reviewer"].id])
    made = peak.play(orgs)
    if own is not None:
        made += _own_report(session, cycle, days, session.get(Organization, own), people)
    on_duty = set(session.scalars(select(ReviewDuty.user_id)))
    session.add_all(ReviewDuty(user_id=u.id, since=now) for u in (people["reviewer"],
                                                                  people["manager"])
                    if u.id not in on_duty)
    session.flush()
    return made


def past_working_days(session, today: date, count: int) -> list[date]:
    first = calendar.add_working_days(session, today, -count).day
    return [d.day for d in calendar.days_between(session, first, today - timedelta(days=1))
            if d.is_workday]


def demo_cycle(session, *, year: int, first: date, today: date) -> ReviewCycle:
    """The report year's cycle; its window (1 Jan – 31 May) widened to the played dates."""
    cycle = reviews.cycle_for_year(session, year)
    if cycle is None:
        audit.acting(session, None)
        cycle = ReviewCycle(year=year, opens_on=min(date(year + 1, 1, 1), first),
                            closes_on=max(date(year + 1, 5, 31), today), first_review_days=5,
                            re_review_days=3, correction_days=5,
                            note="演示数据：窗口按演示日期放宽。")
        session.add(cycle)
        session.flush()
    return cycle


def organizations_without_report(session, cycle, count: int, *, skip=None) -> list[int]:
    """Ids of `count` organizations with no live report in the cycle, by credit code."""
    has_report = exists().where(Submission.organization_id == Organization.id,
                                Submission.cycle_id == cycle.id,
                                Submission.state != "withdrawn")
    return list(session.scalars(select(Organization.id).where(
        Organization.archived_at.is_(None), ~has_report, Organization.id != (skip or 0))
        .order_by(Organization.credit_code).limit(count)))


def at(day: date, minutes: int) -> datetime:
    """A moment `minutes` after 09:00 on `day`, center time."""
    return datetime.combine(day, time(9), CENTER_TZ) + timedelta(minutes=minutes)


def _own_report(session, cycle, days, organization, people) -> int:
    """The demo organization's report, through the services: returned yesterday."""
    reviewer = people["reviewer"]
    submission = reviews.register_submission(
        session, organization=organization, year=cycle.year, received_on=days[-2],
        channel="online", actor=people["org"], now=at(days[-2], 20))
    reviews.claim(session, submission, reviewer=reviewer, now=at(days[-1], 470))
    reviews.return_submission(
        session, submission, reasons=["signature_seal", "financial_statements"],
        comment="第 3 页缺法定代表人签字；资产负债表合计数与审计报告不一致。",
        actor=reviewer, now=at(days[-1], 480))
    return 1


class Peak:
    """Plays the peak day by day on plain rows, then writes them in batches."""

    def __init__(self, session, cycle, days, reviewer_ids, *, quotas, seed, staff,
                 files=True, enquiries_per_day=(12, 20)):
        self.session, self.cycle, self.days = session, cycle, days
        self.reviewers, self.quotas, self.staff = reviewer_ids, quotas, staff
        self.rng, self.files = random.Random(seed), files
        self.enquiries_per_day = enquiries_per_day  # (calls on the first day, lookups on the last)
        self.reasons = [r.code for r in reviews.active_reasons(session)
                        if r.code in REASON_WEIGHTS]
        self.rows, self.events, self.enquiries = [], [], []
        self.queue: list[tuple[date, int]] = []  # (due_on, row index): claim next = smallest
        self.later: dict[int, list[tuple[str, int]]] = {}  # day index -> (step, row index)
        self._deadlines: dict[tuple[date, int], calendar.Deadline] = {}
        self.receipts = set(session.scalars(select(Submission.receipt_no)
                                            .where(Submission.cycle_id == cycle.id)))

    def play(self, organization_ids: list[int]) -> int:
        plan = self._intake_plan(organization_ids)
        for index, day in enumerate(self.days):
            for step, row in self.later.pop(index, []):
                (self._resubmit if step == "resubmit" else self._forward)(row, day)
            for n, org_id in enumerate(plan.get(index, [])):
                self._receive(org_id, day, n, withdraw=index % 10 == 3 and n == 0)
            self._work(index, day, last=index == len(self.days) - 1)
            self._enquire(index, day)
        self._write()
        return len(self.rows)

    def _intake_plan(self, organization_ids) -> dict[int, list[int]]:
        """More reports come in each week as the deadline nears."""
        weights = [1 + i / 10 for i in range(len(self.days))]
        picks = sorted(self.rng.choices(range(len(self.days)), weights, k=len(organization_ids)))
        plan = {}
        for org_id, index in zip(organization_ids, picks):
            plan.setdefault(index, []).append(org_id)
        return plan

    def _deadline(self, day: date, n: int) -> calendar.Deadline:
        if (day, n) not in self._deadlines:
            self._deadlines[(day, n)] = calendar.add_working_days(self.session, day, n)
        return self._deadlines[(day, n)]

    def _event(self, row: int, kind: str, moment: datetime, actor, reasons=(), comment=None):
        sub = self.rows[row]
        sub["updated_at"] = moment
        self.events.append({"row": row, "kind": kind, "at": moment, "actor_id": actor,
                            "reason_codes": " ".join(reasons), "comment": comment,
                            "state": sub["state"], "due_on": sub["due_on"]})

    def _wait(self, row: int, day: date, days: int, state: str) -> None:
        deadline = self._deadline(day, days)
        self.rows[row].update(state=state, queued_on=day, due_on=deadline.day,
                              due_provisional=deadline.provisional, correction_due_on=None)
        heapq.heappush(self.queue, (deadline.day, row))

    def _receive(self, org_id, day, n, *, withdraw):
        moment = at(day, n % 120)  # reports come in during the morning
        self.rows.append({
            "cycle_id": self.cycle.id, "organization_id": org_id, "receipt_no": self._receipt(),
            "state": "received", "channel": self.rng.choice(("desk", "desk", "online")),
            "received_on": day, "queued_on": day, "due_on": None, "due_provisional": False,
            "correction_due_on": None, "return_count": 0, "assigned_to_id": None,
            "claimed_by_id": None, "claimed_at": None, "passed_at": None, "passed_by_id": None,
            "forwarded_at": None, "created_by_id": self.staff[0], "created_at": moment,
            "updated_at": moment})
        row = len(self.rows) - 1
        self._wait(row, day, self.cycle.first_review_days, "received")
        self._event(row, "received", moment, self.staff[0])
        if withdraw:  # a mistaken intake, taken out at once
            self.queue.remove((self.rows[row]["due_on"], row))
            heapq.heapify(self.queue)
            self.rows[row].update(state="withdrawn", due_on=None)
            self._event(row, "withdrawn", moment + timedelta(minutes=1), self.staff[0],
                        comment="重复登记，撤回。")

    def _work(self, index, day, *, last):
        """Each reviewer claims the item due first and decides it, a daily quota each; on the
        last day each ends holding one more."""
        for reviewer, (low, high) in zip(self.reviewers, self.quotas):
            quota = self.rng.randint(low, high)
            step = max(1, 300 // (quota + 1))
            for n in range(quota + last):
                if not self.queue:
                    return
                _due, row = heapq.heappop(self.queue)
                minute = 150 + n * step + self.rng.randint(0, step - 1)
                self.rows[row].update(state="in_review", claimed_by_id=reviewer,
                                      claimed_at=at(day, minute))
                self._event(row, "claimed", at(day, minute), reviewer)
                if n < quota:
                    self._decide(row, reviewer, index, day, at(day, minute + 1))

    def _decide(self, row, reviewer, index, day, moment):
        sub = self.rows[row]
        sub.update(claimed_by_id=None, claimed_at=None)
        if self.rng.random() < RETURN_SHARE:
            correction = self._deadline(day, self.cycle.correction_days)
            sub.update(state="returned", due_on=None, due_provisional=correction.provisional,
                       correction_due_on=correction.day, return_count=sub["return_count"] + 1)
            self._event(row, "returned", moment, reviewer, reasons=self._reasons(),
                        comment=self.rng.choice(COMMENTS))
            self.later.setdefault(index + self.rng.randint(1, 7), []).append(("resubmit", row))
        else:
            sub.update(state="passed", due_on=None, passed_at=moment, passed_by_id=reviewer)
            self._event(row, "passed", moment, reviewer)
            self.later.setdefault(index + 2, []).append(("forward", row))

    def _resubmit(self, row, day):
        self._wait(row, day, self.cycle.re_review_days, "resubmitted")
        self._event(row, "resubmitted", at(day, 70 + self.rng.randint(0, 60)), None)

    def _forward(self, row, day):
        moment = at(day, 450 + self.rng.randint(0, 20))
        self.rows[row].update(state="forwarded", forwarded_at=moment)
        self._event(row, "forwarded", moment, self.reviewers[-1])

    def _reasons(self) -> list[str]:
        weights = [REASON_WEIGHTS[c] for c in self.reasons]
        return list(dict.fromkeys(self.rng.choices(self.reasons, weights,
                                                   k=self.rng.choice((1, 1, 2)))))

    def _receipt(self) -> str:
        while True:
            number = f"{self.cycle.year}-" + "".join(self.rng.choice(RECEIPT_ALPHABET)
                                                     for _ in range(8))
            if number not in self.receipts:
                self.receipts.add(number)
                return number

    def _enquire(self, index, day):
        """Calls fall and lookups rise as the weeks go by (scaled to the volume)."""
        share = index / max(1, len(self.days) - 1)
        calls, lookups = self.enquiries_per_day
        known = len(self.rows)
        for n in range(round(calls * (1 - 2 * share / 3))):
            row = self.rng.randrange(known) if known and self.rng.random() < 0.7 else None
            self.enquiries.append({"source": "phone" if self.rng.random() < 0.85 else "visit",
                                   "row": row, "staff_id": self.rng.choice(self.staff),
                                   "at": at(day, 10 + n * 400 // max(1, calls))})
        for n in range(round(lookups * (0.1 + 0.9 * share)) if known else 0):
            self.enquiries.append({"source": "lookup", "row": self.rng.randrange(known),
                                   "staff_id": None, "at": at(day, 5 + n * 420 // lookups)})

    def _write(self) -> None:
        """Core INSERTs in batches: the submissions (their ids back, in order), then the rest."""
        table = Submission.__table__
        ids = []
        for start in range(0, len(self.rows), BATCH):
            batch = self.rows[start:start + BATCH]
            result = self.session.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), batch)
            ids.extend(result.scalars())
        self._insert(ReviewEvent, [{**{k: v for k, v in e.items() if k != "row"},
                                    "submission_id": ids[e["row"]]} for e in self.events])
        self._insert(ReviewEnquiry, [
            {"source": q["source"], "at": q["at"], "staff_id": q["staff_id"],
             "submission_id": None if q["row"] is None else ids[q["row"]],
             "organization_id": None if q["row"] is None
             else self.rows[q["row"]]["organization_id"]} for q in self.enquiries])
        if self.files:
            digest = hashlib.sha256(PDF).hexdigest()
            self._insert(SubmissionFile, [
                {"submission_id": ids[n], "filename": f"{self.cycle.year}年度工作报告.pdf",
                 "kind": "pdf", "size": len(PDF), "sha256": digest, "content": PDF,
                 "uploaded_by_id": row["created_by_id"], "uploaded_at": row["created_at"]}
                for n, row in enumerate(self.rows)])

    def _insert(self, model, rows: list[dict]) -> None:
        for start in range(0, len(rows), BATCH):
            self.session.execute(insert(model.__table__), rows[start:start + BATCH])


def summary(session) -> dict[str, int]:
    """Submissions per state."""
    return dict(session.execute(select(Submission.state, func.count())
                                .group_by(Submission.state)).all())
