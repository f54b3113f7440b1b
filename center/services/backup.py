"""Consistent copies of a live SQLite database (PostgreSQL uses pg_dump; see README)."""
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import URL


class BackupError(Exception):
    pass


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy a live database with SQLite's online backup API, then check the copy's integrity.

    A missing source, an existing target or an unreadable database is a BackupError, and no
    partial copy is left behind."""
    if not source.is_file():
        raise BackupError(f"{source} does not exist: there is no SQLite database to back up "
                          "(check DATABASE_URL, or create it with `flask --app center db upgrade`)")
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = _copy(source, target)
    except sqlite3.Error as error:
        target.unlink(missing_ok=True)
        raise BackupError(f"backup of {source} failed: {error}") from None
    if result != "ok":
        target.unlink()
        raise BackupError(f"integrity check of the copy failed: {result}")


def _copy(source: Path, target: Path) -> str:
    """The online backup, then the copy's integrity check result ("ok" when sound)."""
    uri = f"file:{quote(str(source))}?mode=ro"
    with sqlite3.connect(uri, uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    with sqlite3.connect(target) as copy:
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    return result


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite engine URL (Flask-SQLAlchemy has already made a relative path
    absolute under the instance folder); None for another database."""
    if url.get_backend_name() != "sqlite":
        return None
    return Path(url.database or ":memory:")
