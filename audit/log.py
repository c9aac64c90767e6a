"""Append-only audit log: one JSON line per record, each carrying the hash of the one before.

A record is on disk (flushed and fsync'd) when `append` returns, so a step is durably recorded
before the action it describes runs. Several processes (chat, workers) may append to the same file:
an exclusive file lock serialises them and each append re-reads the tail if another wrote since. The appends of
one process that arrive while another is being written share the next fsync (audit.store.GroupCommit): an alert
storm costs a few fsyncs a batch, not one a record, in a queue behind one lock.

Two ways to write: `append` raises when the record cannot be written (a change to infrastructure must not run
unrecorded); `note` never raises (alerts and pages go on when the disk is full; the outage is counted and logged
once). A torn last line is moved aside at start-up and on the next append. After each record the chain head goes
to Redis and, with a key, to signed checkpoints (audit.head, audit.checkpoints): `verify` compares against both."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Unpack

import redis

from audit import torn
from audit.checkpoints import EVERY_RECORDS, EVERY_SECONDS, Checkpointer
from audit.head import Head, HeadKeeper
from audit.outage import HEAD_FAILURES, WRITE_FAILURES, Outage
from audit.query import RecordFilter
from audit.record import GENESIS as GENESIS
from audit.record import AuditEvent as AuditEvent
from audit.record import AuditRecord as AuditRecord
from audit.record import Entry as Entry
from audit.record import JsonScalar as JsonScalar
from audit.record import build
from audit.record import redact as redact
from audit.store import AuditStore, GroupCommit, Waiting, chain
from audit.verify import AuditReport, verify_audit
from core.errors import AuditTampered, AuditUnavailable
from core.redaction import redact_text as redact_text  # re-exported: callers imported it from here first
from core.settings import Settings

FILE_NAME = "audit.jsonl"


class AuditLog(AuditStore):
    """The audit store of one host: a file in the data dir (audit.store.AuditStore)."""

    def __init__(
        self, data_dir: Path, *, connection: redis.Redis | None = None, key: bytes | None = None,
        checkpoint_every: int = EVERY_RECORDS, checkpoint_seconds: float = EVERY_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        """`connection`: where the chain head is kept (None: nowhere). `key`: signs checkpoints (None: none are
        written); it is held in memory only. A torn tail is repaired now; a failure to do so is logged, never
        raised: start-up goes on, and alerts with it."""
        self.data_dir = data_dir
        self.path = data_dir / FILE_NAME
        self._connection = connection
        self._key = key
        self._heads = HeadKeeper(connection) if connection is not None else None
        self._checkpoints = Checkpointer(data_dir, key, checkpoint_every, checkpoint_seconds) if key else None
        self._clock = clock
        self._lock = threading.Lock()  # this object's view of the file's end (the group's writer and repair)
        self._group = GroupCommit(self._write_group)
        self._tail: tuple[int, int, str] | None = None  # (file size, last seq, last hash) as last seen
        self.outage = Outage("audit log writes", WRITE_FAILURES)  # .current: why writing fails now, else None
        self._outside = Outage("audit chain head (Redis) or checkpoints", HEAD_FAILURES)
        self.repair()

    @classmethod
    def for_settings(cls, settings: Settings, connection: redis.Redis | None) -> AuditLog:
        """The log of a running opsbot: its data dir, the head in its Redis, checkpoints signed with
        OPSBOT_AUDIT_KEY when set."""
        key = settings.audit_key.get_secret_value().encode() if settings.audit_key is not None else None
        return cls(settings.data_dir, connection=connection, key=key)

    @property
    def connection(self) -> redis.Redis | None:
        """The Redis the chain head goes to (None: none)."""
        return self._connection

    # -- writing --------------------------------------------------------------------------------------
    def append(self, event: AuditEvent, **entry: Unpack[Entry]) -> AuditRecord:
        """Write one record durably. Raises AuditUnavailable (one line a user may read) when it cannot be
        written, AuditTampered when the log's end is not a record nor a torn line."""
        try:
            record = self._group.append(event, entry)
        except OSError as exc:
            cause = self.outage.failed(exc)
            raise AuditUnavailable(f"The audit log cannot be written ({cause}): changes are refused for now.") from exc
        except AuditTampered as exc:
            self.outage.failed(exc)
            raise
        self.outage.recovered()
        return record

    def _write_group(self, group: list[Waiting]) -> None:
        """Write every waiting record, chained in order, with one fsync; then the head, once, for the last."""
        with self._lock, self._locked() as fh:
            seq, last_hash, _moved = self._last(fh)
            built = chain(group, seq, last_hash, self._clock)
            if not built:
                return
            self._write_records(fh, [record for _, record in built])
            for waiting, record in built:
                waiting.record = record
            self._record_outside(built[-1][1])

    def repair(self) -> int:
        """Move a torn last line aside now (start-up); returns the bytes moved. Never raises: logged instead."""
        try:
            with self._lock, self._locked() as fh:
                self._tail = None
                return self._last(fh)[2]
        except (OSError, AuditTampered) as exc:
            self.outage.failed(exc)
            return 0

    @contextlib.contextmanager
    def _locked(self) -> Iterator[IO[bytes]]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield fh
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _last(self, fh: IO[bytes]) -> tuple[int, str, int]:
        """(seq, hash) of the last record, once a torn tail is moved aside and a record says so; and how many
        bytes were moved (0: none)."""
        size = os.fstat(fh.fileno()).st_size
        if self._tail is not None and self._tail[0] == size:
            return self._tail[1], self._tail[2], 0
        end, last = torn.last_record(fh, size)
        seq, last_hash = (last.seq, last.hash) if last is not None else (0, GENESIS)
        self._tail = (end, seq, last_hash)
        if end == size:
            return seq, last_hash, 0
        fh.seek(end)
        moved = fh.read(size - end)
        torn.quarantine(self.data_dir, moved, end, self._clock())
        fh.truncate(end)
        os.fsync(fh.fileno())
        what = f"torn last line moved aside ({len(moved)} bytes at offset {end}, a crash or a full disk)"
        params: dict[str, JsonScalar] = {"offset": end, "bytes": len(moved), "quarantine": torn.QUARANTINE_NAME}
        record = self._write(
            fh, seq, last_hash, AuditEvent.REPAIRED, actor="system", where="audit", what=what, params=params
        )
        self._record_outside(record)
        return record.seq, record.hash, len(moved)

    def _write(self, fh: IO[bytes], seq: int, prev_hash: str, event: AuditEvent, **entry: Unpack[Entry]) -> AuditRecord:
        record = build(seq + 1, self._clock(), prev_hash, event, **entry)
        self._write_records(fh, [record])
        return record

    def _write_records(self, fh: IO[bytes], records: list[AuditRecord]) -> None:
        """Records that follow the file's end, in one write and one fsync (a crash in it leaves a torn line at
        worst, which the next append moves aside)."""
        lines = b"".join((record.model_dump_json() + "\n").encode() for record in records)
        size = self._tail[0] if self._tail is not None else os.fstat(fh.fileno()).st_size
        fh.write(lines)
        fh.flush()
        os.fsync(fh.fileno())
        self._tail = (size + len(lines), records[-1].seq, records[-1].hash)

    def _record_outside(self, record: AuditRecord) -> None:
        """The head to Redis, a checkpoint when due: best effort, under the file lock (so verify, which takes it
        too, never sees a record the head does not know yet)."""
        failure: Exception | None = None
        if self._heads is not None:
            failure = self._heads.advance(Head(record.seq, record.hash, record.at))
        if self._checkpoints is not None:
            try:
                self._checkpoints.after(record.seq, record.hash, record.at)
            except OSError as exc:
                failure = exc
        if failure is not None:
            self._outside.failed(failure)
        elif self._heads is None or not self._heads.paused:
            self._outside.recovered()

    # -- reading --------------------------------------------------------------------------------------
    def records(self) -> list[AuditRecord]:
        return read_records(self.path)

    def tail(self, n: int = 20, match: RecordFilter | None = None) -> list[AuditRecord]:
        return read_tail(self.path, n, match)

    def report(self) -> AuditReport:
        """Everything `opsbot audit verify` checks: the chain, timestamps, the Redis head, the checkpoints."""
        return verify_audit(self.data_dir, connection=self._connection, key=self._key)


def read_records(path: Path) -> list[AuditRecord]:
    """Every record (read-only; a torn last line is left out)."""
    with path.open("rb") as fh:
        end, _ = torn.last_record(fh, os.fstat(fh.fileno()).st_size)
        fh.seek(0)
        data = fh.read(end)
    return [AuditRecord.model_validate_json(line) for line in data.splitlines() if line.strip()]


def read_tail(path: Path, n: int, match: RecordFilter | None = None) -> list[AuditRecord]:
    """The newest `n` records that `match` keeps (all: None), oldest first (read-only; a torn last line is left
    out). Without a filter only the last `n` lines are parsed."""
    with path.open("rb") as fh:
        end, _ = torn.last_record(fh, os.fstat(fh.fileno()).st_size)
        fh.seek(0)
        lines = (line for line in torn.lines_until(fh, end) if line.strip())
        if match is None:
            return [AuditRecord.model_validate_json(line) for line in deque(lines, maxlen=max(n, 0))]
        kept = (record for record in map(AuditRecord.model_validate_json, lines) if match.matches(record))
        return list(deque(kept, maxlen=max(n, 0)))
