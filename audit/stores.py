"""Which audit store a process writes to: the file in the data dir (one host, the embedded default) or the
PostgreSQL table that OPSBOT_AUDIT_URL names (many hosts). PostgreSQL's client is imported only when it is set."""

from __future__ import annotations

import redis

from audit.log import FILE_NAME, AuditLog, read_tail
from audit.query import RecordFilter
from audit.record import AuditRecord
from audit.store import AuditStore
from audit.verify import AuditReport, verify_audit
from core.errors import AuditUnavailable
from core.settings import Settings


def open_audit(settings: Settings, connection: redis.Redis | None) -> AuditStore:
    """The store of a running opsbot, its chain head in `connection`, checkpoints signed with OPSBOT_AUDIT_KEY."""
    if settings.audit_url is None:
        return AuditLog.for_settings(settings, connection)
    from audit.postgres import PostgresAudit

    return PostgresAudit.for_settings(settings, connection)


def report(settings: Settings, connection: redis.Redis | None) -> AuditReport:
    """`opsbot audit verify` of the configured store. Read-only: creates nothing, repairs nothing. Raises
    AuditUnavailable when PostgreSQL cannot be read."""
    key = settings.audit_key.get_secret_value().encode() if settings.audit_key is not None else None
    if settings.audit_url is None:
        return verify_audit(settings.data_dir, connection=connection, key=key)
    from audit.postgres import PostgresAudit

    with PostgresAudit.for_settings(settings, connection) as store:
        return store.report()


def tail(settings: Settings, n: int, match: RecordFilter) -> list[AuditRecord]:
    """`opsbot audit tail` of the configured store. Raises AuditUnavailable (no log, PostgreSQL unreadable)."""
    if settings.audit_url is None:
        path = settings.data_dir / FILE_NAME
        if not path.is_file():
            raise AuditUnavailable(f"no audit log at {path} (check OPSBOT_DATA_DIR)")
        return read_tail(path, n, match)
    from audit.postgres import PostgresAudit

    with PostgresAudit.for_settings(settings, None) as store:
        return store.tail(n, match)
