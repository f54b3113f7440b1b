"""The schema comes only from migrations: one head, no drift from the models, and a full
upgrade / downgrade / upgrade cycle from an empty database, on SQLite and on PostgreSQL."""
import os
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from center import create_app
from center.config import normalize_database_url
from center.extensions import db
from center.services import textsearch
from tests.conftest import base_config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
PG_URL = os.environ.get("TEST_DATABASE_URL")


def _script() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def _schema_diff(connection) -> list:
    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "include_object": textsearch.include_in_autogenerate})
    return compare_metadata(context, db.metadata)


def test_migrations_have_a_single_head():
    heads = _script().get_heads()
    assert len(heads) == 1, f"several migration heads, merge them: {heads}"


def test_models_and_migrations_agree(app):
    """The test database is built by migrations; autogenerate must find nothing to add."""
    with db.engine.connect() as connection:
        assert _schema_diff(connection) == []
        assert MigrationContext.configure(connection).get_current_revision() \
            == _script().get_current_head()


@pytest.fixture
def empty_database(tmp_path):
    """The URI of an empty database: a new SQLite file, or a new PostgreSQL database on the
    TEST_DATABASE_URL server (dropped afterwards) so the shared test schema is left alone."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    import psycopg

    server = make_url(normalize_database_url(PG_URL))
    name = f"center_migrations_{uuid.uuid4().hex[:12]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_downgrade_upgrade_from_empty(empty_database):
    app = create_app(base_config(empty_database) | {"SQLALCHEMY_ENGINE_OPTIONS": {}})
    with app.app_context():
        try:
            upgrade()
            tables = set(inspect(db.engine).get_table_names())
            assert {t.name for t in db.metadata.sorted_tables} <= tables
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            with db.engine.connect() as connection:
                assert _schema_diff(connection) == []
        finally:
            db.session.remove()
            db.engine.dispose()
