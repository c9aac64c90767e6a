"""Signed checkpoints: every so many records and every few minutes, the head of the chain (sequence number, hash,
time) is written to a file beside the log with an HMAC-SHA256 made with OPSBOT_AUDIT_KEY. The key never touches
the data dir, so whoever can edit the files cannot forge a checkpoint: a log cut below a checkpoint, or rewritten
and re-chained from before one, no longer matches it."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

CHECKPOINTS_NAME = "audit.checkpoints.jsonl"
EVERY_RECORDS = 100
EVERY_SECONDS = 300.0


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: float
    mac: str = ""

    def signed(self, key: bytes) -> Checkpoint:
        return Checkpoint(self.seq, self.hash, self.at, _mac(key, self.seq, self.hash, self.at))

    def valid(self, key: bytes) -> bool:
        return hmac.compare_digest(self.mac, _mac(key, self.seq, self.hash, self.at))

    def line(self) -> bytes:
        body = {"seq": self.seq, "hash": self.hash, "at": self.at, "hmac": self.mac}
        return (json.dumps(body, separators=(",", ":")) + "\n").encode()


def _mac(key: bytes, seq: int, hash_: str, at: float) -> str:
    message = json.dumps({"at": at, "hash": hash_, "seq": seq}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def parse(line: bytes) -> Checkpoint | None:
    """A checkpoint line, or None when it is not one."""
    try:
        body = json.loads(line)
        return Checkpoint(int(body["seq"]), str(body["hash"]), float(body["at"]), str(body["hmac"]))
    except (ValueError, TypeError, KeyError):
        return None


def read_all(data_dir: Path) -> list[Checkpoint | None]:
    """Every line of the checkpoint file in order (None for a line that is not a checkpoint); [] without one."""
    path = data_dir / CHECKPOINTS_NAME
    if not path.is_file():
        return []
    with path.open("rb") as fh:
        return [parse(line) for line in fh if line.strip()]


def read_last(fh: IO[bytes]) -> Checkpoint | None:
    """The last checkpoint of an open checkpoint file (the last line is short: one read from the end)."""
    end = fh.seek(0, os.SEEK_END)
    fh.seek(max(0, end - 1024))
    lines = fh.read().rstrip(b"\n").split(b"\n")
    return parse(lines[-1]) if lines and lines[-1] else None


class Checkpointer:
    """Decides when a checkpoint is due and writes it; called under the log's file lock after each append."""

    def __init__(self, data_dir: Path, key: bytes, every: int = EVERY_RECORDS, seconds: float = EVERY_SECONDS) -> None:
        self.path = data_dir / CHECKPOINTS_NAME
        self._key = key
        self._every = every
        self._seconds = seconds
        self._last: Checkpoint | None = None  # the last one this process knows of (another may have written since)

    def after(self, seq: int, hash_: str, at: float) -> Checkpoint | None:
        """Write a checkpoint for the record just appended when one is due; returns it. Raises OSError."""
        if self._last is not None and not self._due(self._last, seq, at):
            return None
        with self.path.open("a+b") as fh:
            self._last = read_last(fh)  # another process may have written one since
            if self._last is not None and not self._due(self._last, seq, at):
                return None
            checkpoint = Checkpoint(seq, hash_, at).signed(self._key)
            fh.write(checkpoint.line())
            fh.flush()
            os.fsync(fh.fileno())
        self._last = checkpoint
        return checkpoint

    def _due(self, last: Checkpoint, seq: int, at: float) -> bool:
        return due(last, seq, at, self._every, self._seconds)


def due(last: Checkpoint, seq: int, at: float, every: int, seconds: float) -> bool:
    """Whether record `seq`, written at `at`, gets a checkpoint after `last`: every so many records, every so many
    seconds, and after a log that went back below the last one (a restore)."""
    return seq - last.seq >= every or at - last.at >= seconds or seq < last.seq
