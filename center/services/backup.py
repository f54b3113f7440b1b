"""Consistent copies of a live SQLite database (PostgreSQL uses pg_dump; see README)."""
import sqlite3
from pathlib import Path


class BackupError(Exception):
    pass


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy a live database with SQLite's online backup API, then check the copy's integrity."""
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    with sqlite3.connect(target) as copy:
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    if result != "ok":
        target.unlink()
        raise BackupError(f"integrity check of the copy failed: {result}")


def sqlite_path(database_uri: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(database_uri[len(prefix):]) if database_uri.startswith(prefix) else None
