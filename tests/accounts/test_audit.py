"""The audit mechanism: every create, change, transition and archive is recorded once, with
the actor and before/after values; secrets never; deletes refused."""
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from center.models.audit import AuditEntry
from center.models.directory import Organization
from center.reports import audit as audit_report
from center.services import accounts, audit, directory
from center.services.audit import ArchiveOnlyError
from tests.factories import make_organization, make_user


def entries(session, table, record_id):
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.table_name == table, AuditEntry.record_id == str(record_id))
        .order_by(AuditEntry.id)))


def audit_count(session):
    return session.scalar(select(func.count(AuditEntry.id)))


def test_create_is_recorded_with_actor_and_new_values(session):
    admin = make_user(session, role="admin")
    org = directory.create_organization(
        session, {"name": "北京协作者", "credit_code": "52110000MJ0163191U"}, actor=admin)
    [entry] = entries(session, "organizations", org.id)
    assert entry.action == "create"
    assert entry.actor_id == admin.id
    assert entry.changes["name"] == [None, "北京协作者"]
    assert entry.changes["credit_code"] == [None, "52110000MJ0163191U"]


def test_update_records_before_and_after_of_changed_columns_only(session):
    admin = make_user(session, role="admin")
    org = make_organization(session, name="旧名称社会组织")
    directory.update_organization(session, org, {"name": "新名称社会组织",
                                                 "credit_code": org.credit_code}, actor=admin)
    entry = entries(session, "organizations", org.id)[-1]
    assert entry.action == "update"
    assert entry.actor_id == admin.id
    assert entry.changes["name"] == ["旧名称社会组织", "新名称社会组织"]
    assert "credit_code" not in entry.changes


def test_state_change_is_recorded_as_transition(session):
    admin = make_user(session, role="admin")
    user = make_user(session, role="frontdesk")
    accounts.set_active(session, user, False, actor=admin)
    entry = entries(session, "users", user.id)[-1]
    assert (entry.action, entry.actor_id) == ("transition", admin.id)
    assert entry.changes == {"is_active": [True, False]}


def test_archive_and_restore_are_recorded(session):
    admin = make_user(session, role="admin")
    org = make_organization(session)
    moment = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)
    audit.archive(session, org, actor=admin, now=moment)
    audit.restore(session, org, actor=admin)
    archive, restore = entries(session, "organizations", org.id)[-2:]
    assert archive.action == "archive"
    assert archive.changes["archived_at"] == [None, moment.isoformat()]
    assert restore.action == "restore"
    assert restore.changes["archived_at"] == [moment.isoformat(), None]


def test_password_hash_never_appears_in_the_audit_log(session):
    admin = make_user(session, role="admin")
    user = make_user(session, role="manager")
    accounts.set_password(session, user, "a-new-long-passphrase-77", actor=admin)
    accounts.update_user(session, user, display_name="改名", role="manager", actor=admin)
    session.commit()
    rows = entries(session, "users", user.id)
    dumped = json.dumps([row.changes for row in rows])
    assert "password" not in dumped
    assert user.password_hash not in dumped
    assert [row.action for row in rows] == ["create", "password", "update"]
    assert rows[1].actor_id == admin.id


def test_api_token_hash_never_appears_in_the_audit_log(session):
    user = make_user(session, role="manager")
    token = accounts.issue_token(session, user, actor=user)
    session.commit()
    dumped = json.dumps([e.changes for e in session.scalars(select(AuditEntry))])
    assert "token_hash" not in dumped
    assert accounts._digest(token) not in dumped and token not in dumped


def test_deleting_an_audited_record_raises_and_writes_nothing(session):
    org = make_organization(session)
    session.commit()
    before = audit_count(session)
    session.delete(org)
    with pytest.raises(ArchiveOnlyError):
        session.flush()
    session.rollback()
    assert session.get(Organization, org.id) is not None
    assert audit_count(session) == before


