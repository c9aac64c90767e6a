"""The PostgreSQL audit store as its users meet it: records chained and verified exactly as in the file, a row
changed or cut by someone with the superuser's rights named by its sequence number, the application's role unable
to change or remove a row, and PostgreSQL down: `note` goes on, `append` refuses in one line - and the URL's
password is never shown."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator

import psycopg
import pytest
import redis
from prometheus_client import REGISTRY

from audit.head import HeadStore
from audit.postgres import PostgresAudit
from audit.query import RecordFilter
from audit.record import AuditEvent
from core.errors import AuditTampered, AuditUnavailable
from tests.audit.postgres_db import PASSWORD, AuditDatabase, as_superuser
from tests.clock import ManualClock

KEY = b"pg-audit-test-key-0123456789abcdef"


@pytest.fixture
def store(audit_db: AuditDatabase, redis_conn: redis.Redis) -> Iterator[PostgresAudit]:
    clock = ManualClock(1_764_990_000.0)
    log = PostgresAudit(audit_db.app_url, connection=redis_conn, key=KEY, checkpoint_every=10, clock=clock)
    for i in range(25):
        clock.advance(60.0)  # a record a minute: a checkpoint every 10 records or 5 minutes
        log.append(
            AuditEvent.RECEIVED if i % 2 else AuditEvent.CONFIRMED,
            actor="alice" if i % 3 else "bob",
            where="slack:C1",
            what=f"scale web-{i % 4}-prod to {i}",
            params={"action": "scale", "resource_id": f"web-{i % 4}-prod", "desired_count": i, "ratio": 0.1 * i},
        )
    yield log
    log.close()


def test_records_chain_and_verify_like_the_file(store: PostgresAudit, redis_conn: redis.Redis) -> None:
    records = store.records()
    assert [r.seq for r in records] == list(range(1, 26))
    assert all(r.hash == r.compute_hash() for r in records)
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(records))
    assert records[3].params == {"action": "scale", "resource_id": "web-3-prod", "desired_count": 3, "ratio": 0.1 * 3}
    report = store.report()
    assert report.lines() == [f"OK: 25 records, chain intact ({store.source})"]
    assert store.verify() == 25
    head = HeadStore(redis_conn).read()
    assert head is not None and (head.seq, head.hash) == (25, records[-1].hash)
    assert PASSWORD not in store.source and store.source.startswith("postgresql://opsbot_app_")


def test_a_row_changed_by_the_superuser_is_named_by_its_seq(store: PostgresAudit, audit_db: AuditDatabase) -> None:
    as_superuser(audit_db, "UPDATE opsbot_audit SET what = 'scale web-1-prod to 2' WHERE seq = 7")
    with pytest.raises(AuditTampered) as caught:
        store.verify()
    assert str(caught.value) == "record 7 (confirmed) was modified"
    assert caught.value.index == 6


def test_a_row_removed_or_a_tail_cut_is_named(store: PostgresAudit, audit_db: AuditDatabase) -> None:
    as_superuser(audit_db, "DELETE FROM opsbot_audit WHERE seq = 12")
    assert store.report().problems == ("record 12 is missing before record 13",)
    as_superuser(audit_db, "DELETE FROM opsbot_audit WHERE seq >= 12")
    cut = store.report().problems
    assert len(cut) == 2
    assert cut[0].startswith("the log ends at record 11; the last checkpoint (")
    assert cut[1].startswith("the log ends at record 11; Redis says the last record is 25 (")


def test_a_rechained_rewrite_is_caught_by_the_signed_checkpoints(store: PostgresAudit, audit_db: AuditDatabase) -> None:
    forged = [r.model_copy(update={"what": "status"}) if r.seq == 15 else r for r in store.records()]
    prev = forged[13].hash
    statements = []
    for record in forged[14:]:  # the forger re-chains every record from 15 on, hashes recomputed
        record = record.model_copy(update={"prev_hash": prev})
        record = record.model_copy(update={"hash": record.compute_hash()})
        prev = record.hash
        statements.append(
            f"UPDATE opsbot_audit SET what = '{record.what}', prev_hash = '{record.prev_hash}', "
            f"hash = '{record.hash}' WHERE seq = {record.seq}"
        )
    as_superuser(audit_db, ";".join(statements))
    problems = store.report().problems
    assert problems[0].startswith("record 16 is not the one the checkpoint of ")  # every 5 min: 1, 6, 11, 16
    assert problems[0].endswith(": the log was rewritten after record 11 (the last checkpoint that matches)")


def test_the_application_role_cannot_change_or_remove_a_row(store: PostgresAudit, audit_db: AuditDatabase) -> None:
    refused = []
    with psycopg.connect(audit_db.app_url, autocommit=True) as app:
        for statement in (
            "UPDATE opsbot_audit SET actor = 'mallory' WHERE seq = 3",
            "DELETE FROM opsbot_audit WHERE seq = 25",
            "TRUNCATE opsbot_audit",
            "DELETE FROM opsbot_audit_checkpoints",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
                app.execute(statement.encode())
            refused.append(str(caught.value).splitlines()[0])
    assert refused == [
        "permission denied for table opsbot_audit",
        "permission denied for table opsbot_audit",
        "permission denied for table opsbot_audit",
        "permission denied for table opsbot_audit_checkpoints",
    ]
    owner = psycopg.connect(audit_db.admin_url, autocommit=True)  # the trigger refuses the superuser too
    with owner, pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
        owner.execute("DELETE FROM opsbot_audit WHERE seq = 25")
    assert str(caught.value).splitlines()[0] == "the opsbot audit is append-only: DELETE on opsbot_audit refused"
    assert store.verify() == 25


def test_tail_filters_by_actor_action_resource_and_time(store: PostgresAudit) -> None:
    assert [r.seq for r in store.tail(3)] == [23, 24, 25]
    assert [r.seq for r in store.tail(100, RecordFilter(actor="BOB"))] == [1, 4, 7, 10, 13, 16, 19, 22, 25]
    assert [r.seq for r in store.tail(2, RecordFilter(action="confirmed"))] == [23, 25]
    assert len(store.tail(100, RecordFilter(action="scale"))) == 25  # the change's action
    assert [r.seq for r in store.tail(100, RecordFilter(resource="web-2-prod", actor="alice"))] == [3, 11, 15, 23]
    since = store.records()[19].at
    assert [r.seq for r in store.tail(100, RecordFilter(since=since, action="received"))] == [20, 22, 24]
    assert store.tail(5, RecordFilter(resource="db-prod")) == []


def _failures() -> float:
    return REGISTRY.get_sample_value("opsbot_audit_write_failures_total") or 0.0


def test_postgresql_unreachable_note_goes_on_and_append_refuses_in_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = PostgresAudit(f"postgresql://opsbot:{PASSWORD}@127.0.0.1:9/opsbot")  # nothing listens on port 9
    before = _failures()
    with caplog.at_level(logging.WARNING, logger="audit"):
        for i in range(5):
            assert down.note(AuditEvent.ALERT_RECEIVED, actor="system", where="alerts:generic", what=f"a{i}") is None
        with pytest.raises(AuditUnavailable) as refused:
            down.append(AuditEvent.CONFIRMED, actor="alice", where="slack:C1", what="scale web-prod to 20")
    assert _failures() - before == 6
    assert str(refused.value) == (
        "The audit log cannot be written (PostgreSQL at postgresql://opsbot@127.0.0.1:9/opsbot: Connection refused): "
        "changes are refused for now."
    )
    assert [r.getMessage() for r in caplog.records] == [
        "audit log writes failing: PostgreSQL at postgresql://opsbot@127.0.0.1:9/opsbot: Connection refused "
        "(one line per outage; opsbot_audit_*_failures_total counts)"
    ]
    assert down.outage.current is not None and PASSWORD not in down.outage.current
    down.close()


def test_a_session_the_server_ended_is_opened_again_and_nothing_is_lost(audit_db: AuditDatabase) -> None:
    with PostgresAudit(audit_db.app_url) as log:
        assert log.append(AuditEvent.RECEIVED, actor="alice", where="slack:C1", what="status").seq == 1
        with psycopg.connect(audit_db.admin_url, autocommit=True) as admin:  # a restart, a failover, idle timeout
            ended = admin.execute(  # this test's database only: other tests run beside it
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'opsbot-audit'"
            ).fetchone()
        assert ended == (1,)
        written = log.append(AuditEvent.RECEIVED, actor="alice", where="slack:C1", what="status again")
        assert written.seq == 2
        assert log.outage.current is None
        assert log.verify() == 2


def test_a_database_without_the_tables_is_one_line(audit_db: AuditDatabase) -> None:
    as_superuser(audit_db, "DROP TABLE opsbot_audit")
    with PostgresAudit(audit_db.app_url) as log, pytest.raises(AuditUnavailable) as refused:
        log.append(AuditEvent.RECEIVED, actor="alice", where="slack:C1", what="status")
    assert str(refused.value) == (
        "The audit log cannot be written (its tables do not exist: run opsbot audit init-db): "
        "changes are refused for now."
    )
