"""`opsbot audit verify` on PostgreSQL: the append lock taken shared for a moment, so the checkpoint rows, the
Redis head and the snapshot the rows are read in are one consistent state (no append half-done), then the rows
streamed through the file's own chain check (audit.verify.chain) and judged by the same rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import redis

from audit.checkpoints import Checkpoint
from audit.pg_schema import CHECKPOINTS, LOCK_KEY, SELECT
from audit.record import AuditRecord
from audit.verify import AuditReport, Outside, Scan, chain, judge, read_head, wanted


def verify_table(
    conn: psycopg.Connection, source: str, connection: redis.Redis | None, key: bytes | None
) -> AuditReport:
    """The report on the log at `conn` (autocommit, idle); `source` names it for a reader. Raises psycopg.Error."""
    notes: list[str] = []
    conn.execute("SELECT pg_advisory_lock_shared(%s)", (LOCK_KEY,))  # before the snapshot: no append half-done
    locked = True
    try:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            found = conn.execute(f"SELECT seq, hash, at, hmac FROM {CHECKPOINTS} ORDER BY seq").fetchall()  # noqa: S608
            head = read_head(connection, notes)
            conn.execute("SELECT pg_advisory_unlock_shared(%s)", (LOCK_KEY,))  # the snapshot is taken
            locked = False
            marks: list[Checkpoint | None] = [Checkpoint(int(s), str(h), float(a), str(m)) for s, h, a, m in found]
            scan, rows = Scan(), _Rows()
            with conn.cursor(name="opsbot_audit_verify") as cursor:
                cursor.itersize = 5_000
                cursor.execute(f"{SELECT} ORDER BY seq")
                chain(scan, rows.read(cursor), wanted(marks, head), rows)
    finally:
        if locked and not conn.broken:
            conn.execute("SELECT pg_advisory_unlock_shared(%s)", (LOCK_KEY,))
    outside = Outside(head, marks, key, connection is not None, "the checkpoints table")
    return judge(source, scan, outside, notes, "is empty")


def parse_row(found: tuple[Any, ...]) -> AuditRecord | None:
    """The record a row holds, or None when the row is not one (edited by hand into something invalid)."""
    names = ("seq", "at", "event", "actor", "where", "what", "params", "outcome", "prev_hash", "hash")
    try:
        return AuditRecord.model_validate(dict(zip(names, found, strict=True)))
    except ValueError:
        return None


class _Rows:
    """Names a broken row by its sequence number (verify.Places)."""

    def __init__(self) -> None:
        self._seqs: dict[int, int] = {}

    def read(self, cursor: psycopg.Cursor[Any]) -> Iterator[AuditRecord | None]:
        for index, found in enumerate(cursor):
            self._seqs[index] = int(found[0])
            yield parse_row(found)

    def unreadable(self, index: int) -> str:
        return f"record {self._seqs.get(index, index + 1)} is not a valid audit record"

    def modified(self, index: int, record: AuditRecord) -> str:
        return f"record {record.seq} ({record.event}) was modified"

    def broken_link(self, index: int, record: AuditRecord, expected_seq: int) -> str:
        if record.seq == expected_seq:
            if index == 0:
                return f"record {record.seq} does not start the chain"
            return f"record {record.seq} does not follow record {record.seq - 1}: that record was replaced"
        return f"record {expected_seq} is missing before record {record.seq}"
