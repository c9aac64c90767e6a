"""Append-only audit log: one JSON line per record, each carrying the hash of the one before.

A record is on disk (flushed and fsync'd) when `append` returns, so a step is durably recorded
before the action it describes runs. Several processes (chat, workers) may append to the same file:
an exclusive file lock serialises them and each append re-reads the tail if another wrote since."""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import re
import threading
import time
from collections import deque
from enum import StrEnum
from pathlib import Path
from typing import IO

from pydantic import Field

from core.errors import AuditTampered
from core.models import Frozen
from core.redaction import redact_text as redact_text  # re-exported: callers imported it from here first

GENESIS = "0" * 64
FILE_NAME = "audit.jsonl"

JsonScalar = str | int | float | bool | None


class AuditEvent(StrEnum):
    RECEIVED = "received"
    PARSED = "parsed"
    DENIED = "denied"
    CONFIRMATION_ASKED = "confirmation_asked"
    CONFIRMED = "confirmed"
    APPROVAL_ASKED = "approval_asked"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUSED = "refused"  # a confirmation press that was not accepted
    ENQUEUED = "enqueued"
    STARTED = "started"
    RETRIED = "retried"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ABANDONED = "abandoned"
    ALERT_RECEIVED = "alert_received"
    ALERT_NOTIFIED = "alert_notified"  # a chat post, direct message, SMS or call, and whether it went out
    ALERT_DELIVERY = "alert_delivery"  # what the platform later said of it (delivered, busy, no answer ...)
    ALERT_ACKED = "alert_acked"
    ALERT_RESOLVED = "alert_resolved"
    ALERT_SILENCED = "alert_silenced"
    ALERT_ESCALATED = "alert_escalated"
    ONCALL_OVERRIDE = "oncall_override"


class AuditRecord(Frozen):
    seq: int
    at: float  # unix seconds
    event: AuditEvent
    actor: str  # opsbot user, or "system"
    where: str  # "console:ops-room", "slack:C123/1712.55"
    what: str  # short description: the text, intent or action summary
    params: dict[str, JsonScalar] = Field(default_factory=dict)
    outcome: str = ""
    prev_hash: str
    hash: str = ""

    def compute_hash(self) -> str:
        body = self.model_dump(mode="json", exclude={"hash"})
        raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()


_SECRET_KEY = re.compile(r"(token|secret|password|passwd|auth|credential|api_?key|private)", re.IGNORECASE)


def redact(params: dict[str, JsonScalar]) -> dict[str, JsonScalar]:
    clean: dict[str, JsonScalar] = {}
    for key, value in params.items():
        if _SECRET_KEY.search(key) and key != "idempotency_key":
            clean[key] = "[redacted]"
        elif isinstance(value, str):
            clean[key] = redact_text(value)
        elif isinstance(value, float) and not math.isfinite(value):
            clean[key] = str(value)  # JSON has no NaN/inf: stored as null they would no longer match the hash
        else:
            clean[key] = value
    return clean


class AuditLog:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / FILE_NAME
        self.path.touch(exist_ok=True)
        self._lock = threading.Lock()
        self._tail: tuple[int, int, str] | None = None  # (file size, last seq, last hash) as last seen

    def append(
        self,
        event: AuditEvent,
        *,
        actor: str,
        where: str,
        what: str,
        params: dict[str, JsonScalar] | None = None,
        outcome: str = "",
    ) -> AuditRecord:
        with self._lock, self.path.open("a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                size = os.fstat(fh.fileno()).st_size
                if self._tail is None or self._tail[0] != size:
                    self._tail = (size, *_read_last(fh))
                _, last_seq, last_hash = self._tail
                record = AuditRecord(
                    seq=last_seq + 1,
                    at=time.time(),
                    event=event,
                    actor=actor,
                    where=redact_text(where),
                    what=redact_text(what)[:500],
                    params=redact(params or {}),
                    outcome=redact_text(outcome)[:500],
                    prev_hash=last_hash,
                )
                record = record.model_copy(update={"hash": record.compute_hash()})
                line = (record.model_dump_json() + "\n").encode()
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
                self._tail = (size + len(line), record.seq, record.hash)
                return record
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def records(self) -> list[AuditRecord]:
        with self.path.open("rb") as fh:
            return [AuditRecord.model_validate_json(line) for line in fh if line.strip()]

    def tail(self, n: int = 20) -> list[AuditRecord]:
        with self.path.open("rb") as fh:
            last = deque((line for line in fh if line.strip()), maxlen=max(n, 0))
        return [AuditRecord.model_validate_json(line) for line in last]

    def verify(self) -> int:
        """Check the whole chain; returns the number of records. Raises AuditTampered naming the
        first record that was modified, removed, inserted or moved."""
        prev_hash, expected_seq = GENESIS, 1
        with self.path.open("rb") as fh:
            for index, line in enumerate(fh):
                number = index + 1
                try:
                    record = AuditRecord.model_validate_json(line)
                except ValueError as exc:
                    raise AuditTampered(f"line {number} is not a valid audit record", index) from exc
                if record.hash != record.compute_hash():
                    raise AuditTampered(f"line {number} (record {record.seq}, {record.event}) was modified", index)
                if record.seq != expected_seq or record.prev_hash != prev_hash:
                    raise AuditTampered(self._broken_link(record, expected_seq, number), index)
                prev_hash, expected_seq = record.hash, record.seq + 1
        return expected_seq - 1

    def _broken_link(self, record: AuditRecord, expected_seq: int, number: int) -> str:
        """Why `record`, on line `number`, does not follow the record before it."""
        where = f"line {number} (record {record.seq})"
        if record.seq == expected_seq:
            if number == 1:
                return f"{where} does not start the chain"
            return f"{where} does not follow line {number - 1}: that record was replaced"
        if record.seq < expected_seq:
            return f"{where} comes after record {expected_seq - 1}: it was inserted or moved"
        with self.path.open("rb") as fh:  # the expected record may be further down: then it was moved
            for later, line in enumerate(fh, start=1):
                if later > number and line.startswith(f'{{"seq":{expected_seq},'.encode()):
                    return f"{where} is out of order: record {expected_seq} is on line {later}"
        return f"record {expected_seq} is missing before line {number}"


def _read_last(fh: IO[bytes]) -> tuple[int, str]:
    """(seq, hash) of the file's last record, or (0, GENESIS) for an empty file."""
    end = fh.seek(0, os.SEEK_END)
    if end == 0:
        return 0, GENESIS
    chunk = 4096
    pos, data = end, b""
    while pos > 0:
        step = min(chunk, pos)
        pos -= step
        fh.seek(pos)
        data = fh.read(step) + data
        lines = data.rstrip(b"\n").split(b"\n")
        if len(lines) > 1 or pos == 0:
            try:
                record = AuditRecord.model_validate_json(lines[-1])
            except ValueError as exc:
                fh.seek(0)
                index = sum(1 for _ in fh) - 1
                raise AuditTampered(f"line {index + 1} is not a valid audit record", index) from exc
            return record.seq, record.hash
    return 0, GENESIS  # pragma: no cover
