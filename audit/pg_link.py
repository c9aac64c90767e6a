"""One PostgreSQL connection per process for the audit, opened when first needed and again after it broke or
the process forked (an RQ work-horse must not talk on its parent's socket). After a failed connect it is not
tried again for a moment, so a storm of alert records does not wait out a connect timeout each. The URL's
password is never shown: `where` names the server and database only."""

from __future__ import annotations

import os
import time
from urllib.parse import urlsplit

import psycopg

from core.redaction import redact_text

CONNECT_TIMEOUT_SECONDS = 3
STATEMENT_TIMEOUT_MS = 10_000  # a lock wait or a query that hangs ends as an error, not a stuck process
RETRY_SECONDS = 2.0


def where(url: str) -> str:
    """The URL without its password or query: postgresql://opsbot@db:5432/opsbot."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def cause(exc: psycopg.Error, url: str) -> str:
    """A short reason a person can act on, never quoting the URL's password."""
    if isinstance(exc, psycopg.errors.UndefinedTable):
        return "its tables do not exist: run opsbot audit init-db"
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return "permission denied on its tables: see opsbot audit init-db --role"
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return "PostgreSQL did not answer in time"
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, psycopg.OperationalError):
        first = f"PostgreSQL at {where(url)}: " + first.rsplit("failed: ", 1)[-1].removeprefix("FATAL:").strip()
    password = urlsplit(url).password
    return redact_text(first.replace(password, "[redacted]") if password else first)


class Link:
    def __init__(self, url: str) -> None:
        self.url = url
        self._connection: psycopg.Connection | None = None
        self._pid = os.getpid()
        self._inherited: list[psycopg.Connection] = []  # a parent's, kept (never closed, never used) after a fork
        self._failed: tuple[float, psycopg.Error] | None = None  # (monotonic time, error) of the last failed connect

    def get(self) -> psycopg.Connection:
        """The open connection (autocommit: transactions are explicit). Raises psycopg.Error."""
        if self._pid != os.getpid():
            if self._connection is not None:
                self._inherited.append(self._connection)
            self._connection, self._pid, self._failed = None, os.getpid(), None
        if self._connection is not None and not self._connection.closed and not self._connection.broken:
            return self._connection
        if self._failed is not None and time.monotonic() - self._failed[0] < RETRY_SECONDS:
            raise self._failed[1]
        try:
            self._connection = psycopg.connect(
                self.url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                application_name="opsbot-audit",
                options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
            )
        except psycopg.Error as exc:
            self._failed = (time.monotonic(), exc)
            raise
        self._failed = None
        return self._connection

    def reset(self) -> None:
        """Close the connection (the server ends its session and releases its locks); the next `get` opens one."""
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()
        self._connection = None

    def close(self) -> None:
        self.reset()
