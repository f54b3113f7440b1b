"""Benchmark: build a demo data set, serve it with gunicorn on loopback, measure each scenario.

    .venv/bin/python bench/run.py --scale 20 --duration 10 --concurrency 8

See bench/README.md. Scenarios live in bench/scenarios.py.
"""
import argparse
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.client import Client, drive, percentile  # noqa: E402
from bench.scenarios import SCENARIOS  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10, help="demo-data scale (300 orgs each)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per scenario")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap per scenario")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="use this database instead of a fresh SQLite file "
                             "(it is migrated and demo data is added where missing)")
    parser.add_argument("--only", action="append", help="run only scenarios whose name "
                        "contains this text (the baseline always runs)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--bookings", type=int, default=0,
                        help="venue bookings in the data set (e.g. 1000000; see venues_data.py)")
    parser.add_argument("--venues", type=int, default=10, help="benchmark venues")
    parser.add_argument("--years", type=float, default=5, help="years the bookings span")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="center-bench-"))
    env = dict(os.environ, FLASK_APP="center", SECRET_KEY=secrets.token_hex(32),
               DATABASE_URL=args.database_url or f"sqlite:///{workdir / 'bench.db'}")
    env.pop("FLASK_DEBUG", None)
    server = None
    # SIGTERM (a CI timeout, kill) unwinds like Ctrl-C, so `finally` stops gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        setup = build_database(env, args.scale)
        setup.update(build_venue_data(env, args))
        scenarios = [s for s in SCENARIOS if s.baseline or not args.only
                     or any(text in s.name for text in args.only)]
        ctx = data_context(env, args.scale)
        ctx["tokens"] = {s.user: api_token(env, s.user) for s in scenarios if s.token}
        queries = count_queries(env, scenarios, ctx)
        port = free_port()
        server = start_gunicorn(env, port, args.workers, workdir / "gunicorn.log")
        rows = [measure(s, port, ctx, args) for s in scenarios]
        print_report(args, env, ctx, setup, rows, queries)
        return 0 if all(not row["errors"] for row in rows) else 1
    finally:
        stop(server)
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


# --- set-up ----------------------------------------------------------------------------------

def flask(env, *args) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def build_database(env, scale: int) -> dict:
    """Migrate and load demo data the way an operator would; returns set-up timings."""
    t0 = time.perf_counter()
    flask(env, "db", "upgrade")
    t1 = time.perf_counter()
    flask(env, "demo-data", "--scale", str(scale))
    return {"migrate": t1 - t0, "demo_data": time.perf_counter() - t1}


def build_venue_data(env, args) -> dict:
    """The benchmark venues and --bookings bookings (bench/venues_data.py), in-process."""
    from bench.venues_data import load_venue_data
    from center.extensions import db

    t0 = time.perf_counter()
    app = _app(env)
    with app.app_context():
        loaded = load_venue_data(db.session, bookings=args.bookings, venues=args.venues,
                                 years=args.years)
        db.engine.dispose()
    return {"venue_data": time.perf_counter() - t0, "bookings": loaded["bookings"]}


def api_token(env, username: str) -> str:
    """A fresh API token, issued the way an operator would: its last line of output."""
    return flask(env, "users", "token", username).strip().splitlines()[-1]


def _app(env):
    from center import create_app
    from center.config import normalize_database_url

    return create_app({"SECRET_KEY": env["SECRET_KEY"],
                       "SQLALCHEMY_DATABASE_URI": normalize_database_url(env["DATABASE_URL"])})


def data_context(env, scale: int) -> dict:
    from sqlalchemy import func, select

    from bench.liaison_data import liaison_context
    from center.extensions import db
    from center.models.directory import Organization, Platform

    app = _app(env)
    with app.app_context():
        orgs = db.session.scalar(select(func.count()).select_from(Organization))
        platforms = db.session.scalar(select(func.count()).select_from(Platform))
        per_page = app.config["PER_PAGE"]
        venues = venue_context(db.session)
        liaison = liaison_context(db.session)
        db.engine.dispose()
    return {"scale": scale, "organizations": orgs, "platforms": platforms,
            "pages": max(1, math.ceil(orgs / per_page)), **venues, **liaison}


