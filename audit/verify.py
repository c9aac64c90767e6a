"""`opsbot audit verify`: the chain record by record, timestamps that never go back (beyond clock skew between
processes), and the log against what is kept outside it - the head in Redis and the signed checkpoints - so a log
cut short, emptied, extended by a forger or rewritten and re-chained is named. Read-only: it never creates,
repairs or locks out anything (a shared lock only waits for an append in progress)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import redis

from audit import checkpoints, torn
from audit.head import Head, HeadStore
from audit.record import GENESIS, AuditEvent, AuditRecord, parse_line
from core.errors import AuditTampered

LOG_NAME = "audit.jsonl"
CLOCK_SKEW_SECONDS = 5.0  # processes on one host append to one file; their clocks may differ this much


def when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Repair:
    seq: int  # the REPAIRED record
    at: float
    offset: int
    size: int  # bytes moved aside


@dataclass(frozen=True)
class AuditReport:
    path: Path | str  # the file, or the PostgreSQL table (its URL without a password)
    records: int
    problems: tuple[str, ...]  # each a reason the log cannot be trusted; none: OK
    notes: tuple[str, ...]  # what a reader should know: repairs, a torn tail waiting, guarantees not given
    repairs: tuple[Repair, ...] = ()
    first_bad_line: int | None = None  # 0-based line of the first broken link in the chain

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """What `opsbot audit verify` prints: a verdict, then one line per problem and note."""
        if self.ok:
            head = f"OK: {self.records} records, chain intact ({self.path})"
        else:
            head = f"FAILED: {self.records} records read, {len(self.problems)} problem(s) ({self.path})"
        return [head, *(f"- {p}" for p in self.problems), *self.notes]


@dataclass
class Scan:
    """What reading the log found."""

    records: int = 0
    last: AuditRecord | None = None
    problems: list[str] = field(default_factory=list)
    first_bad_line: int | None = None
    hashes: dict[int, str] = field(default_factory=dict)  # of the sequence numbers checked against the outside
    repairs: list[Repair] = field(default_factory=list)
    torn_bytes: int = 0


def verify_audit(data_dir: Path, *, connection: redis.Redis | None = None, key: bytes | None = None) -> AuditReport:
    path = data_dir / LOG_NAME
    # The head and the checkpoints are read under the same shared lock as the log: a running opsbot appends (and
    # moves the head) under the exclusive one, so a log checked while it is written is never taken for forged.
    with _shared_lock(path):
        return _verify(data_dir, path, connection, key)


@contextmanager
def _shared_lock(path: Path) -> Iterator[None]:
    if not path.is_file():
        yield
        return
    with path.open("rb") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _verify(data_dir: Path, path: Path, connection: redis.Redis | None, key: bytes | None) -> AuditReport:
    notes: list[str] = []
    head = read_head(connection, notes)
    marks = checkpoints.read_all(data_dir) if data_dir.is_dir() else []
    if not data_dir.is_dir():
        return AuditReport(path, 0, (_missing_dir(data_dir, head),), tuple(notes))
    scan = _scan(path, wanted(marks, head))
    state = "is empty" if path.is_file() else "does not exist"
    return judge(path, scan, Outside(head, marks, key, connection is not None, "the checkpoint file"), notes, state)


@dataclass(frozen=True)
class Outside:
    """What is kept outside the records to compare them with: the Redis head, the checkpoints (signed or not),
    the key that checks them, whether a Redis was asked at all, and where the checkpoints are kept (for a
    reader)."""

    head: Head | None
    marks: list[checkpoints.Checkpoint | None]
    key: bytes | None
    asked_redis: bool
    kept_in: str


def wanted(marks: list[checkpoints.Checkpoint | None], head: Head | None) -> set[int]:
    """The sequence numbers whose hashes the outside will be compared with."""
    return {m.seq for m in marks if m is not None} | ({head.seq} if head else set())


def judge(source: Path | str, scan: Scan, outside: Outside, notes: list[str], state: str) -> AuditReport:
    """The verdict on records read into `scan`, against what is kept outside them. `state` says how an empty log
    looks ("is empty")."""
    head, marks, key = outside.head, outside.marks, outside.key
    problems, signed = _checkpoint_problems(marks, key, notes)
    problems = scan.problems + problems
    if scan.records == 0:
        emptied = _empty(state, head, marks)
        problems += emptied
        if not emptied and not scan.problems:
            notes.append("no records: nothing says any were ever written (no checkpoint, no Redis head)")
    elif scan.first_bad_line is None:  # comparing a broken chain with the outside would only repeat the break
        problems += _against_checkpoints(scan, signed) + _against_head(scan, head)
        if key is not None and not marks:
            problems.append(f"no signed checkpoint although the log has {scan.records} records: {outside.kept_in} "
                            "was removed, or opsbot ran without OPSBOT_AUDIT_KEY")  # fmt: skip
        if outside.asked_redis and head is None and not any("Redis did not answer" in n for n in notes):
            notes.append(f"Redis holds no chain head although the log has {scan.records} records: Redis lost its "
                         "data (no persistence?) or the head was deleted")  # fmt: skip
    if scan.torn_bytes:
        notes.insert(0, f"the last {scan.torn_bytes} bytes are a torn line (a crash or a full disk): opsbot moves "
                        f"them aside at its next start or append")  # fmt: skip
    if scan.repairs:
        notes.insert(0, _repairs_line(scan.repairs))
    notes += _guarantees(outside.asked_redis and head is not None, key, signed)
    return AuditReport(source, scan.records, tuple(problems), tuple(notes), tuple(scan.repairs), scan.first_bad_line)


# -- the log itself ---------------------------------------------------------------------------------------
def _scan(path: Path, wanted: set[int]) -> Scan:
    scan = Scan()
    if not path.is_file():
        return scan
    with path.open("rb") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_SH)
        try:
            size = os.fstat(fh.fileno()).st_size
            try:
                end, _ = torn.last_record(fh, size)
            except AuditTampered:
                end = size  # far too much after the last record to be a torn write: read it as tampering
            scan.torn_bytes = size - end
            fh.seek(0)
            _chain(path, torn.lines_until(fh, end), scan, wanted)
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return scan


class Places(Protocol):
    """How a store names where a broken record is: a line of the file, a row of the table."""

    def unreadable(self, index: int) -> str: ...
    def modified(self, index: int, record: AuditRecord) -> str: ...
    def broken_link(self, index: int, record: AuditRecord, expected_seq: int) -> str: ...


class _Lines:
    def __init__(self, path: Path) -> None:
        self._path = path

    def unreadable(self, index: int) -> str:
        return f"line {index + 1} is not a valid audit record"

    def modified(self, index: int, record: AuditRecord) -> str:
        return f"line {index + 1} (record {record.seq}, {record.event}) was modified"

    def broken_link(self, index: int, record: AuditRecord, expected_seq: int) -> str:
        return _broken_link(self._path, record, expected_seq, index + 1)


def _chain(path: Path, lines: Iterator[bytes], scan: Scan, wanted: set[int]) -> None:
    chain(scan, (parse_line(line.rstrip(b"\n")) for line in lines), wanted, _Lines(path))


def chain(scan: Scan, records: Iterable[AuditRecord | None], wanted: set[int], places: Places) -> None:
    """Check each record's hash and its link to the one before, in order (None: a record that cannot be read);
    stops at the first break. Also notes time going back, the hashes of `wanted` and the repairs."""
    prev_hash, expected_seq = GENESIS, 1
    latest: AuditRecord | None = None  # the record with the latest time so far
    for index, record in enumerate(records):
        if record is None:
            _broken(scan, places.unreadable(index), index)
            return
        if record.hash != record.compute_hash():
            _broken(scan, places.modified(index, record), index)
            return
        if record.seq != expected_seq or record.prev_hash != prev_hash:
            _broken(scan, places.broken_link(index, record, expected_seq), index)
            return
        if latest is not None and record.at < latest.at - CLOCK_SKEW_SECONDS:
            if not any("went back" in p for p in scan.problems):
                seconds = latest.at - record.at
                scan.problems.append(
                    f"record {record.seq} is dated {seconds:.0f} s before record {latest.seq} "
                    f"({when(record.at)}): time went back - records were rewritten, or a clock was set back"
                )
        elif latest is None or record.at > latest.at:
            latest = record
        if record.seq in wanted:
            scan.hashes[record.seq] = record.hash
        if record.event is AuditEvent.REPAIRED:
            offset, size = record.params.get("offset"), record.params.get("bytes")
            scan.repairs.append(Repair(record.seq, record.at, int(offset or 0), int(size or 0)))
        prev_hash, expected_seq = record.hash, record.seq + 1
        scan.records, scan.last = scan.records + 1, record


def _broken(scan: Scan, message: str, index: int) -> None:
    scan.problems.append(message)
    scan.first_bad_line = index


def _broken_link(path: Path, record: AuditRecord, expected_seq: int, number: int) -> str:
    """Why `record`, on line `number`, does not follow the record before it."""
    where = f"line {number} (record {record.seq})"
    if record.seq == expected_seq:
        if number == 1:
            return f"{where} does not start the chain"
        return f"{where} does not follow line {number - 1}: that record was replaced"
    if record.seq < expected_seq:
        return f"{where} comes after record {expected_seq - 1}: it was inserted or moved"
    with path.open("rb") as fh:  # the expected record may be further down: then it was moved
        for later, line in enumerate(fh, start=1):
            if later > number and line.startswith(f'{{"seq":{expected_seq},'.encode()):
                return f"{where} is out of order: record {expected_seq} is on line {later}"
    return f"record {expected_seq} is missing before line {number}"


# -- what is kept outside the log -------------------------------------------------------------------------
def read_head(connection: redis.Redis | None, notes: list[str]) -> Head | None:
    if connection is None:
        return None
    try:
        return HeadStore(connection).read()
    except redis.RedisError:
        notes.append("Redis did not answer: the log could not be compared with the chain head kept there")
        return None


def _checkpoint_problems(
    marks: list[checkpoints.Checkpoint | None], key: bytes | None, notes: list[str]
) -> tuple[list[str], list[checkpoints.Checkpoint]]:
    """(problems, the checkpoints whose signature verifies). Without a key none can be trusted."""
    if key is None:
        if marks:
            notes.append(f"{len(marks)} checkpoint(s) not checked: their signatures need OPSBOT_AUDIT_KEY")
        return [], []
    problems: list[str] = []
    signed: list[checkpoints.Checkpoint] = []
    for number, mark in enumerate(marks, start=1):
        if mark is None:
            problems.append(f"checkpoint line {number} is not a checkpoint")
        elif not mark.valid(key):
            problems.append(f"checkpoint line {number} (record {mark.seq}) is forged: its signature does not verify")
        else:
            signed.append(mark)
    return problems, signed


def _missing_dir(data_dir: Path, head: Head | None) -> str:
    if head is not None:
        return f"the data dir {data_dir} does not exist; Redis says the last record is {head.seq} ({when(head.at)})"
    return f"the data dir {data_dir} does not exist (nothing was written there: check OPSBOT_DATA_DIR)"


def _empty(state: str, head: Head | None, marks: list[checkpoints.Checkpoint | None]) -> list[str]:
    said = [f"Redis says the last record is {head.seq} ({when(head.at)})"] if head else []
    last = next((m for m in reversed(marks) if m is not None), None)
    if last is not None:
        said.append(f"the last checkpoint ({when(last.at)}) says {last.seq}")
    if said:
        return [f"the log {state}, but {' and '.join(said)}: it was emptied or removed"]
    return []


def _against_checkpoints(scan: Scan, signed: list[checkpoints.Checkpoint]) -> list[str]:
    if not signed:
        return []
    last_seq = scan.last.seq if scan.last else 0
    matching = 0
    for mark in sorted(signed, key=lambda m: m.seq):
        if mark.seq > last_seq:
            newest = max(signed, key=lambda m: m.seq)
            return [f"the log ends at record {last_seq}; the last checkpoint ({when(newest.at)}) says {newest.seq}"]
        if scan.hashes.get(mark.seq) != mark.hash:
            return [
                f"record {mark.seq} is not the one the checkpoint of {when(mark.at)} signed: the log was rewritten "
                f"after record {matching}" + (" (the last checkpoint that matches)" if matching else "")
            ]
        matching = mark.seq
    return []


def _against_head(scan: Scan, head: Head | None) -> list[str]:
    if head is None or scan.last is None:
        return []
    last = scan.last.seq
    if head.seq > last:
        return [f"the log ends at record {last}; Redis says the last record is {head.seq} ({when(head.at)})"]
    if scan.hashes.get(head.seq) != head.hash:
        return [f"record {head.seq} is not the one Redis recorded as the last ({when(head.at)}): the log was rewritten"]
    if last > head.seq:
        span = f"record {last}" if last == head.seq + 1 else f"records {head.seq + 1}-{last}"
        return [f"{span} came after the last record Redis knows ({head.seq}): forged, or written while Redis was down"]
    return []


def _repairs_line(repairs: list[Repair]) -> str:
    moved = sum(r.size for r in repairs)
    each = ", ".join(f"{when(r.at)} ({r.size} bytes)" for r in repairs[-3:])
    more = f" (the last 3: {each})" if len(repairs) > 3 else f": {each}"
    return f"{len(repairs)} torn tail(s) repaired, {moved} bytes moved to {torn.QUARANTINE_NAME}{more}"


def _guarantees(with_head: bool, key: bytes | None, signed: list[checkpoints.Checkpoint]) -> list[str]:
    """One line on what this verification cannot prove, when something is missing."""
    if key is None and not with_head:
        return ["no OPSBOT_AUDIT_KEY and no Redis head: records cut from the end, an emptied log, or a log rewritten "
                "and re-chained cannot be detected; only edits inside the chain are"]  # fmt: skip
    if key is None:
        return ["no OPSBOT_AUDIT_KEY: no signed checkpoints; cuts and rewrites are caught only by the Redis head, "
                "which anyone who can write to Redis can move"]  # fmt: skip
    last = max((m.seq for m in signed), default=0)
    if not with_head:
        return [f"no Redis head to compare: records cut from the end after the last checkpoint (record {last}) "
                "cannot be detected"]  # fmt: skip
    return []
