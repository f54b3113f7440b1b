"""Benchmark of the pre-review queue at the peak: 8 reviewers pressing "claim next" at once, and
the dashboard, on a database prepared by bench/reviews_data.py (50,000 submissions).

    .venv/bin/python bench/reviews_bench.py --database-url URL [--duration 10] [--concurrency 8]

Serves the app with gunicorn like bench/run.py and measures, each for --duration seconds:
- `claim next, API`: --concurrency benchmark reviewers, each with an API token of their own,
  POST /api/v1/reviews/claim in a loop (expects 200: each answer is a newly claimed item);
- `dashboard`: the peak dashboard /reviews/dashboard, --concurrency managers' sessions;
- `queue page`: the queue /reviews (first page, ordered by due date), as the demo reviewer;
- a trivial static file, for the ratio.
Then checks the claims: every item claimed during the run was claimed exactly once, by the
reviewer who got it (the database's timeline), and none was handed out twice. In-process it
also times the public status lookup (each request from a different address, so the rate limit
does not interfere) and counts SQL statements per request. Prints p50/p95 latency, requests/s
and SQL/req; exit status 1 on any unexpected answer or double claim.
"""
import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import event, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.client import Client, drive, percentile  # noqa: E402
from bench.reviews_data import REVIEWERS, reviewer_name  # noqa: E402
from bench.run import (_app, _test_client_for, demo_password, free_port,  # noqa: E402
                       start_gunicorn, stop)

CLAIM = "/api/v1/reviews/claim"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--duration", type=float, default=10, help="seconds per scenario")
    parser.add_argument("--concurrency", type=int, default=REVIEWERS,
                        help=f"concurrent clients (at most {REVIEWERS} claiming reviewers)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=200, help="in-process status lookups")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    env = dict(os.environ, FLASK_APP="center", SECRET_KEY=secrets.token_hex(32),
               DATABASE_URL=args.database_url)
    env.pop("FLASK_DEBUG", None)
    app = _app(env)
    tokens, facts = prepare(app, min(args.concurrency, REVIEWERS))
    started = datetime.now(timezone.utc)
    sql = count_statements(app, tokens[0], facts)
    lookups = time_lookups(app, facts, args.lookups)
    server, workdir = None, Path(tempfile.mkdtemp(prefix="center-reviews-bench-"))
    try:
        port = free_port()
        server = start_gunicorn(env, port, args.workers, workdir / "gunicorn.log")
        rows = [
            measure("trivial: static css", [Client(port) for _ in range(args.concurrency)],
                    lambda i: ("GET", "/static/css/center.css", None), args),
            measure("claim next, API", [Client(port, token=t) for t in tokens],
                    lambda i: ("POST", CLAIM, {}), args),
            measure("dashboard", logged_in(port, "manager", args.concurrency),
                    lambda i: ("GET", "/reviews/dashboard", None), args),
            measure("queue page", logged_in(port, "reviewer", args.concurrency),
                    lambda i: ("GET", "/reviews", None), args),
        ]
    finally:
        stop(server)
        shutil.rmtree(workdir, ignore_errors=True)
    doubles, claims = check_claims(app, started)
    report(args, facts, rows, sql, lookups, doubles, claims)
    return 0 if not doubles and all(not row["errors"] for row in rows) else 1


# --- set-up ----------------------------------------------------------------------------------

def prepare(app, reviewers: int):
    """API tokens for the benchmark reviewers and what the data set holds."""
    from center.extensions import db
    from center.models.accounts import User
    from center.models.reviews import WAITING_STATES, Submission
    from center.services import accounts

    with app.app_context():
        users = [db.session.scalar(select(User).where(User.username == reviewer_name(n)))
                 for n in range(1, reviewers + 1)]
        if any(u is None for u in users):
            raise SystemExit("no benchmark reviewers: run bench/reviews_data.py first")
        tokens = [accounts.issue_token(db.session, u) for u in users]
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(Submission))
        waiting = db.session.scalar(select(func.count()).select_from(Submission)
                                    .where(Submission.state.in_(WAITING_STATES)))
        pair = db.session.execute(
            select(Submission.receipt_no, Submission.organization_id)
            .where(Submission.state.in_(WAITING_STATES)).order_by(Submission.due_on.desc())
            .limit(1)).one()
        from center.models.directory import Organization
        code = db.session.get(Organization, pair.organization_id).credit_code
        kind = db.engine.dialect.name
        db.engine.dispose()
    return tokens, {"submissions": total, "waiting": waiting, "backend": kind,
                    "lookup": {"credit_code": code, "receipt_no": pair.receipt_no}}


def logged_in(port: int, username: str, n: int) -> list[Client]:
    clients = []
    for _ in range(n):
        client = Client(port)
        client.login(username, demo_password(username))
        clients.append(client)
    return clients


# --- measuring -------------------------------------------------------------------------------

