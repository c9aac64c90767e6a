"""When the audit cannot be written (a full or read-only disk, a broken log): counted on /metrics, and one WARNING
line when the outage starts and one when it ends - never a line per record, which would bury the log in a storm."""

from __future__ import annotations

import errno
import logging
import threading

from prometheus_client import Counter

log = logging.getLogger("audit")

WRITE_FAILURES = Counter(
    "opsbot_audit_write_failures_total", "Audit records that could not be written (disk full, read-only, broken)."
)
HEAD_FAILURES = Counter(
    "opsbot_audit_head_failures_total", "Chain heads or checkpoints that could not be recorded outside the log."
)


def reason(exc: BaseException) -> str:
    """A short cause a person can act on: 'the disk is full', not a traceback."""
    if isinstance(exc, OSError):
        known = {
            errno.ENOSPC: "the disk is full",
            errno.EDQUOT: "the disk quota is used up",
            errno.EROFS: "the disk is read-only",
            errno.EACCES: "permission denied",
            errno.EPERM: "permission denied",
            errno.EISDIR: "the log's path is a directory",
            errno.EIO: "a disk I/O error",
        }
        return known.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    return str(exc) or type(exc).__name__


class Outage:
    """One process's view of whether writing works. `current` is the cause while failing, else None."""

    def __init__(self, what: str, counter: Counter) -> None:
        self._what = what
        self._counter = counter
        self._lock = threading.Lock()
        self.current: str | None = None

    def failed(self, exc: BaseException) -> str:
        return self.failed_because(reason(exc))

    def failed_because(self, cause: str) -> str:
        """Count a failure whose cause is already in words; returns it."""
        self._counter.inc()
        with self._lock:
            starting, self.current = self.current is None, cause
        if starting:
            log.warning("%s failing: %s (one line per outage; opsbot_audit_*_failures_total counts)", self._what, cause)
        return cause

    def recovered(self) -> None:
        if self.current is None:  # the usual case: no lock taken
            return
        with self._lock:
            ending, self.current = self.current is not None, None
        if ending:
            log.warning("%s working again", self._what)
