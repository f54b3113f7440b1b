"""The audit mechanism every domain reuses: flush events record who changed what.

A model opts in with ``__audited__ = True`` (and ``__audit_exclude__`` for secrets). Each flush
writes one AuditEntry per created, changed, transitioned or archived row, in the same
transaction. Deleting an audited row is refused: records are archived, never deleted.
"""
import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import event, inspect, insert
from sqlalchemy.orm import Session

from center.models.audit import AuditEntry
from center.models.base import utcnow

STATE_COLUMNS = ("status", "state", "is_active")


class ArchiveOnlyError(Exception):
    """Raised when code tries to delete an audited record."""


def acting(session, actor) -> None:
    """Name the user on whose behalf the session's next flushes are made (None: the system)."""
    session.info["actor_id"] = getattr(actor, "id", actor)


def with_reason(obj, reason: str | None) -> None:
    """Attach a reason (a rejection, a return) to the next audit entry of obj."""
    obj.__dict__["_audit_reason"] = reason


def archive(session, record, *, actor, now=None) -> None:
    """Archive a record (the only way one leaves the lists); the audit log records it."""
    acting(session, actor)
    record.archived_at = now or utcnow()
    session.flush()


def restore(session, record, *, actor) -> None:
    """Bring an archived record back."""
    acting(session, actor)
    record.archived_at = None
    session.flush()


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _audited(obj) -> bool:
    return getattr(type(obj), "__audited__", False)


def _column_changes(obj, new: bool) -> dict:
    state = inspect(obj)
    excluded = set(getattr(type(obj), "__audit_exclude__", ()))
    changes = {}
    for attr in state.mapper.column_attrs:
        if attr.key in excluded:
            continue
        history = state.attrs[attr.key].history
        if new:
            value = getattr(obj, attr.key)
            if value is not None:
                changes[attr.key] = [None, _plain(value)]
        elif history.has_changes():
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if before != after:
                changes[attr.key] = [_plain(before), _plain(after)]
    changes.update(_list_changes(obj, state, new))
    return changes


def _list_changes(obj, state, new: bool) -> dict:
    """Values kept in child rows, declared as `__audit_lists__ = {name: (relationship, column)}`
    (a consultation's topics): recorded on the parent as sorted lists, before and after."""
    changes = {}
    for name, (relation, column) in getattr(type(obj), "__audit_lists__", {}).items():
        after = sorted(getattr(row, column) for row in getattr(obj, relation))
        if new:
            if after:
                changes[name] = [None, after]
            continue
        history = state.attrs[relation].history
        if not history.has_changes():
            continue
        added = {getattr(row, column) for row in history.added}
        removed = {getattr(row, column) for row in history.deleted}
        before = sorted((set(after) - added) | removed)
        if before != after:
            changes[name] = [before, after]
    return changes


def _action(changes: dict, new: bool) -> str:
    if new:
        return "create"
    if "archived_at" in changes:
        return "restore" if changes["archived_at"][1] is None else "archive"
    if any(column in changes for column in STATE_COLUMNS):
        return "transition"
    return "update"


@event.listens_for(Session, "before_flush")
def _refuse_deletes(session, flush_context, instances):
    for obj in session.deleted:
        if _audited(obj):
            raise ArchiveOnlyError(f"{type(obj).__name__} records are archived, never deleted")


@event.listens_for(Session, "after_flush")
def _record_changes(session, flush_context):
    rows = []
    now = utcnow()
    for obj, new in [(o, True) for o in session.new] + [(o, False) for o in session.dirty]:
        if not _audited(obj):
            continue
        changes = _column_changes(obj, new)
        if not changes:
            continue
        pk = inspect(obj).identity or (getattr(obj, "id", None),)
        rows.append({
            "at": now,
            "actor_id": session.info.get("actor_id"),
            "table_name": obj.__tablename__,
            "record_id": ",".join(str(v) for v in pk),
            "action": _action(changes, new),
            "changes": changes,
            "reason": obj.__dict__.pop("_audit_reason", None),
        })
    if rows:
        session.connection().execute(insert(AuditEntry), rows)