def measure(name: str, clients, request_for, args, expect: int = 200) -> dict:
    drive(clients, request_for, expect=expect, duration=min(1.0, args.duration),
          max_requests=len(clients) * 5)  # warm-up: connections, caches, lazy imports
    result = drive(clients, request_for, expect=expect, duration=args.duration,
                   max_requests=args.max_requests)
    done = result.latencies
    return {"name": name, "requests": len(done), "errors": result.errors,
            "first_error": result.first_error,
            "p50": percentile(done, 50) * 1000 if done else float("nan"),
            "p95": percentile(done, 95) * 1000 if done else float("nan"),
            "rps": len(done) / result.elapsed if result.elapsed else 0.0}


def _counting(engine):
    statements = []

    def listener(*_args):
        statements.append(1)
    event.listen(engine, "before_cursor_execute", listener)
    return statements, lambda: event.remove(engine, "before_cursor_execute", listener)


def count_statements(app, token: str, facts: dict) -> dict[str, int]:
    """SQL statements of one request of each kind, in-process, after a warm-up request."""
    from center.extensions import db

    with app.app_context():
        engine = db.engine
    api = app.test_client()
    manager = _test_client_for(app, "manager")
    reviewer = _test_client_for(app, "reviewer")
    requests = {
        "claim next, API": lambda: api.post(CLAIM, json={},
                                            headers={"Authorization": f"Bearer {token}"}),
        "dashboard": lambda: manager.get("/reviews/dashboard"),
        "queue page": lambda: reviewer.get("/reviews"),
        "status lookup, API": lambda: api.get(
            "/api/v1/reviews/status", query_string=facts["lookup"],
            environ_base={"REMOTE_ADDR": f"10.9.{secrets.randbelow(250)}.1"}),
    }
    counts = {}
    for name, send in requests.items():
        send()
        statements, done = _counting(engine)
        try:
            response = send()
        finally:
            done()
        counts[name] = len(statements) if response.status_code == 200 else -1
    engine.dispose()
    return counts


def time_lookups(app, facts: dict, n: int) -> dict:
    """The public status lookup in-process, one client address per request."""
    client = app.test_client()
    latencies = []
    for i in range(n):
        t0 = time.perf_counter()
        response = client.get("/api/v1/reviews/status", query_string=facts["lookup"],
                              environ_base={"REMOTE_ADDR": f"10.{i // 250 % 250}.{i % 250}.9"})
        latencies.append(time.perf_counter() - t0)
        if response.status_code != 200:
            raise SystemExit(f"status lookup answered {response.status_code}")
    return {"p50": percentile(latencies, 50) * 1000, "p95": percentile(latencies, 95) * 1000,
            "n": n}


def check_claims(app, since: datetime) -> tuple[int, int]:
    """(problems, claims) since the benchmark began, from the timeline: an item claimed more
    than once, or held by someone other than the reviewer whose claim was recorded."""
    from center.extensions import db
    from center.models.accounts import User
    from center.models.reviews import ReviewEvent, Submission

    with app.app_context():
        claims = (select(ReviewEvent.submission_id, ReviewEvent.actor_id)
                  .where(ReviewEvent.kind == "claimed", ReviewEvent.at >= since,
                         ReviewEvent.actor_id.in_(select(User.id).where(
                             User.username.like("bench-reviewer-%"))))
                  .subquery())
        total = db.session.scalar(select(func.count()).select_from(claims))
        twice = db.session.scalar(select(func.count()).select_from(
            select(claims.c.submission_id).group_by(claims.c.submission_id)
            .having(func.count() > 1).subquery()))
        other = db.session.scalar(select(func.count()).select_from(claims).join(
            Submission, Submission.id == claims.c.submission_id)
            .where(Submission.claimed_by_id != claims.c.actor_id))
        db.engine.dispose()
    return twice + other, total


def report(args, facts, rows, sql, lookups, doubles, claims) -> None:
    baseline = rows[0]["rps"]
    print(f"\nPre-review benchmark: {facts['submissions']:,} submissions "
          f"({facts['waiting']:,} waiting at the start), {facts['backend']}, gunicorn "
          f"{args.workers} workers, {args.concurrency} clients, {args.duration:g} s per "
          f"scenario, {os.cpu_count()} CPUs\n")
    header = (f"{'scenario':<24}{'requests':>9}{'errors':>7}{'p50 ms':>9}{'p95 ms':>9}"
              f"{'req/s':>9}{'vs trivial':>11}{'SQL/req':>8}")
    print(header)
    print("-" * len(header))
    for row in rows:
        statements = sql.get(row["name"], -1)
        print(f"{row['name']:<24}{row['requests']:>9}{row['errors']:>7}{row['p50']:>9.1f}"
              f"{row['p95']:>9.1f}{row['rps']:>9.1f}{row['rps'] / baseline:>11.2f}"
              f"{statements if statements >= 0 else 'n/a':>8}")
    print(f"{'status lookup (in-proc)':<24}{lookups['n']:>9}{0:>7}{lookups['p50']:>9.1f}"
          f"{lookups['p95']:>9.1f}{'':>9}{'':>11}{sql.get('status lookup, API', -1):>8}")
    print(f"\nclaims recorded during the run: {claims:,}; items claimed twice or held by "
          f"someone else: {doubles}")
    for row in rows:
        if row["errors"]:
            print(f"! {row['name']}: {row['errors']} errors, first: {row['first_error']}")


if __name__ == "__main__":
    sys.exit(main())
