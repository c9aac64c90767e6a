"""What every audit store offers its callers, the file of one host (audit.log.AuditLog) and the PostgreSQL table
of many (audit.postgres.PostgresAudit): append, note, read, verify, and the state of its outage. The chat, the
workers and the escalation hold an `AuditStore` and never know which one it is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Unpack

from audit.record import Entry as Entry

if TYPE_CHECKING:
    import redis

    from audit.outage import Outage
    from audit.query import RecordFilter
    from audit.record import AuditEvent, AuditRecord
    from audit.verify import AuditReport


class AuditStore(Protocol):
    """An append-only, hash-chained audit log. `outage.current` says why writing fails now (None: it works)."""

    outage: Outage

    @property
    def connection(self) -> redis.Redis | None:
        """The Redis that holds the chain head (None: none); the outage notice posts through it too."""

    def append(self, event: AuditEvent, **entry: Unpack[Entry]) -> AuditRecord:
        """Write one record durably before returning. Raises AuditUnavailable (one line a user may read)."""

    def note(self, event: AuditEvent, **entry: Unpack[Entry]) -> AuditRecord | None:
        """`append` that never raises: None when the record could not be written (counted, logged once)."""

    def records(self) -> list[AuditRecord]:
        """Every record, oldest first."""

    def tail(self, n: int = 20, match: RecordFilter | None = None) -> list[AuditRecord]:
        """The newest `n` records (those `match` keeps), oldest first."""

    def report(self) -> AuditReport:
        """Everything `opsbot audit verify` checks: the chain, timestamps, the Redis head, the checkpoints."""

    def verify(self) -> int:
        """The number of records; raises AuditTampered naming the first problem."""
