"""The pre-review data set of the benchmarks: 50,000 submissions in this spring's cycle.

    .venv/bin/python bench/reviews_data.py --database-url URL [--submissions 50000]

migrates the database, loads the demo data at the scale that gives one organization per
submission (`flask demo-data --scale 167`: 50,100 organizations; the demo brings its own cycle
and 240 submissions), adds 8 benchmark reviewers (`bench-reviewer-1` …, role reviewer) and then
plays a peak of 40 working days up to yesterday with them until the cycle holds --submissions:
reports come in (more each week), each reviewer decides 35–55 a day (30 % returned with
checklist reasons, most resubmitted within days, passed ones forwarded), calls and lookups are
logged. It is the demo's generator (center.services.demo_reviews.Peak: deadlines from the
working-day calendar, core INSERTs in batches of 5,000, no files), then ANALYZE. The peak leaves
a backlog of 39,371 waiting reports, most of them overdue: a bad spring, which is what the
claim-next and dashboard benchmarks are for. The same seed gives the same data on SQLite and
PostgreSQL (only the demo organization's own receipt number is random). A second run adds
nothing. It takes about 4 minutes on SQLite and 8 on PostgreSQL on a small machine.

Then measure it with `bench/reviews_bench.py --database-url URL` (8 reviewers with their own
tokens claiming at once, the dashboard, the queue, the public lookup) or through the shared
registry: `bench/run.py --database-url URL --scale 167 --only reviews`.
"""
import argparse
import math
import os
import secrets
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from center.models.accounts import User  # noqa: E402
from center.models.reviews import Submission  # noqa: E402
from center.services import accounts, demo_reviews, reviews  # noqa: E402
from center.services.demo import ORGS_PER_SCALE  # noqa: E402

REVIEWERS = 8
BENCH_DAYS = 40
PASSWORD = "Bench-yushen-2026"  # the benchmark reviewers' (passes the strength check)
QUOTA = (35, 55)  # items each reviewer decides a day
ENQUIRIES_PER_DAY = (300, 600)  # calls on the first day, lookups on the last


def reviewer_name(n: int) -> str:
    return f"bench-reviewer-{n}"


def bench_reviewers(session, count: int = REVIEWERS) -> list[User]:
    """The benchmark's reviewers, created when missing."""
    users = []
    for n in range(1, count + 1):
        user = session.scalar(select(User).where(User.username == reviewer_name(n)))
        users.append(user or accounts.create_user(
            session, username=reviewer_name(n), display_name=f"基准预审员{n}", role="reviewer",
            password=PASSWORD))
    session.commit()
    return users


def load_review_data(session, *, submissions: int = 50_000, seed: int = 2026) -> dict:
    """Fill the demo cycle up to `submissions` (a second call adds nothing)."""
    today = reviews.today_in_center()
    reviews.seed_return_reasons(session)
    days = demo_reviews.past_working_days(session, today, BENCH_DAYS)
    cycle = demo_reviews.demo_cycle(session, year=today.year - 1, first=days[0], today=today)
    existing = session.scalar(select(func.count()).select_from(Submission)
                              .where(Submission.cycle_id == cycle.id))
    users = bench_reviewers(session)
    missing = submissions - existing
    if missing > 0:
        orgs = demo_reviews.organizations_without_report(session, cycle, missing)
        if len(orgs) < missing:
            raise SystemExit(f"only {len(orgs)} organizations without a report: load the demo "
                             f"data at --scale {math.ceil(submissions / ORGS_PER_SCALE)} first")
        staff = session.scalars(select(User.id).where(User.role == "frontdesk")
                                .order_by(User.id).limit(1)).all() or [users[0].id]
        peak = demo_reviews.Peak(session, cycle, days, [u.id for u in users],
                                 quotas=[QUOTA] * len(users), seed=seed + existing,
                                 staff=staff, files=False, enquiries_per_day=ENQUIRIES_PER_DAY)
        peak.play(orgs)
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
    return {"cycle": cycle.year, "added": max(missing, 0),
            "states": demo_reviews.summary(session)}


# --- command line ----------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="e.g. sqlite:////tmp/bench/reviews.db or postgresql://...")
    parser.add_argument("--submissions", type=int, default=50_000)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    from bench.run import _app, build_database
    from center.extensions import db

    args = parse_args(argv)
    scale = math.ceil(args.submissions / ORGS_PER_SCALE)
    env = {**os.environ, "FLASK_APP": "center",
           "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": args.database_url}
    setup = build_database(env, scale)
    print(f"migrate {setup['migrate']:.1f} s, demo-data --scale {scale} "
          f"{setup['demo_data']:.1f} s", flush=True)
    with _app(env).app_context():
        t0 = time.perf_counter()
        loaded = load_review_data(db.session, submissions=args.submissions)
        states = loaded["states"]
        print(f"cycle {loaded['cycle']}: {sum(states.values()):,} submissions "
              f"({loaded['added']:,} added in {time.perf_counter() - t0:.1f} s)")
        print("  " + ", ".join(f"{state} {n:,}" for state, n in sorted(states.items())))
        db.engine.dispose()
    print(f"\nnext: .venv/bin/python bench/reviews_bench.py --database-url {args.database_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
