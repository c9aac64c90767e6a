"""Every way the issue found to cut or rewrite the audit unnoticed, against the head kept in Redis and the signed
checkpoints: each is detected and named with a key, and without one verification says what it cannot prove."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import redis

from audit.checkpoints import CHECKPOINTS_NAME, Checkpoint
from audit.head import HEAD_KEY, Head, HeadStore
from audit.log import AuditEvent, AuditLog, AuditRecord
from audit.verify import AuditReport, verify_audit
from tests.audit.test_log import rehash

KEY = b"k" * 32
RECORDS = 35  # checkpoints (every 10) at records 1, 11, 21 and 31; the Redis head at 35


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_990_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def _log(data: Path, connection: redis.Redis | None, key: bytes | None, clock: Clock | None = None) -> AuditLog:
    return AuditLog(data, connection=connection, key=key, checkpoint_every=10, clock=clock or Clock())


@pytest.fixture
def data(tmp_path: Path, redis_conn: redis.Redis) -> Path:
    log = _log(tmp_path / "data", redis_conn, KEY)
    for i in range(RECORDS):
        log.append(AuditEvent.RECEIVED, actor="alice", where="slack:C1", what=f"status {i + 1}")
    return tmp_path / "data"


def _lines(data: Path) -> list[str]:
    return (data / "audit.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)


def _write(data: Path, lines: list[str]) -> None:
    (data / "audit.jsonl").write_text("".join(lines), encoding="utf-8")


def _rechain(lines: list[str], start: int, **changes: object) -> list[str]:
    """A forger's rewrite: change line `start` and re-chain every record after it, each hash recomputed."""
    out = lines[:start]
    prev = json.loads(out[-1])["hash"] if out else "0" * 64
    for index, line in enumerate(lines[start:]):
        fixed = rehash(line, prev_hash=prev, **(changes if index == 0 else {}))
        out.append(fixed)
        prev = json.loads(fixed)["hash"]
    return out


def _report(data: Path, connection: redis.Redis | None, key: bytes | None = KEY) -> AuditReport:
    return verify_audit(data, connection=connection, key=key)


def test_an_untouched_log_verifies_against_head_and_checkpoints(data: Path, redis_conn: redis.Redis) -> None:
    report = _report(data, redis_conn)
    assert report.ok and report.records == RECORDS
    assert report.lines() == [f"OK: {RECORDS} records, chain intact ({data / 'audit.jsonl'})"]
    assert [c.seq for c in map(_checkpoint, (data / CHECKPOINTS_NAME).read_bytes().splitlines())] == [1, 11, 21, 31]
    head = HeadStore(redis_conn).read()
    assert head is not None and (head.seq, head.hash) == (RECORDS, json.loads(_lines(data)[-1])["hash"])


def _checkpoint(line: bytes) -> Checkpoint:
    body = json.loads(line)
    return Checkpoint(body["seq"], body["hash"], body["at"], body["hmac"])


def test_removing_the_last_records(data: Path, redis_conn: redis.Redis) -> None:
    _write(data, _lines(data)[:-3])
    report = _report(data, redis_conn)
    assert not report.ok
    assert report.problems[0].startswith("the log ends at record 32; Redis says the last record is 35 (")
    _write(data, _lines(data)[:-7])  # below the last checkpoint too
    problems = _report(data, redis_conn).problems
    assert problems[0].startswith("the log ends at record 25; the last checkpoint (")
    assert problems[0].endswith(") says 31")
    assert problems[1].startswith("the log ends at record 25; Redis says the last record is 35")


def test_emptying_or_removing_the_file(data: Path, redis_conn: redis.Redis) -> None:
    _write(data, [])
    (problem,) = _report(data, redis_conn).problems
    assert problem.startswith("the log is empty, but Redis says the last record is 35 (")
    assert ") and the last checkpoint (" in problem and problem.endswith(") says 31: it was emptied or removed")
    (data / "audit.jsonl").unlink()
    assert _report(data, redis_conn).problems[0].startswith("the log does not exist, but Redis says")
    assert _report(data, None).problems[0].startswith("the log does not exist, but the last checkpoint")


