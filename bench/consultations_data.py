"""The consultation data set of the benchmarks: 130,000 organizations, 200,000 consultations.

    .venv/bin/python bench/consultations_data.py --database-url URL \\
        [--organizations 130000] [--consultations 200000] [--years 5]

migrates the database, loads the demo data at the scale that gives the organizations
(`flask demo-data --scale 434`: 130,200), then adds consultations until there are
--consultations, over --years years of working days up to yesterday, logged by the demo's
staff for random organizations (18 % individuals). The text comes from the demo's per-topic
questions and answers (center.services.demo_consultation_data) with its openers and closings,
so words occur as often as in a real log; one in ten questions cites a six-digit receipt
number, which makes the rarest searches (one or two rows). Rows go in through the demo's core
INSERTs (`insert_consultations`, batches of 5,000 with their topics, search tokens computed
with `index_text`, since no ORM flush hook runs), then ANALYZE. A second run adds nothing.
Then benchmark it with `bench/run.py --database-url URL --scale 434 --only consult`
(see bench/README.md).

`term_counts` tells how many consultations each benchmark search term finds.
"""
import argparse
import math
import os
import random
import secrets
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from center.models.accounts import User  # noqa: E402
from center.models.consultations import Consultation  # noqa: E402
from center.models.directory import Organization  # noqa: E402
from center.services import calendar  # noqa: E402
from center.services.demo import ORGS_PER_SCALE  # noqa: E402
from center.services.demo_consultations import (STAFF_WEIGHTS, consultation_row,  # noqa: E402
                                                insert_consultations)
from center.services.textsearch import contains, index_text  # noqa: E402
from center.services.venue_rules import CENTER_TZ  # noqa: E402
from bench.scenarios import CONSULTATION_TERMS  # noqa: E402

CHUNK = 20_000  # rows generated (then inserted in the demo's batches) at a time
RECEIPT_SHARE = 0.1


def load_consultation_data(session, *, consultations: int, years: float = 5,
                           seed: int = 2026, now: datetime | None = None) -> dict:
    """Add consultations until there are `consultations` (a second call adds nothing)."""
    now = now or datetime.now(timezone.utc)
    existing = session.scalar(select(func.count()).select_from(Consultation))
    missing = consultations - existing
    if missing > 0:
        rng = random.Random(seed + existing)
        today = now.astimezone(CENTER_TZ).date()
        days = [d.day for d in calendar.days_between(
            session, today - timedelta(days=round(years * 365.25)), today - timedelta(days=1))
            if d.is_workday]
        staff = _staff_weights(session)
        orgs = session.execute(select(Organization.id, Organization.field)
                               .where(Organization.archived_at.is_(None))).all()
        for start in range(0, missing, CHUNK):
            count = min(CHUNK, missing - start)
            rows = [_row(rng, orgs, staff, days, start + n, missing, today, now)
                    for n in range(count)]
            insert_consultations(session, rows)
            session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
    total = session.scalar(select(func.count()).select_from(Consultation))
    return {"consultations": total, "added": max(missing, 0)}


def _staff_weights(session) -> tuple[list[int], list[int]]:
    users = session.execute(select(User.id, User.role).where(User.role.in_(STAFF_WEIGHTS))
                            .order_by(User.id)).all()
    if not users:
        raise SystemExit("no staff users: load the demo data first (flask demo-data)")
    return [u.id for u in users], [STAFF_WEIGHTS[u.role] for u in users]


def _row(rng, orgs, staff, days, n, total, today, now) -> dict:
    """Consultation n of total, on the days in order (so ids grow with time, as in life)."""
    day = days[n * len(days) // total]
    occurred = datetime.combine(day, datetime.min.time(), CENTER_TZ) + timedelta(
        minutes=9 * 60 + rng.randrange(8 * 60 + 30))
    row = consultation_row(rng, orgs, rng.choices(*staff)[0], occurred.astimezone(timezone.utc),
                           today=today, now=now)
    if rng.random() < RECEIPT_SHARE:
        row["question"] += f"（受理号 {rng.randrange(10**6):06d}）"
        row["search_text"] = index_text(row["question"], row["answer"], row["requester_name"])
    return row


def term_counts(session, terms=CONSULTATION_TERMS) -> dict[str, int]:
    """How many consultations each search term finds (through the search index)."""
    return {term: session.scalar(select(func.count()).select_from(Consultation)
                                 .where(contains("consultations", term))) for term in terms}


# --- command line ----------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="e.g. sqlite:////tmp/bench/consultations.db or postgresql://...")
    parser.add_argument("--organizations", type=int, default=130_000)
    parser.add_argument("--consultations", type=int, default=200_000)
    parser.add_argument("--years", type=float, default=5, help="years the consultations span")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    from bench.run import _app, build_database

    args = parse_args(argv)
    scale = math.ceil(args.organizations / ORGS_PER_SCALE)
    env = {**os.environ, "FLASK_APP": "center",
           "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": args.database_url}
    setup = build_database(env, scale)
    print(f"migrate {setup['migrate']:.1f} s, demo-data --scale {scale} "
          f"{setup['demo_data']:.1f} s", flush=True)
    from center.extensions import db

    with _app(env).app_context():
        t0 = time.perf_counter()
        loaded = load_consultation_data(db.session, consultations=args.consultations,
                                        years=args.years)
        orgs = db.session.scalar(select(func.count()).select_from(Organization))
        print(f"{loaded['consultations']:,} consultations ({loaded['added']:,} added in "
              f"{time.perf_counter() - t0:.1f} s), {orgs:,} organizations")
        t0 = time.perf_counter()
        for term, count in term_counts(db.session).items():
            print(f"{count:>10,}  {term}")
        print(f"(counted in {time.perf_counter() - t0:.1f} s)")
        db.engine.dispose()
    print(f"\nnext: .venv/bin/python bench/run.py --database-url {args.database_url} "
          f"--scale {scale} --only suggest --only consult")
    return 0


if __name__ == "__main__":
    sys.exit(main())
