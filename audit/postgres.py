"""The audit store of many hosts: the same hash-chained records as the file (audit.record), as rows of the
append-only table `opsbot_audit` in PostgreSQL (OPSBOT_AUDIT_URL).

One chain across every process and host: an append takes a session advisory lock (LOCK_KEY), reads the last row,
inserts the next and commits - so the record is durable (synchronous commit) before `append` returns - then moves
the chain head in Redis and lets the lock go. The appends of one process that arrive meanwhile wait and go in
together, in one transaction under one lock (audit.store.GroupCommit): a storm costs a commit a batch.
Signed checkpoints are rows of `opsbot_audit_checkpoints`, written in the same transaction as the record they sign.
`verify` takes the lock shared for a moment, so it reads the rows, the checkpoints and the Redis head as one
consistent state, then checks them with the file's code.

`append` raises AuditUnavailable in one line when PostgreSQL cannot take the record; `note` never raises (the
outage is counted and logged once, as for the file)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Unpack

import psycopg
import redis
from psycopg.types.json import Json

from audit.checkpoints import EVERY_RECORDS, EVERY_SECONDS, Checkpoint, due
from audit.head import Head, HeadKeeper
from audit.outage import HEAD_FAILURES, WRITE_FAILURES, Outage
from audit.pg_link import Link, cause, where
from audit.pg_schema import CHECKPOINTS, INSERT, LOCK_KEY, SELECT, TABLE
from audit.pg_verify import parse_row, verify_table
from audit.query import RecordFilter
from audit.record import GENESIS, AuditEvent, AuditRecord, Entry
from audit.store import AuditStore, GroupCommit, Waiting, chain
from audit.verify import AuditReport
from core.errors import AuditTampered, AuditUnavailable
from core.settings import Settings

# The database's time, and the last record's seq and hash (NULLs before the first).
_LAST = (
    "SELECT extract(epoch FROM clock_timestamp())::float8, last.seq, last.hash FROM (SELECT 1) AS one "  # noqa: S608
    f"LEFT JOIN LATERAL (SELECT seq, hash FROM {TABLE} ORDER BY seq DESC LIMIT 1) AS last ON true"
)


class PostgresAudit(AuditStore):
    """The audit store of many hosts (audit.store.AuditStore)."""

    def __init__(
        self, url: str, *, connection: redis.Redis | None = None, key: bytes | None = None,
        checkpoint_every: int = EVERY_RECORDS, checkpoint_seconds: float = EVERY_SECONDS,
        clock: Callable[[], float] | None = None,
    ) -> None:  # fmt: skip
        """`url`: postgresql://... (kept in memory, never shown). Nothing is opened before the first use. `clock`:
        None dates records by the database's clock, one clock for every host, so a host whose clock is off never
        makes time go back in the chain (tests pass their own)."""
        self._link = Link(url)
        self._connection = connection
        self._key = key
        self._heads = HeadKeeper(connection) if connection is not None else None
        self._every, self._seconds = checkpoint_every, checkpoint_seconds
        self._last_mark: Checkpoint | None = None  # the last checkpoint this process knows of
        self._clock = clock
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._group = GroupCommit(self._write_group)
        self.outage = Outage("audit log writes", WRITE_FAILURES)
        self._outside = Outage("audit chain head (Redis)", HEAD_FAILURES)

    @classmethod
    def for_settings(cls, settings: Settings, connection: redis.Redis | None) -> PostgresAudit:
        if settings.audit_url is None:
            raise ValueError("OPSBOT_AUDIT_URL is not set")
        key = settings.audit_key.get_secret_value().encode() if settings.audit_key is not None else None
        return cls(settings.audit_url.get_secret_value(), connection=connection, key=key)

    @property
    def _guard(self) -> threading.Lock:
        """The lock of this process's connection. After a fork it is a new one: the parent's may have been held by
        another of its threads at the fork, and would stay held in the child for ever."""
        if self._pid != os.getpid():
            self._lock, self._pid = threading.Lock(), os.getpid()
        return self._lock

    @property
    def connection(self) -> redis.Redis | None:
        return self._connection

    @property
    def url(self) -> str:
        """The URL as configured, password included: for connecting, never for showing (see `source`)."""
        return self._link.url

    @property
    def source(self) -> str:
        """Where the records are, for a reader: the URL without its password, and the table."""
        return f"{where(self._link.url)}, table {TABLE}"

    def close(self) -> None:
        with self._guard:
            self._link.close()

    def __enter__(self) -> PostgresAudit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing --------------------------------------------------------------------------------------
    def append(self, event: AuditEvent, **entry: Unpack[Entry]) -> AuditRecord:
        """Write one record, committed before returning. Raises AuditUnavailable (one line a user may read)."""
        try:
            record = self._group.append(event, entry)
        except psycopg.Error as exc:
            reason = self.outage.failed_because(cause(exc, self._link.url))
            raise AuditUnavailable(f"The audit log cannot be written ({reason}): changes are refused for now.") from exc
        self.outage.recovered()
        return record

    def _locked(self) -> psycopg.Connection:
        """The connection, holding the chain's lock. A connection the server closed while idle (a restart, a
        failover, an idle timeout) is opened again once: nothing of this record was sent on it yet."""
        conn = self._link.get()
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        except psycopg.OperationalError:
            if not conn.broken:
                raise
            self._link.reset()
            conn = self._link.get()
            conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        return conn

    def _write_group(self, group: list[Waiting]) -> None:
        with self._guard:
            self._append(self._locked(), group)

    def _append(self, conn: psycopg.Connection, group: list[Waiting]) -> None:
        """Under the chain's lock (taken by `_locked`): the group's records, committed; then the head. Lets go."""
        try:
            with conn.transaction():
                now, seq, prev_hash = conn.execute(_LAST).fetchone() or (0.0, None, None)
                clock = self._clock if self._clock is not None else lambda: float(now)
                built = chain(group, int(seq or 0), str(prev_hash or GENESIS), clock)
                if not built:
                    return
                with conn.cursor() as cursor:
                    cursor.executemany(INSERT, [row(record) for _, record in built])
                mark = self._checkpoint(conn, built[-1][1])
            if mark is not None:
                self._last_mark = mark
            for waiting, record in built:
                waiting.record = record
            self._record_head(built[-1][1])  # under the lock: verify never sees a row the head does not know yet
        finally:
            self._unlock(conn)

    def _unlock(self, conn: psycopg.Connection) -> None:
        try:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
        except psycopg.Error:  # the session is gone or going: closing it is what releases the lock now
            self._link.reset()

    def _checkpoint(self, conn: psycopg.Connection, record: AuditRecord) -> Checkpoint | None:
        """A signed checkpoint row for `record` when one is due (another process may have written one since)."""
        if self._key is None:
            return None
        if self._last_mark is not None and not due(self._last_mark, record.seq, record.at, self._every, self._seconds):
            return None
        found = conn.execute(f"SELECT seq, hash, at, hmac FROM {CHECKPOINTS} ORDER BY seq DESC LIMIT 1").fetchone()  # noqa: S608
        last = Checkpoint(int(found[0]), str(found[1]), float(found[2]), str(found[3])) if found else None
        if last is not None and not due(last, record.seq, record.at, self._every, self._seconds):
            self._last_mark = last
            return None
        mark = Checkpoint(record.seq, record.hash, record.at).signed(self._key)
        conn.execute(
            f"INSERT INTO {CHECKPOINTS} (seq, hash, at, hmac) VALUES (%s, %s, %s, %s)",  # noqa: S608
            (mark.seq, mark.hash, mark.at, mark.mac),
        )
        return mark

    def _record_head(self, record: AuditRecord) -> None:
        if self._heads is None:
            return
        failure = self._heads.advance(Head(record.seq, record.hash, record.at))
        if failure is not None:
            self._outside.failed(failure)
        elif not self._heads.paused:
            self._outside.recovered()

    # -- reading --------------------------------------------------------------------------------------
    def records(self) -> list[AuditRecord]:
        """Every record, oldest first. Raises AuditUnavailable, or AuditTampered for a row that is no record."""
        return self._read(f"{SELECT} ORDER BY seq", [])

    def tail(self, n: int = 20, match: RecordFilter | None = None) -> list[AuditRecord]:
        """The newest `n` records that `match` keeps, oldest first."""
        condition, args = (match or RecordFilter()).sql()
        return self._read(f"{SELECT} WHERE {condition} ORDER BY seq DESC LIMIT %s", [*args, max(n, 0)])[::-1]

    def count(self) -> int:
        """How many records the table holds."""
        try:
            with self._guard:
                found = self._link.get().execute(f"SELECT count(*) FROM {TABLE}").fetchone()  # noqa: S608
        except psycopg.Error as exc:
            raise self._unreadable(exc) from exc
        return int(found[0]) if found else 0

    def _read(self, query: str, args: list[object]) -> list[AuditRecord]:
        try:
            with self._guard:
                rows = self._link.get().execute(query, args).fetchall()
        except psycopg.Error as exc:
            raise self._unreadable(exc) from exc
        records = [parse_row(found) for found in rows]
        for index, (found, record) in enumerate(zip(rows, records, strict=True)):
            if record is None:
                raise AuditTampered(f"record {found[0]} is not a valid audit record", index)
        return [record for record in records if record is not None]

    def _unreadable(self, exc: psycopg.Error) -> AuditUnavailable:
        return AuditUnavailable(f"The audit log cannot be read ({cause(exc, self._link.url)}).")

    def report(self) -> AuditReport:
        """Everything `opsbot audit verify` checks: the chain, timestamps, the Redis head, the checkpoints.
        Raises AuditUnavailable when PostgreSQL cannot be read."""
        try:
            with self._guard:
                conn = self._link.get()
                return verify_table(conn, self.source, self._connection, self._key)
        except psycopg.Error as exc:
            raise self._unreadable(exc) from exc


def row(record: AuditRecord) -> tuple[object, ...]:
    """The column values of `record`, in COLUMNS order."""
    return (
        record.seq, record.at, record.event.value, record.actor, record.where, record.what, Json(record.params),
        record.outcome, record.prev_hash, record.hash,
    )  # fmt: skip


def open_postgres(url: str, connection: redis.Redis | None = None, key: bytes | None = None) -> PostgresAudit:
    """The PostgreSQL store at `url` (benchmarks and tools; a running opsbot uses audit.stores.open_audit)."""
    return PostgresAudit(url, connection=connection, key=key)
