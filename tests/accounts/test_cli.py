"""flask users create / users token / backup."""
import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import make_url, select

from center import create_app
from center.extensions import db
from center.models.accounts import ApiToken, User
from center.models.directory import Organization
from center.services import accounts, backup
from tests.conftest import PG_URL, base_config
from tests.factories import make_organization, make_platform

PASSWORD = "plum-harbor-lantern-93"


def find_user(session, username):
    session.expire_all()
    return session.scalar(select(User).where(User.username == username))


def test_users_create_reads_the_password_from_stdin(runner, session, app):
    result = runner.invoke(args=["users", "create", "chen", "--role", "manager",
                                 "--name", "陈主任"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    user = find_user(session, "chen")
    assert (user.role, user.display_name) == ("manager", "陈主任")
    assert accounts.authenticate(session, username="chen", password=PASSWORD, ip_address="cli",
                                 config=app.config) is not None


def test_users_create_with_platform_and_org_scope(runner, session):
    platform = make_platform(session)
    org = make_organization(session)
    session.commit()
    result = runner.invoke(args=["users", "create", "ops", "--role", "platform",
                                 "--platform", str(platform.id)], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "contact", "--role", "org",
                                 "--org", org.credit_code], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert find_user(session, "ops").platform_id == platform.id
    assert find_user(session, "contact").organization_id == org.id


def test_users_create_rejects_an_unknown_role_clearly(runner, session):
    result = runner.invoke(args=["users", "create", "boss", "--role", "boss"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 2
    assert "Invalid value for '--role'" in result.output and "'boss' is not one of" in result.output
    assert find_user(session, "boss") is None


@pytest.mark.parametrize("args, message", [
    (["--role", "platform"], "平台用户必须指定所属平台"),
    (["--role", "platform", "--platform", "9999"], "平台用户必须指定所属平台"),
    (["--role", "org", "--org", "52110000MJ0163191X"], "校验位不正确"),
    (["--role", "manager", "--org", "52110000MJ0163191U"], "--org is only for role org"),
])
def test_users_create_refuses_a_wrong_scope(runner, session, args, message):
    result = runner.invoke(args=["users", "create", "someone", *args], input=PASSWORD + "\n")
    assert result.exit_code == 1
    assert message in result.output
    assert find_user(session, "someone") is None


def test_users_create_refuses_a_weak_password_and_a_taken_name(runner, session):
    result = runner.invoke(args=["users", "create", "weak", "--role", "manager"],
                           input="password\n")
    assert result.exit_code == 1 and "密码至少需要 10 个字符" in result.output
    assert find_user(session, "weak") is None
    runner.invoke(args=["users", "create", "taken", "--role", "manager"], input=PASSWORD + "\n")
    result = runner.invoke(args=["users", "create", "Taken", "--role", "manager"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 1 and "用户名已被使用" in result.output


def test_users_token_prints_a_token_that_authenticates(runner, session):
    runner.invoke(args=["users", "create", "robot", "--role", "manager"], input=PASSWORD + "\n")
    result = runner.invoke(args=["users", "token", "robot"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    session.expire_all()
    row = session.scalar(select(ApiToken))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash
    assert accounts.user_for_token(session, token).username == "robot"


def test_users_token_for_unknown_user_fails_clearly(runner):
    result = runner.invoke(args=["users", "token", "nobody"])
    assert result.exit_code == 1 and "no active user nobody" in result.output


# --- backup ----------------------------------------------------------------------------------

needs_sqlite = pytest.mark.skipif(
    bool(PG_URL), reason="backup command covers SQLite; PostgreSQL uses pg_dump")


@needs_sqlite
def test_backup_writes_a_copy_that_passes_integrity_check(runner, session, tmp_path):
    make_organization(session, name="备份前的组织")
    session.commit()
    target = tmp_path / "backups" / "center.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        names = [row[0] for row in copy.execute("SELECT name FROM organizations")]
    assert "备份前的组织" in names


@needs_sqlite
def test_backup_refuses_to_overwrite(runner, tmp_path):
    target = tmp_path / "exists.db"
    target.write_bytes(b"keep me")
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 1 and "already exists" in result.output
    assert target.read_bytes() == b"keep me"


@needs_sqlite
def test_backup_of_a_missing_database_file_is_a_clear_refusal(tmp_path):
    missing = tmp_path / "nowhere" / "center.db"
    target = tmp_path / "backups" / "copy.db"
    app = create_app(base_config(f"sqlite:///{missing}"))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["backup", str(target)])
        db.engine.dispose()
    assert result.exit_code == 1
    assert f"{missing} does not exist" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert not target.parent.exists()


@needs_sqlite
def test_backup_copies_the_file_the_app_uses_when_the_uri_is_relative():
    app = create_app(base_config("sqlite:///relative-backup-test.db"))
    with app.app_context():
        assert backup.sqlite_path(db.engine.url) == \
            Path(app.instance_path) / "relative-backup-test.db"
        db.engine.dispose()
    assert backup.sqlite_path(make_url("postgresql://localhost/center")) is None


@needs_sqlite
def test_restore_from_backup_brings_back_the_data_at_backup_time(runner, session, tmp_path):
    kept_code = make_organization(session, name="备份时已有的组织").credit_code
    session.commit()
    backup = tmp_path / "backup.db"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    make_organization(session, name="备份之后才加的组织")
    session.commit()

    restored = tmp_path / "restored" / "center.db"
    restored.parent.mkdir()
    restored.write_bytes(b"")  # a fresh, empty database file, then the backup copied over it
    shutil.copy(backup, restored)
    app = create_app(base_config(f"sqlite:///{restored}"))
    with app.app_context():
        names = set(db.session.scalars(select(Organization.name)))
        codes = set(db.session.scalars(select(Organization.credit_code)))
        db.session.remove()
        db.engine.dispose()
    assert "备份时已有的组织" in names and kept_code in codes
    assert "备份之后才加的组织" not in names