def test_audit_entry_rolls_back_with_the_change(session):
    session.commit()
    before = audit_count(session)
    make_organization(session)
    session.rollback()
    assert audit_count(session) == before


# --- the report ------------------------------------------------------------------------------

def _entry(session, **fields):
    values = {"table_name": "organizations", "record_id": "1", "action": "update",
              "changes": {"name": ["甲", "乙"]}, "at": datetime.now(timezone.utc)} | fields
    session.add(AuditEntry(**values))


def test_report_filters_by_table_record_actor_and_action(session):
    alice = make_user(session, role="admin", username="alice", display_name="王丽")
    bob = make_user(session, role="manager", username="bob")
    session.query(AuditEntry).delete()
    _entry(session, actor_id=alice.id, record_id="7")
    _entry(session, actor_id=bob.id, record_id="7", action="archive")
    _entry(session, actor_id=alice.id, table_name="platforms", record_id="7")
    _entry(session, actor_id=None, record_id="8")
    session.flush()

    def ids(**filters):
        page = audit_report.audit_page(session, audit_report.AuditFilters(**filters))
        return {(row.table, row.record_id, row.action, row.actor_username) for row in page.rows}

    assert ids(table="organizations", record_id="7") == {
        ("organizations", "7", "update", "alice"), ("organizations", "7", "archive", "bob")}
    assert ids(actor="ALICE") == ids(actor="王") == {
        ("organizations", "7", "update", "alice"), ("platforms", "7", "update", "alice")}
    assert ids(action="archive") == {("organizations", "7", "archive", "bob")}
    assert ids(record_id="8") == {("organizations", "8", "update", None)}


def test_report_date_range_uses_local_days_inclusive(session):
    session.query(AuditEntry).delete()
    # 2025-03-01 23:30 in Beijing is 15:30 UTC; 2025-03-02 00:30 Beijing is 2025-03-01 16:30 UTC.
    _entry(session, record_id="in", at=datetime(2025, 3, 1, 15, 30, tzinfo=timezone.utc))
    _entry(session, record_id="next-day", at=datetime(2025, 3, 1, 16, 30, tzinfo=timezone.utc))
    _entry(session, record_id="before", at=datetime(2025, 2, 28, 15, 59, tzinfo=timezone.utc))
    session.flush()
    page = audit_report.audit_page(session, audit_report.AuditFilters(
        date_from=date(2025, 3, 1), date_to=date(2025, 3, 1)))
    assert [row.record_id for row in page.rows] == ["in"]


def test_report_is_newest_first_and_paginated(session):
    session.query(AuditEntry).delete()
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    for n in range(7):
        _entry(session, record_id=str(n), at=start + timedelta(hours=n))
    session.flush()
    first = audit_report.audit_page(session, audit_report.AuditFilters(), page=1, per_page=3)
    third = audit_report.audit_page(session, audit_report.AuditFilters(), page=3, per_page=3)
    assert first.total == 7
    assert [row.record_id for row in first.rows] == ["6", "5", "4"]
    assert [row.record_id for row in third.rows] == ["0"]


def test_report_shows_changes_readably_and_writes_nothing(session):
    session.query(AuditEntry).delete()
    _entry(session, changes={"is_active": [True, False],
                             "archived_at": [None, "2025-03-01T08:00:00+00:00"]})
    session.commit()
    page = audit_report.audit_page(session, audit_report.AuditFilters())
    changes = {change.column: (change.before, change.after) for change in page.rows[0].changes}
    assert changes["is_active"] == ("是", "否")
    assert changes["archived_at"] == ("—", "2025-03-01 16:00:00")  # Beijing time
    assert not session.new and not session.dirty and not session.deleted


def test_audited_tables_lists_every_audited_model():
    tables = dict(audit_report.audited_tables())
    assert {"users", "api_tokens", "organizations", "platforms", "regions"} <= set(tables)
    assert "audit_entries" not in tables and "auth_sessions" not in tables
    assert str(tables["organizations"]) == "社会组织"
