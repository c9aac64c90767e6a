"""`opsbot audit import FILE`: an existing file log into an empty PostgreSQL log, record for record - the same
sequence numbers, times and hashes, and its signed checkpoints - so the chain (and the Redis head that names its
last record) goes on unbroken. The file is verified first; a table that already holds records is refused."""

from __future__ import annotations

from pathlib import Path

import psycopg
import redis

from audit import checkpoints, torn
from audit.log import FILE_NAME
from audit.pg_link import Link, cause
from audit.pg_schema import CHECKPOINTS, INSERT, LOCK_KEY, TABLE
from audit.postgres import PostgresAudit, row
from audit.record import AuditRecord
from audit.verify import verify_audit
from core.errors import AuditUnavailable, OpsbotError

BATCH = 1_000


def import_file(log: Path, store: PostgresAudit, key: bytes | None, connection: redis.Redis | None = None) -> int:
    """Copy the file log `log` (a data dir's audit.jsonl, or the dir; its checkpoints beside it) into `store`;
    returns the records copied. The file is verified first, against the Redis head in `connection` too. Raises
    OpsbotError in one line: no such log, it does not verify, the table is not empty, PostgreSQL cannot take them
    (AuditUnavailable)."""
    log = log / FILE_NAME if log.is_dir() else log
    if not log.is_file():
        raise OpsbotError(f"no audit log at {log}")
    if log.name != FILE_NAME:  # its checkpoints are found by name beside it
        raise OpsbotError(f"{log} is not a data dir's {FILE_NAME}: name the data dir or its {FILE_NAME}")
    _refuse_unless_empty(store.count())
    found = verify_audit(log.parent, connection=connection, key=key)
    if not found.ok:
        raise OpsbotError(f"{log} does not verify ({found.problems[0]}): nothing imported")
    try:
        return _copy(store, log)
    except psycopg.Error as exc:
        raise AuditUnavailable(
            f"The audit log cannot be imported ({cause(exc, store.url)}): nothing imported."
        ) from exc


def _copy(store: PostgresAudit, log: Path) -> int:
    marks = [m for m in checkpoints.read_all(log.parent) if m is not None]
    with Link(store.url).get() as conn:  # its own session: the lock goes with it
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))  # no append between the check and the copy
        with conn.transaction():
            present = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()  # noqa: S608 - constant
            _refuse_unless_empty(present[0] if present else 0)  # again: under the lock, in this transaction
            copied = 0
            with conn.cursor() as cursor, log.open("rb") as fh:
                end, _ = torn.last_record(fh, log.stat().st_size)
                fh.seek(0)
                batch: list[tuple[object, ...]] = []
                for line in torn.lines_until(fh, end):
                    if line.strip():
                        batch.append(row(AuditRecord.model_validate_json(line)))
                    if len(batch) >= BATCH:
                        cursor.executemany(INSERT, batch)
                        copied, batch = copied + len(batch), []
                cursor.executemany(INSERT, batch)
                copied += len(batch)
                cursor.executemany(
                    f"INSERT INTO {CHECKPOINTS} (seq, hash, at, hmac) VALUES (%s, %s, %s, %s)",  # noqa: S608 - constant
                    [(m.seq, m.hash, m.at, m.mac) for m in marks],
                )
    return copied


def _refuse_unless_empty(held: int) -> None:
    if held:
        raise OpsbotError(f"the PostgreSQL audit log already holds {held} records: import only into an empty one")
