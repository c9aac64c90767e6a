"""A torn tail: what a crash or a full disk leaves at the end of the log (half a line, a line without its newline,
zeroed blocks). Such bytes are never a record anyone relied on - `append` returns only after the whole line and
its newline are on disk - so they are moved aside to a quarantine file and the log is cut back to its last
complete record. Only the end of the file is ever treated so: a bad line with good records after it is tampering."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from audit.record import AuditRecord, parse_line
from core.errors import AuditTampered

QUARANTINE_NAME = "audit.quarantine.jsonl"
MAX_TORN_BYTES = 1 << 20  # more than this after the last record is not a torn write: it is left for verify to name
_CHUNK = 4096


def last_record(fh: IO[bytes], size: int) -> tuple[int, AuditRecord | None]:
    """(offset just past the last complete record, that record); (0, None) when the file holds none. A line
    counts only with its newline. Raises AuditTampered when more than MAX_TORN_BYTES follow the last record."""
    window = _CHUNK
    while True:
        start = max(0, size - window)
        fh.seek(start)
        data = fh.read(size - start)
        end = data.rfind(b"\n") + 1  # just past the newline of the last complete line in the window (0: none)
        while end > 0:
            begin = data.rfind(b"\n", 0, end - 1) + 1
            if begin == 0 and start > 0:
                break  # the line starts before the window
            record = parse_line(data[begin : end - 1])
            if record is not None:
                return start + end, record
            end = begin
        if start == 0 and end == 0:
            return 0, None
        if size - (start + end) > MAX_TORN_BYTES:
            fh.seek(0)
            lines = fh.read(start + end).count(b"\n")
            raise AuditTampered(f"line {lines + 1} is not a valid audit record, nor are the lines after it", lines)
        window *= 4


def quarantine(data_dir: Path, torn: bytes, offset: int, at: float) -> None:
    """Keep the torn bytes, with when and from where, on one JSON line of the quarantine file (durably: the log is
    cut right after)."""
    entry = {
        "at": at,
        "offset": offset,
        "bytes": len(torn),
        "sha256": hashlib.sha256(torn).hexdigest(),
        "base64": base64.b64encode(torn).decode(),
    }
    line = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
    fd = os.open(data_dir / QUARANTINE_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def quarantined(data_dir: Path) -> list[bytes]:
    """Every torn tail moved aside so far, oldest first."""
    path = data_dir / QUARANTINE_NAME
    if not path.is_file():
        return []
    with path.open("rb") as fh:
        return [base64.b64decode(json.loads(line)["base64"]) for line in fh if line.strip()]


def lines_until(fh: IO[bytes], end: int) -> Iterator[bytes]:
    """The lines of `fh` from where it stands up to byte `end` (the end of the last whole record)."""
    read = 0
    for line in fh:
        if read >= end:
            return
        read += len(line)
        yield line