def test_a_forged_record_appended_with_a_correct_chain(data: Path, redis_conn: redis.Redis) -> None:
    lines = _lines(data)
    last = json.loads(lines[-1])
    _write(data, [*lines, rehash(lines[-1], seq=36, prev_hash=last["hash"], what="approved by carol")])
    assert _report(data, redis_conn).problems == (
        "record 36 came after the last record Redis knows (35): forged, or written while Redis was down",
    )
    # after the last checkpoint only the Redis head can tell: without it, verification says so
    without_redis = _report(data, None)
    assert without_redis.ok
    assert without_redis.notes == (
        "no Redis head to compare: records cut from the end after the last checkpoint (record 31) cannot be detected",
    )


def test_rewriting_from_record_k_and_re_chaining(data: Path, redis_conn: redis.Redis) -> None:
    _write(data, _rechain(_lines(data), 14, what="nothing happened"))  # record 15 on
    problems = _report(data, redis_conn).problems
    assert problems[0].startswith("record 21 is not the one the checkpoint of ")
    assert problems[0].endswith("signed: the log was rewritten after record 11 (the last checkpoint that matches)")
    assert problems[1].startswith("record 35 is not the one Redis recorded as the last (")
    # a forger who can also write to Redis moves the head onto the rewrite: the signed checkpoints still tell
    redis_conn.delete(HEAD_KEY)
    rewritten = AuditRecord.model_validate_json(_lines(data)[-1])
    HeadStore(redis_conn).advance(Head(rewritten.seq, rewritten.hash, rewritten.at))
    assert _report(data, redis_conn).problems[0].startswith("record 21 is not the one the checkpoint of ")


def test_rewriting_everything_from_the_first_record(data: Path, redis_conn: redis.Redis) -> None:
    _write(data, _rechain(_lines(data), 0, what="forged"))
    assert "the log was rewritten after record 0:" not in _report(data, None).problems[0]
    assert _report(data, None).problems[0].endswith("signed: the log was rewritten after record 0")


def test_time_going_backwards_is_named(data: Path, redis_conn: redis.Redis) -> None:
    lines = _lines(data)
    at = json.loads(lines[19])["at"]
    _write(data, _rechain(lines, 19, at=at - 60))  # record 20 dated a minute before record 19
    problems = _report(data, redis_conn).problems
    assert problems[0].startswith("record 20 is dated 59 s before record 19 (")
    assert problems[0].endswith("time went back - records were rewritten, or a clock was set back")


def test_clock_skew_between_processes_is_tolerated(tmp_path: Path) -> None:
    clock = Clock()
    log = AuditLog(tmp_path, clock=clock)
    log.append(AuditEvent.RECEIVED, actor="a", where="w", what="x")
    clock.now -= 4.5  # another process whose clock is a little behind
    log.append(AuditEvent.RECEIVED, actor="b", where="w", what="y")
    assert log.verify() == 2


def test_a_forged_checkpoint(data: Path, redis_conn: redis.Redis) -> None:
    forged = Checkpoint(40, "f" * 64, 1_764_999_999.0).signed(b"guessed-key-guessed-key")
    with (data / CHECKPOINTS_NAME).open("ab") as fh:
        fh.write(forged.line())
    problems = _report(data, redis_conn).problems
    assert problems[0] == "checkpoint line 5 (record 40) is forged: its signature does not verify"
    assert len(problems) == 1  # a forged checkpoint is not taken for what the log should hold


def test_removing_the_checkpoint_file(data: Path, redis_conn: redis.Redis) -> None:
    (data / CHECKPOINTS_NAME).unlink()
    assert _report(data, redis_conn).problems == (
        f"no signed checkpoint although the log has {RECORDS} records: the checkpoint file was removed, "
        "or opsbot ran without OPSBOT_AUDIT_KEY",
    )


