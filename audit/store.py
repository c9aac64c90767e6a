"""What every audit store offers its callers, the file of one host (audit.log.AuditLog) and the PostgreSQL table
of many (audit.postgres.PostgresAudit): append, note, read, verify, and the state of its outage. The chat, the
workers and the escalation hold an `AuditStore` and never know which one it is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Unpack

from audit.record import Entry as Entry
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
