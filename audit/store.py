"""What every audit store offers its callers, the file of one host (audit.log.AuditLog) and the PostgreSQL table
of many (audit.postgres.PostgresAudit): append, note, read, verify, and the state of its outage. The chat, the
workers and the escalation hold an `AuditStore` and never know which one it is."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Unpack

from audit.record import Entry as Entry
from audit.record import build
from core.errors import AuditTampered, OpsbotError

if TYPE_CHECKING:
    import redis

    from audit.outage import Outage
    from audit.query import RecordFilter
    from audit.record import AuditEvent, AuditRecord
    from audit.verify import AuditReport


class AuditStore(Protocol):
    """An append-only, hash-chained audit log. `outage.current` says why writing fails now (None: it works).
    The stores subclass it for `note` and `verify`, which are the same for both."""

    outage: Outage

    @property
    def connection(self) -> redis.Redis | None:
        """The Redis that holds the chain head (None: none); the outage notice posts through it too."""

    def append(self, event: AuditEvent, **entry: Unpack[Entry]) -> AuditRecord:
        """Write one record durably before returning. Raises AuditUnavailable (one line a user may read)."""

    def note(self, event: AuditEvent, **entry: Unpack[Entry]) -> AuditRecord | None:
        """`append` for what must go on whether or not it is recorded (alerts, pages, chat messages): never
        raises. None when the record could not be written; `outage` then says why."""
        try:
            return self.append(event, **entry)
        except OpsbotError:  # counted and logged (once per outage) by append
            return None
        except Exception as exc:  # an alert must not stop on its audit record: counted and logged
            self.outage.failed(exc)
            return None

    def records(self) -> list[AuditRecord]:
        """Every record, oldest first."""

    def tail(self, n: int = 20, match: RecordFilter | None = None) -> list[AuditRecord]:
        """The newest `n` records (those `match` keeps), oldest first."""

    def report(self) -> AuditReport:
        """Everything `opsbot audit verify` checks: the chain, timestamps, the Redis head, the checkpoints."""

    def close(self) -> None:
        """Let go of what the store holds open (PostgreSQL's connection; the file holds nothing between writes)."""
        return

    def verify(self) -> int:
        """Check the whole log; returns the number of records. Raises AuditTampered naming the first problem: a
        record modified, removed, inserted or moved, or a log that no longer matches its head or checkpoints."""
        report = self.report()
        if not report.ok:
            index = report.first_bad_line if report.first_bad_line is not None else report.records
            raise AuditTampered(report.problems[0], index)
        return report.records


@dataclass
class Waiting:
    """One append waiting for its group's write. The writer sets `record` once the record is durable, or `error`
    for a record that is not written (its entry could not be made a record)."""

    event: AuditEvent
    entry: Entry
    record: AuditRecord | None = None
    error: BaseException | None = None


class GroupCommit:
    """Group commit: appends that arrive while another is being made durable wait, and the next writer writes all
    of them with one fsync (the file) or one commit (PostgreSQL) instead of one each. Under a storm an append
    costs a share of one durable write rather than a place in a queue of them; alone it costs what it did.

    Nothing is weakened: each caller returns only when its own record is durable, and raises when it is not (the
    group's error, as concurrent.futures gives one error to every waiter of a future). The chain stays one chain:
    the writer builds the group's records one after another, under the store's own lock."""

    def __init__(self, write: Callable[[list[Waiting]], None]) -> None:
        """`write` writes a group durably (its records in the order given), setting each one's `record`."""
        self._write = write
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._changed = threading.Condition()
        self._queue: list[Waiting] = []
        self._writing = False

    @property
    def waiting(self) -> int:
        """Appends queued for the next write (the one being written is not counted)."""
        with self._changed:
            return len(self._queue)

    def append(self, event: AuditEvent, entry: Entry) -> AuditRecord:
        """Queue one record and return it once durable (written by this thread or another). Raises what `write`
        raised for its group."""
        if self._pid != os.getpid():  # a fork: a parent's thread may have held the condition at the fork
            self._reset()
        me = Waiting(event, entry)
        with self._changed:
            self._queue.append(me)
            while self._writing and not _settled(me):
                self._changed.wait()
            if _settled(me):
                return _outcome(me)
            group, self._queue, self._writing = self._queue, [], True
        failure: BaseException | None = None
        try:
            self._write(group)
        except BaseException as exc:  # given to every caller of the group: each raises it
            failure = exc
        with self._changed:
            for waiting in group:
                if not _settled(waiting):
                    waiting.error = failure or RuntimeError("the audit writer left a record unwritten")
            self._writing = False
            self._changed.notify_all()
        return _outcome(me)


def chain(
    group: list[Waiting], seq: int, prev_hash: str, clock: Callable[[], float]
) -> list[tuple[Waiting, AuditRecord]]:
    """The group's records after (`seq`, `prev_hash`), each chained to the one before and dated by `clock`. An
    entry that cannot be a record fails its own append only (its `error`), not the group's."""
    built: list[tuple[Waiting, AuditRecord]] = []
    for waiting in group:
        try:
            record = build(seq + 1, clock(), prev_hash, waiting.event, **waiting.entry)
        except (ValueError, TypeError, KeyError) as exc:
            waiting.error = exc
            continue
        built.append((waiting, record))
        seq, prev_hash = record.seq, record.hash
    return built


def _settled(waiting: Waiting) -> bool:
    return waiting.record is not None or waiting.error is not None


def _outcome(waiting: Waiting) -> AuditRecord:
    if waiting.record is None:
        raise waiting.error or RuntimeError("the audit writer left a record unwritten")
    return waiting.record