def venue_context(session) -> dict:
    """What the venue scenarios need: the venues, organizations to book for, the weeks the
    bookings span, and working days after the last live booking (free for new bookings)."""
    from datetime import date, timedelta

    from sqlalchemy import func, select

    from bench.venues_data import HORIZON_DAYS, PREFIX
    from center.models.directory import Organization
    from center.models.venues import LIVE_STATES, Booking, Venue
    from center.services.calendar import days_between
    from center.services.venues import local

    venue_ids = session.scalars(select(Venue.id).where(Venue.name.startswith(PREFIX))
                                .order_by(Venue.id)).all()
    spans = session.execute(select(func.min(Booking.starts_at), func.max(Booking.ends_at))
                            .where(Booking.venue_id.in_(venue_ids))).one()
    last_live = session.scalar(select(func.max(Booking.ends_at)).where(
        Booking.venue_id.in_(venue_ids), Booking.status.in_(LIVE_STATES)))
    today = date.today()
    first = local(spans[0]).date() if spans[0] else today
    last = local(spans[1]).date() if spans[1] else today
    free_from = max(today, local(last_live).date() if last_live else today) + timedelta(days=1)
    free_days = [d.day for d in days_between(session, free_from,
                                             today + timedelta(days=HORIZON_DAYS - 1))
                 if d.is_workday and d.day.weekday() < 5]
    mondays = [first - timedelta(days=first.weekday()) + timedelta(weeks=n)
               for n in range((last - first).days // 7 + 1)]
    org_ids = session.scalars(select(Organization.id).where(Organization.archived_at.is_(None))
                              .order_by(Organization.id).limit(1000)).all()
    return {"venue_ids": venue_ids, "organization_ids": org_ids, "weeks": mondays,
            "free_days": free_days}


def count_queries(env, scenarios, ctx) -> dict[str, int]:
    """SQL statements per request, in-process: each scenario's request once after a warm-up."""
    from sqlalchemy import event

    from center.extensions import db

    app = _app(env)
    clients = {}
    counts = {}
    with app.app_context():
        engine = db.engine
    for scenario in scenarios:
        key = (scenario.user, scenario.token)
        client = clients.get(key) or _test_client_for(app, None if scenario.token
                                                      else scenario.user)
        clients[key] = client
        headers = {"Authorization": f"Bearer {ctx['tokens'][scenario.user]}"} \
            if scenario.token else {}

        def send():
            method, path, body = scenario.request(0, ctx)
            return client.open(path, method=method, json=body, headers=headers)
        send()
        statements = []
        listener = lambda *a: statements.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            response = send()
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        counts[scenario.name] = len(statements) if response.status_code == scenario.expect else -1
    engine.dispose()
    return counts


def _test_client_for(app, username):
    from bench.client import CSRF_RE

    client = app.test_client()
    if username is None:
        return client
    match = CSRF_RE.search(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": match.group(1) or match.group(2),
                                            "username": username,
                                            "password": demo_password(username)})
    if response.status_code != 302:
        raise SystemExit(f"in-process login as {username} failed: {response.status_code}")
    return client


def demo_password(username: str) -> str:
    from center.services.demo import DEMO_USERS

    return next(password for name, _, _, password in DEMO_USERS if name == username)


# --- the server ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    """Serve the app as production does; wait until it answers."""
    log = open(log_path, "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "center:create_app()"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server.log_file = log
    try:
        wait_until_ready(server, port, log_path)
    except BaseException:  # a signal or a failed start: never leave gunicorn behind
        stop(server)
        raise
    return server


def wait_until_ready(server, port: int, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
        try:
            if Client(port, timeout=2).get("/login")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within {timeout:g} s:\n"
                     f"{log_path.read_text()[-3000:]}")


def stop(server) -> None:
    """Stop gunicorn (master and workers: its own process group), forcefully if it lingers."""
    if server is None:
        return
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    server.log_file.close()


# --- measuring and reporting -----------------------------------------------------------------

_sessions: dict[tuple[str | None, str | None], list[Client]] = {}


def clients_for(port: int, user: str | None, n: int, token: str | None = None) -> list[Client]:
    """n clients logged in as `user`, or sending its API token (kept for the next scenario of
    the same user)."""
    pool = _sessions.setdefault((user, token), [])
    while len(pool) < n:
        client = Client(port, token=token)
        if user is not None and token is None:
            client.login(user, demo_password(user))
        pool.append(client)
    return pool[:n]


def measure(scenario, port: int, ctx: dict, args) -> dict:
    token = ctx["tokens"][scenario.user] if scenario.token else None
    clients = clients_for(port, scenario.user, args.concurrency, token)
    request_for = lambda i: scenario.request(i, ctx)  # noqa: E731
    drive(clients, request_for, expect=scenario.expect, duration=min(1.0, args.duration),
          max_requests=args.concurrency * 5)  # warm-up: connections, caches, lazy imports
    result = drive(clients, request_for, expect=scenario.expect, duration=args.duration,
                   max_requests=args.max_requests)
    done = result.latencies
    return {"scenario": scenario, "requests": len(done), "errors": result.errors,
            "first_error": result.first_error,
            "p50": percentile(done, 50) * 1000 if done else float("nan"),
            "p95": percentile(done, 95) * 1000 if done else float("nan"),
            "rps": len(done) / result.elapsed if result.elapsed else 0.0}


def print_report(args, env, ctx, setup, rows, queries) -> None:
    baseline = next(row["rps"] for row in rows if row["scenario"].baseline)
    kind = env["DATABASE_URL"].split(":", 1)[0]
    print(f"\nCenter benchmark: scale {ctx['scale']} ({ctx['organizations']} organizations, "
          f"{ctx['platforms']} platforms), {kind}, gunicorn {args.workers} workers, "
          f"{args.concurrency} clients, {args.duration:g} s per scenario, {os.cpu_count()} CPUs")
    print(f"set-up: migrate {setup['migrate']:.1f} s, demo-data {setup['demo_data']:.1f} s, "
          f"venue data {setup['venue_data']:.1f} s ({setup['bookings']:,} bookings, "
          f"{len(ctx['venue_ids'])} benchmark venues)\n")
    header = (f"{'scenario':<28}{'requests':>9}{'errors':>7}{'p50 ms':>9}{'p95 ms':>9}"
              f"{'req/s':>9}{'vs trivial':>11}{'SQL/req':>8}")
    print(header)
    print("-" * len(header))
    for row in rows:
        name = row["scenario"].name
        sql = queries.get(name, -1)
        ratio = row["rps"] / baseline if baseline else float("nan")
        print(f"{name:<28}{row['requests']:>9}{row['errors']:>7}{row['p50']:>9.1f}"
              f"{row['p95']:>9.1f}{row['rps']:>9.1f}{ratio:>11.2f}"
              f"{sql if sql >= 0 else 'n/a':>8}")
    for row in rows:
        if row["errors"]:
            print(f"! {row['scenario'].name}: {row['errors']} errors, first: {row['first_error']}")


if __name__ == "__main__":
    sys.exit(main())
