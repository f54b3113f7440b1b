"""flask commands of the scheduler: `scheduler` (the one long-running process) and `jobs`."""
import logging

import click
from flask import current_app
from flask.cli import AppGroup

from center import scheduler as center_scheduler
from center.extensions import db
from center.services import jobs

jobs_cli = AppGroup("jobs", help="List scheduled jobs or run one now.")


@click.command("scheduler")
def scheduler_command():
    """Run the scheduler (one per database; web workers never run jobs)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = current_app._get_current_object()
    try:
        with center_scheduler.single_instance(app):
            scheduler = center_scheduler.build(app)
            for job in scheduler.get_jobs():
                click.echo(f"{job.id:<15} {job.trigger}")
            click.echo("scheduler running; Ctrl-C stops it")
            try:
                scheduler.start()
            except (KeyboardInterrupt, SystemExit):
                scheduler.shutdown(wait=False)
    except center_scheduler.AlreadyRunning as error:
        raise click.ClickException(f"not started: {error}") from None


@jobs_cli.command("list")
def list_command():
    """Each job, its schedule and its last run."""
    last = jobs.last_runs(db.session)
    for job_id, job in jobs.JOBS.items():
        run = last[job_id]
        seen = f"{run.started_at:%Y-%m-%d %H:%M} {run.status}" if run else "never run"
        click.echo(f"{job_id:<15} {current_app.config['SCHEDULE'][job_id]}  last: {seen}")


@jobs_cli.command("run")
@click.argument("job_id", type=click.Choice(sorted(jobs.JOBS)))
def run_command(job_id):
    """Run one job now, logged like a scheduled run (usable from cron too)."""
    run = jobs.run_job(db.session, job_id, config=current_app.config)
    click.echo(f"{job_id}: {run.status} {run.result or ''}")
    if run.status != "ok":
        raise click.ClickException(run.error.strip().splitlines()[-1])


def register(app) -> None:
    app.cli.add_command(scheduler_command)
    app.cli.add_command(jobs_cli)
