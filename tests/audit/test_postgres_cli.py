"""The operator's commands for the PostgreSQL audit: `opsbot audit init-db` (or its SQL for psql), `import` of an
existing file log (verified first; only into an empty log), and `verify` and `tail` (with its filters) giving the
same answers on either store. Each refusal is one short line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from audit.log import AuditEvent, AuditLog
from audit.postgres import PostgresAudit
from bot.cli import app
from tests.audit.postgres_db import PASSWORD, AuditDatabase
from tests.clock import ManualClock

KEY = "cli-test-audit-key-0123456789"
RECORDS = 30
runner = CliRunner()


@pytest.fixture
def file_log(tmp_path: Path, redis_url: str, redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file log as a one-host opsbot left it: records, checkpoints, the head in Redis."""
    monkeypatch.setenv("OPSBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPSBOT_REDIS_URL", redis_url)
    monkeypatch.setenv("OPSBOT_AUDIT_KEY", KEY)
    clock = ManualClock(1_764_990_000.0)  # 2025-12-06 03:00 UTC
    log = AuditLog(tmp_path / "data", connection=redis_conn, key=KEY.encode(), checkpoint_every=10, clock=clock)
    for i in range(RECORDS):
        clock.advance(600.0)  # a record every 10 min
        log.append(
            AuditEvent.CONFIRMED if i % 5 == 0 else AuditEvent.RECEIVED,
            actor=("alice", "bob", "carol")[i % 3],
            where="slack:C1",
            what=f"scale {('web', 'db')[i % 2]}-prod to {i}",
            params={"action": "scale", "resource_name": f"{('web', 'db')[i % 2]}-prod"},
        )
    return log.path


def _run(*args: str) -> tuple[int, list[str]]:
    done = runner.invoke(app, ["audit", *args])
    return done.exit_code, done.output.splitlines()


def test_import_keeps_the_chain_and_the_log_goes_on_in_postgresql(
    file_log: Path, audit_db: AuditDatabase, redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSBOT_AUDIT_URL", audit_db.app_url)
    source = f"postgresql://{audit_db.role}@127.0.0.1:5432/{audit_db.name}, table opsbot_audit"
    assert _run("import", str(file_log)) == (
        0,
        [f"OK: {RECORDS} records imported into {source}; it verifies (30 records)"],
    )
    with PostgresAudit(audit_db.app_url, connection=redis_conn, key=KEY.encode()) as store:
        imported = store.records()
        following = store.append(AuditEvent.RECEIVED, actor="alice", where="slack:C1", what="status")
    assert [r.model_dump() for r in imported] == [json.loads(line) for line in file_log.read_text().splitlines()]
    assert (following.seq, following.prev_hash) == (RECORDS + 1, imported[-1].hash)
    assert _run("verify") == (0, [f"OK: {RECORDS + 1} records, chain intact ({source})"])
    again = _run("import", str(file_log))
    assert again == (
        1,
        [f"opsbot: the PostgreSQL audit log already holds {RECORDS + 1} records: import only into an empty one"],
    )


def test_a_file_that_does_not_verify_or_is_not_a_log_is_not_imported(
    file_log: Path, audit_db: AuditDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSBOT_AUDIT_URL", audit_db.app_url)
    lines = file_log.read_text().splitlines(keepends=True)
    file_log.write_text("".join([*lines[:5], lines[5].replace("db-prod to 5", "db-prod to 50"), *lines[6:]]))
    assert _run("import", str(file_log)) == (
        1, [f"opsbot: {file_log} does not verify (line 6 (record 6, confirmed) was modified): nothing imported"]
    )  # fmt: skip
    elsewhere = file_log.with_name("audit-copy.jsonl")
    elsewhere.write_text("".join(lines))
    assert _run("import", str(elsewhere)) == (
        1, [f"opsbot: {elsewhere} is not a data dir's audit.jsonl: name the data dir or its audit.jsonl"]
    )  # fmt: skip
    with PostgresAudit(audit_db.app_url) as store:
        assert store.count() == 0


def test_tail_filters_answer_the_same_on_both_stores(
    file_log: Path, audit_db: AuditDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = [
        ["-n", "4"],
        ["--actor", "bob"],
        ["--action", "confirmed", "--resource", "web-prod"],
        [
            "--resource",
            "db-prod",
            "--since",
            "2025-12-06T03:50",
            "--actor",
            "alice",
        ],  # a record every 10 min from 03:00
        ["--action", "scale", "--actor", "Carol", "--json"],
        ["--since", "1h"],  # the records are from 2025: none is that recent
    ]
    from_file = [_run("tail", *query) for query in queries]
    monkeypatch.setenv("OPSBOT_AUDIT_URL", audit_db.app_url)
    assert _run("import", str(file_log.parent))[0] == 0  # the data dir names its log too
    assert [_run("tail", *query) for query in queries] == from_file
    seqs = [[int(line.split()[0]) for line in lines] for _, lines in from_file[:4]]
    assert seqs == [[27, 28, 29, 30], [2, 5, 8, 11, 14, 17, 20, 23, 26, 29], [1, 11, 21], [10, 16, 22, 28]]
    assert [json.loads(line)["seq"] for line in from_file[4][1]] == [3, 6, 9, 12, 15, 18, 21, 24, 27, 30]
    assert from_file[5] == (0, [])


def test_a_time_tail_does_not_understand_is_one_line(file_log: Path) -> None:
    code, lines = _run("tail", "--since", "yesterday")
    assert (code, lines) == (
        2,
        ["opsbot: --since 'yesterday' is not a time: use an age like 30m, 2h, 7d or 1h30m, or a UTC date like "
         "2026-12-01 or 2026-12-01T14:30"],
    )  # fmt: skip


def test_postgresql_down_is_one_line_without_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_AUDIT_URL", f"postgresql://opsbot:{PASSWORD}@127.0.0.1:9/opsbot")
    for command in (["verify"], ["tail"]):
        code, lines = _run(*command)
        assert (code, lines) == (
            1,
            ["opsbot: The audit log cannot be read (PostgreSQL at postgresql://opsbot@127.0.0.1:9/opsbot: "
             "Connection refused)."],
        )  # fmt: skip


def test_init_db_prints_or_runs_the_set_up_and_refuses_the_wrong_role(audit_db: AuditDatabase) -> None:
    code, printed = _run("init-db", "--print", "--role", "opsbot")
    assert code == 0
    assert "CREATE TABLE IF NOT EXISTS opsbot_audit (" in printed
    assert printed[-2:] == [
        "GRANT SELECT, INSERT ON opsbot_audit, opsbot_audit_checkpoints TO opsbot;",
        "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON opsbot_audit, opsbot_audit_checkpoints FROM opsbot;",
    ]
    assert _run("init-db", "--url", audit_db.admin_url, "--role", audit_db.role) == (
        0,
        ["OK: tables opsbot_audit and opsbot_audit_checkpoints ready, UPDATE, DELETE and TRUNCATE refused by a trigger",
         f"OK: role {audit_db.role} may SELECT and INSERT, nothing else"],
    )  # fmt: skip
    assert _run("init-db", "--url", audit_db.admin_url, "--role", "postgres") == (
        1, ["opsbot: run init-db as another role than postgres: whoever owns the tables can drop the trigger"]
    )  # fmt: skip
    assert _run("init-db", "--print", "--role", "x; DROP TABLE t") == (
        2, ["opsbot: 'x; DROP TABLE t' is not a plain role name (lower-case letters, digits, _)"]
    )  # fmt: skip
