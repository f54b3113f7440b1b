"""flask commands: seeding, users and tokens, backups, demo data."""
import sys
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from center import cli_jobs
from center.extensions import db
from center.models.accounts import ROLE_CODES, User
from center.services import accounts, directory, reviews
from center.services.backup import BackupError, backup_sqlite, sqlite_path
from center.services.errors import DomainError

users_cli = AppGroup("users", help="Manage user accounts.")


def register(app) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(send_mail_command)
    app.cli.add_command(venue_jobs_command)
    app.cli.add_command(review_digest_command)
    cli_jobs.register(app)


@click.command("seed")
def seed_command():
    """Load reference data (Beijing's regions, the return-reason checklist); safe to run again."""
    added = directory.seed_beijing_regions(db.session)
    reasons = reviews.seed_return_reasons(db.session)
    db.session.commit()
    click.echo(f"regions added: {added}; return reasons added: {reasons}")


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLE_CODES))
@click.option("--name", "display_name", help="Display name (defaults to the user name).")
@click.option("--platform", "platform_id", type=int, help="Platform id, for role platform.")
@click.option("--org", "credit_code", help="Organization credit code, for role org.")
@click.option("--email")
def create_user_command(username, role, display_name, platform_id, credit_code, email):
    """Create a user; the password is read from a prompt, or from standard input."""
    if platform_id and role != "platform":
        raise click.ClickException("--platform is only for role platform")
    if credit_code and role != "org":
        raise click.ClickException("--org is only for role org")
    data = {"username": username, "role": role, "display_name": display_name or username,
            "platform_id": platform_id, "organization_code": credit_code, "email": email,
            "password": _read_password()}
    try:
        user = accounts.register_user(db.session, data,
                                      min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    except DomainError as error:
        details = "; ".join(str(m) for m in error.fields.values() if str(m) != str(error.message))
        raise click.ClickException(f"{error.message} {details}".strip()) from None
    db.session.commit()
    click.echo(f"created user {user.username} ({user.role})")


@users_cli.command("token")
@click.argument("username")
def token_command(username):
    """Issue an API token for USERNAME; the token is the last line printed."""
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None or not user.is_active:
        raise click.ClickException(f"no active user {username}")
    token = accounts.issue_token(db.session, user)
    db.session.commit()
    click.echo("Store this token now; it cannot be shown again.")
    click.echo(token)


@click.command("backup")
@click.argument("target", required=False, type=click.Path(path_type=Path))
def backup_command(target):
    """Write a consistent copy of the live SQLite database (checked for integrity)."""
    source = sqlite_path(db.engine.url)
    if source is None:
        raise click.ClickException("this database is not SQLite: use pg_dump (see README)")
    if target is None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        target = Path(current_app.instance_path) / "backups" / f"center-{stamp}.db"
    try:
        backup_sqlite(source, target)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backup written and checked: {target}")


@click.command("demo-data")
@click.option("--scale", default=1, type=click.IntRange(1, 1000), help="Multiply volumes.")
def demo_data_command(scale):
    """Build the deterministic demo data set and print the demo logins."""
    from center.services import demo

    logins = demo.build(db.session, scale=scale)
    db.session.commit()
    click.echo("Demo logins (user name / password):")
    for username, role, password in logins:
        click.echo(f"  {role:<11} {username:<16} {password}")


@click.command("send-mail")
def send_mail_command():
    """Send the queued e-mails through MAIL_SERVER (what a request could not send stays queued)."""
    from center.services import notifications

    if not current_app.config.get("MAIL_SERVER"):
        raise click.ClickException("MAIL_SERVER is not configured: the e-mails stay queued")
    sent = notifications.send_queued(db.session, smtp_config=current_app.config)
    db.session.commit()
    click.echo(f"e-mails sent: {sent}, still queued: {notifications.queued_count(db.session)}")


@click.command("venue-jobs")
def venue_jobs_command():
    """Expire lapsed waitlist holds and mark no-shows (idempotent; run every few minutes)."""
    from center.services import notifications, venues

    expired = venues.expire_holds(db.session)
    no_shows = venues.release_no_shows(db.session)
    db.session.commit()
    if current_app.config.get("MAIL_SERVER"):  # offers made by the jobs notify by e-mail too
        notifications.send_queued(db.session, smtp_config=current_app.config)
        db.session.commit()
    click.echo(f"holds expired: {expired}, no-shows marked: {no_shows}")


@click.command("review-digest")
def review_digest_command():
    """Send today's digest of overdue pre-review items to the managers (once per working day;
    a second run the same day sends nothing)."""
    from center.services import notifications, review_digest

    outcome = review_digest.send_overdue_digest(db.session)
    db.session.commit()
    if outcome.sent and current_app.config.get("MAIL_SERVER"):
        notifications.send_queued(db.session, smtp_config=current_app.config)
        db.session.commit()
    if outcome.sent:
        click.echo(f"{outcome.day}: {outcome.overdue} overdue, digest sent to "
                   f"{outcome.recipients} manager(s)")
    else:
        reasons = {"done": "already sent today", "day_off": "not a working day",
                   "nothing_overdue": "nothing overdue"}
        click.echo(f"{outcome.day}: nothing sent ({reasons[outcome.reason]})")
