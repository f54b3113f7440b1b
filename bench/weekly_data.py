"""The weekly report's data set: five years of every service line the report reads.

    .venv/bin/python bench/weekly_data.py --database-url URL \\
        [--organizations 50100] [--consultations 1000000] [--bookings 5000000] [--venues 50] \\
        [--reviews-per-year 50000] [--years 5]

The defaults are ten times the design volume of DESIGN.md §4 (20,000 consultations, 100,000
bookings and 5,000 annual reports a year) over five years. It migrates the database, loads the
demo data at the scale that gives --organizations (a report per organization and cycle needs as
many organizations as reports a year), then adds, each only up to its count (a second run adds
nothing):
- consultations over --years of working days up to yesterday (bench/consultations_data.py:
  the demo's texts, topics and search tokens, core INSERTs);
- bookings at --venues (50) benchmark venues over --years up to 60 days ahead
  (bench/venues_data.py);
- annual-report pre-reviews: one cycle per report year for the last --years years, each with
  --reviews-per-year reports received on the working days of its window (January–May), each
  with its timeline (received, claimed, passed or returned and resubmitted, forwarded) by 8
  benchmark reviewers, core INSERTs in batches (this module);
then ANALYZE. Each step prints its time, so the largest set that builds in a given time can be
chosen; `bench/weekly_bench.py` measures on it.
"""
import argparse
import math
import os
import random
import secrets
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from center.models.reviews import ReviewCycle, ReviewEvent, Submission  # noqa: E402
from center.services import calendar, reviews  # noqa: E402
from center.services.demo import ORGS_PER_SCALE  # noqa: E402
from center.services.demo_reviews import at, organizations_without_report  # noqa: E402

BATCH = 5_000
RECEIPT_PREFIX = "WB"  # the benchmark's receipt numbers, so a second run finds them
RETURN_SHARE = 0.25


def load_review_history(session, *, per_year: int, years: int, seed: int = 2026) -> dict:
    """`per_year` finished pre-reviews in each of the last `years` cycles (added up to it)."""
    from bench.reviews_data import bench_reviewers

    today = reviews.today_in_center()
    reviewer_ids = [u.id for u in bench_reviewers(session)]
    added = 0
    for year in range(today.year - years, today.year):
        cycle = _cycle(session, year)
        have = session.scalar(select(func.count()).select_from(Submission).where(
            Submission.cycle_id == cycle.id, Submission.receipt_no.like(f"{RECEIPT_PREFIX}%")))
        missing = per_year - have
        if missing <= 0:
            continue
        orgs = organizations_without_report(session, cycle, missing)
        if len(orgs) < missing:  # the demo's own reports took some: say so, add what fits
            print(f"  cycle {year}: {len(orgs)} of {missing} reports (one per organization; "
                  f"raise --organizations for more)", flush=True)
            missing = len(orgs)
        days = [d.day for d in calendar.days_between(session, cycle.opens_on, cycle.closes_on)
                if d.is_workday and d.day < today]
        if not orgs:
            continue
        _insert_cycle(session, cycle, orgs, days, reviewer_ids, random.Random(seed + year), have)
        session.commit()
        added += missing
    return {"added": added, "submissions": session.scalar(
        select(func.count()).select_from(Submission)),
        "events": session.scalar(select(func.count()).select_from(ReviewEvent))}


def _cycle(session, year: int) -> ReviewCycle:
    cycle = reviews.cycle_for_year(session, year)
    if cycle is None:
        cycle = ReviewCycle(year=year, opens_on=date(year + 1, 1, 1),
                            closes_on=date(year + 1, 5, 31), first_review_days=5,
                            re_review_days=3, correction_days=5)
        session.add(cycle)
        session.flush()
    return cycle


def _insert_cycle(session, cycle, orgs, days, reviewer_ids, rng, offset: int) -> None:
    for start in range(0, len(orgs), BATCH):
        rows, timelines = [], []
        for n, org_id in enumerate(orgs[start:start + BATCH], start=offset + start):
            row, events = _history(cycle, org_id, n, days, reviewer_ids, rng)
            rows.append(row)
            timelines.append(events)
        table = Submission.__table__
        ids = session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                              rows).all()
        session.execute(insert(ReviewEvent.__table__),
                        [{**e, "submission_id": sub_id}
                         for sub_id, events in zip(ids, timelines) for e in events])


