"""Benchmark of the weekly report: generating a week's figures and exporting the workbook (and
the daily statistics), on a database prepared by bench/weekly_data.py.

    .venv/bin/python bench/weekly_bench.py --database-url URL [--repeat 5] [--week 2026-W11]

In-process, through the same functions the job, the pages and the API call, for the last
complete week and for the busiest pre-review week of the data set (the peak of this spring's
cycle, unless --week names one):
- `figures`: weekly_figures.collect (every module's figures beside the week before);
- `plan`: weekly_figures.plan_for_next_week (next week's bookings and review deadlines);
- `generate`: weekly.create_draft, or regenerate when the week's report exists (figures, plan,
  a version), flushed, then rolled back so the database is left as it was;
- `export`: weekly_export.workbook_bytes of that report;
- `daily 30 d` and `daily 366 d`: daily_stats.daily for the month and the year up to the week.
Each runs --repeat times; it prints the median and the slowest time, the median CPU time of
this process (the database server's is not in it; on a loaded machine it says more than the
wall-clock time), the SQL statements of one run, and the peak of Python memory during one run
(tracemalloc, in a separate run so that its overhead does not distort the times), then the
process's peak resident memory.
"""
import argparse
import os
import resource
import secrets
import statistics
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import _app  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each operation")
    parser.add_argument("--week", action="append", help="a week to measure (e.g. 2026-W11); "
                        "default: the last complete week and the pre-review peak week")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    from center.extensions import db

    args = parse_args(argv)
    env = dict(os.environ, SECRET_KEY=secrets.token_hex(32), DATABASE_URL=args.database_url)
    app = _app(env)
    with app.app_context(), app.test_request_context():
        session = db.session
        counter = _count_statements(db.engine)
        print(describe(session))
        weeks = args.week or default_weeks(session)
        print(f"{'operation':<28}{'runs':>5}{'median ms':>11}{'max ms':>9}{'cpu ms':>8}"
              f"{'SQL':>6}{'peak MiB':>10}")
        for key in weeks:
            for name, operation in operations(session, key):
                row = measure(session, operation, args.repeat, counter)
                print(f"{key + ' ' + name:<28}{args.repeat:>5}{row['median']:>11.0f}"
                      f"{row['max']:>9.0f}{row['cpu']:>8.0f}{row['sql']:>6}"
                      f"{row['peak']:>10.1f}", flush=True)
        db.engine.dispose()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the process: {rss:.0f} MiB")
    return 0


def describe(session) -> str:
    from center.models.consultations import Consultation
    from center.models.directory import Organization
    from center.models.reviews import ReviewEvent, Submission
    from center.models.venues import Booking

    counts = {name: session.scalar(select(func.count()).select_from(model)) for name, model in (
        ("organizations", Organization), ("consultations", Consultation),
        ("bookings", Booking), ("review submissions", Submission),
        ("review events", ReviewEvent))}
    span = session.execute(select(func.min(Consultation.occurred_at),
                                  func.max(Consultation.occurred_at))).one()
    dialect = session.get_bind().dialect.name
    return (f"{dialect}: " + ", ".join(f"{n:,} {name}" for name, n in counts.items())
            + f"; consultations {span[0]:%Y-%m-%d} … {span[1]:%Y-%m-%d}")


def default_weeks(session) -> list[str]:
    """The last complete week, and the week most annual reports were received."""
    from center.models.reviews import Submission
    from center.services import weekly

    today = weekly.center_now().date()
    last_week = weekly.week_key(today - timedelta(days=today.weekday() + 7))
    peak_day = session.execute(select(Submission.received_on).group_by(Submission.received_on)
                               .order_by(func.count().desc()).limit(1)).scalar()
    peak = weekly.week_key(peak_day) if peak_day else last_week
    return [last_week] if peak == last_week else [last_week, peak]


def operations(session, key: str):
    from center.reports import daily_stats, weekly_export
    from center.services import weekly, weekly_figures

    monday, sunday = weekly.parse_week_key(key)

    def generate():
        report = weekly.get_report(session, key)
        if report is None:
            weekly.create_draft(session, key)
        else:
            weekly.regenerate(session, report, actor=None)

    report = transient_report(session, key)  # exported as is: measures the writing only

    return [
        ("figures", lambda: weekly_figures.collect(session, monday, sunday)),
        ("plan", lambda: weekly_figures.plan_for_next_week(session, sunday + timedelta(1))),
        ("generate", generate),
        ("export", lambda: weekly_export.workbook_bytes(report)),
        ("daily 30 d", lambda: daily_stats.daily(session, sunday - timedelta(29), sunday)),
        ("daily 366 d", lambda: daily_stats.daily(session, sunday - timedelta(365), sunday)),
    ]


def transient_report(session, key: str):
    """The week's report with fresh figures and a page of narrative, never added to the
    session (so the rollbacks between runs leave it alone)."""
    from center.models.base import utcnow
    from center.models.weekly import WeeklyReport
    from center.services import weekly, weekly_figures

    monday, sunday = weekly.parse_week_key(key)
    iso_year, iso_week, _day = monday.isocalendar()
    plan = weekly_figures.plan_for_next_week(session, sunday + timedelta(1))
    summary = "\n".join(f"{n}. 本周重点工作之{n}：接待咨询、场地服务与年检预审均按计划推进，" * 2
                        for n in range(1, 16))
    return WeeklyReport(week_key=key, iso_year=iso_year, iso_week=iso_week, starts_on=monday,
                        ends_on=sunday, state="draft", summary=summary, plan=plan,
                        plan_prefilled=plan, figures=weekly_figures.collect(session, monday,
                                                                            sunday),
                        figures_generated_at=utcnow(), recipients=[])


def measure(session, operation, repeat: int, counter: list) -> dict:
    """Times of `repeat` runs, the statements of one, and its Python memory peak; every run's
    writes are rolled back."""
    times, cpu = [], []
    for n in range(repeat):
        counter[0] = 0
        start, start_cpu = time.perf_counter(), time.process_time()
        operation()
        session.flush()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        statements = counter[0]
        if n < repeat - 1:
            session.rollback()
    tracemalloc.start()
    operation()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    session.rollback()
    return {"median": statistics.median(times), "max": max(times),
            "cpu": statistics.median(cpu), "sql": statements,
            "peak": peak}


def _count_statements(engine) -> list:
    counter = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def count(*_args):
        counter[0] += 1
    return counter


if __name__ == "__main__":
    sys.exit(main())