def test_without_a_key_the_redis_head_still_catches_a_cut_and_verify_says_what_it_cannot(
    tmp_path: Path, redis_conn: redis.Redis
) -> None:
    log = _log(tmp_path, redis_conn, None)
    for i in range(12):
        log.append(AuditEvent.RECEIVED, actor="alice", where="w", what=f"m{i}")
    assert not (tmp_path / CHECKPOINTS_NAME).exists()
    report = _report(tmp_path, redis_conn, None)
    assert report.ok
    assert report.notes == (
        "no OPSBOT_AUDIT_KEY: no signed checkpoints; cuts and rewrites are caught only by the Redis head, which "
        "anyone who can write to Redis can move",
    )
    _write(tmp_path, _lines(tmp_path)[:-2])
    assert _report(tmp_path, redis_conn, None).problems[0].startswith("the log ends at record 10; Redis says")
    assert _report(tmp_path, None, None).ok  # without either, a cut is not seen, and verify says so:
    assert _report(tmp_path, None, None).notes == (
        "no OPSBOT_AUDIT_KEY and no Redis head: records cut from the end, an emptied log, or a log rewritten and "
        "re-chained cannot be detected; only edits inside the chain are",
    )


def test_verify_on_a_missing_data_dir_is_an_error_and_creates_nothing(tmp_path: Path, redis_conn: redis.Redis) -> None:
    missing = tmp_path / "nowhere"
    report = _report(missing, redis_conn)
    assert report.problems == (
        f"the data dir {missing} does not exist (nothing was written there: check OPSBOT_DATA_DIR)",
    )
    HeadStore(redis_conn).advance(Head(140, "a" * 64, 1_764_990_000.0))
    assert _report(missing, redis_conn).problems[0].endswith("Redis says the last record is 140 (2025-12-06 03:00 UTC)")
    assert not missing.exists()


def test_an_empty_log_that_was_never_written_is_fine(tmp_path: Path, redis_conn: redis.Redis) -> None:
    report = _report(tmp_path, redis_conn)
    assert report.ok and report.records == 0
    assert "no records: nothing says any were ever written (no checkpoint, no Redis head)" in report.notes
    assert list(tmp_path.iterdir()) == []


def test_checkpoints_every_few_minutes_and_the_key_never_in_the_data_dir(tmp_path: Path) -> None:
    clock = Clock()
    log = AuditLog(tmp_path, key=KEY, checkpoint_every=1000, checkpoint_seconds=300, clock=clock)
    for _ in range(3):
        log.append(AuditEvent.RECEIVED, actor="a", where="w", what="x")
    clock.now += 300
    log.append(AuditEvent.RECEIVED, actor="a", where="w", what="x")
    marks = [_checkpoint(line) for line in (tmp_path / CHECKPOINTS_NAME).read_bytes().splitlines()]
    assert [m.seq for m in marks] == [1, 4] and all(m.valid(KEY) for m in marks)
    for path in tmp_path.iterdir():
        assert KEY not in path.read_bytes()


def test_the_head_never_moves_back_and_redis_down_never_fails_an_append(
    tmp_path: Path, redis_conn: redis.Redis, closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    heads = HeadStore(redis_conn)
    assert heads.advance(Head(10, "a" * 64, 1.0)) and not heads.advance(Head(9, "b" * 64, 2.0))
    assert heads.read() == Head(10, "a" * 64, 1.0)
    down = redis.Redis(port=closed_port, socket_connect_timeout=1)
    log = AuditLog(tmp_path, connection=down)
    with caplog.at_level(logging.WARNING, logger="audit"):
        for _ in range(5):
            log.append(AuditEvent.RECEIVED, actor="a", where="w", what="x")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "chain head" in warnings[0].getMessage()
    report = log.report()  # verify with Redis down: the head cannot be compared, and it says so
    assert report.ok and report.records == 5
    assert report.notes[0] == "Redis did not answer: the log could not be compared with the chain head kept there"


@pytest.fixture
def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