def _history(cycle, org_id: int, n: int, days: list[date], reviewer_ids, rng):
    """One report's finished pre-review: the submission row and its timeline."""
    index = min(len(days) - 1, int(len(days) * rng.betavariate(2, 2)))  # a peak mid-window
    received = days[index]
    reviewer = rng.choice(reviewer_ids)
    moment = at(received, rng.randrange(480))
    events = [_event("received", moment, None, "received", received + timedelta(days=7))]
    returned = rng.random() < RETURN_SHARE
    if returned:
        moment += timedelta(days=rng.randrange(1, 6), minutes=rng.randrange(60))
        events.append(_event("claimed", moment, reviewer, "in_review", None))
        moment += timedelta(minutes=rng.randrange(20, 90))
        events.append(_event("returned", moment, reviewer, "returned", None, "signature_seal"))
        moment += timedelta(days=rng.randrange(2, 7))
        events.append(_event("resubmitted", moment, None, "resubmitted",
                             moment.date() + timedelta(days=5)))
    moment += timedelta(days=rng.randrange(1, 5), minutes=rng.randrange(60))
    events.append(_event("claimed", moment, reviewer, "in_review", None))
    moment += timedelta(minutes=rng.randrange(20, 90))
    passed_at = moment
    events.append(_event("passed", moment, reviewer, "passed", None))
    moment += timedelta(days=rng.randrange(1, 4))
    events.append(_event("forwarded", moment, reviewer, "forwarded", None))
    row = {"cycle_id": cycle.id, "organization_id": org_id,
           "receipt_no": f"{RECEIPT_PREFIX}{cycle.year}{n:08d}", "state": "forwarded",
           "channel": "desk", "received_on": received, "queued_on": received,
           "due_on": None, "due_provisional": False, "correction_due_on": None,
           "return_count": int(returned), "passed_at": passed_at, "passed_by_id": reviewer,
           "forwarded_at": moment, "created_by_id": None, "created_at": events[0]["at"],
           "updated_at": moment}
    return row, events


def _event(kind, moment, actor, state, due_on, reasons=""):
    return {"kind": kind, "at": moment, "actor_id": actor, "reason_codes": reasons,
            "comment": None, "state": state, "due_on": due_on}


# --- command line ----------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="e.g. sqlite:////tmp/bench/weekly.db or postgresql://...")
    parser.add_argument("--organizations", type=int, default=50_100)
    parser.add_argument("--consultations", type=int, default=1_000_000)
    parser.add_argument("--bookings", type=int, default=5_000_000)
    parser.add_argument("--venues", type=int, default=50,
                        help="benchmark venues the bookings are spread over (5,000,000 over "
                             "five years fill 10 venues beyond a day's hours)")
    parser.add_argument("--reviews-per-year", type=int, default=50_000)
    parser.add_argument("--years", type=int, default=5)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    from bench.consultations_data import load_consultation_data
    from bench.run import _app, build_database
    from bench.venues_data import load_venue_data
    from center.extensions import db

    args = parse_args(argv)
    scale = math.ceil(args.organizations / ORGS_PER_SCALE)
    env = {**os.environ, "FLASK_APP": "center",
           "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": args.database_url}
    started = time.perf_counter()
    setup = build_database(env, scale)
    print(f"migrate {setup['migrate']:.1f} s, demo-data --scale {scale} "
          f"{setup['demo_data']:.1f} s", flush=True)
    with _app(env).app_context():
        session = db.session
        steps = [
            ("consultations", lambda: load_consultation_data(
                session, consultations=args.consultations, years=args.years)),
            ("bookings", lambda: load_venue_data(session, bookings=args.bookings,
                                                 venues=args.venues, years=args.years)),
            ("pre-reviews", lambda: load_review_history(session, per_year=args.reviews_per_year,
                                                        years=args.years)),
        ]
        for name, step in steps:
            t0 = time.perf_counter()
            result = step()
            shown = {k: v for k, v in result.items() if isinstance(v, int)}
            print(f"{name}: {shown} in {time.perf_counter() - t0:.1f} s", flush=True)
        session.execute(text("ANALYZE"))
        session.commit()
        db.engine.dispose()
    print(f"built in {time.perf_counter() - started:.0f} s\n"
          f"next: .venv/bin/python bench/weekly_bench.py --database-url {args.database_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
