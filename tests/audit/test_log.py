"""The audit log: a hash chain that names the first record someone tampered with."""

from __future__ import annotations

import json
import multiprocessing
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from audit.log import GENESIS, AuditEvent, AuditLog, AuditRecord
from core.errors import AuditTampered

EVENTS = [AuditEvent.RECEIVED, AuditEvent.PARSED, AuditEvent.CONFIRMED, AuditEvent.ENQUEUED, AuditEvent.SUCCEEDED]


def filled(tmp_path: Path, count: int = 5) -> AuditLog:
    log = AuditLog(tmp_path / "audit")
    for i in range(count):
        log.append(EVENTS[i % len(EVENTS)], actor="alice", where="console:ops", what=f"step {i + 1}", params={"n": i})
    return log


def lines(log: AuditLog) -> list[str]:
    return log.path.read_text(encoding="utf-8").splitlines(keepends=True)


def tampered(log: AuditLog) -> AuditTampered:
    with pytest.raises(AuditTampered) as err:
        log.verify()
    return err.value


def rehash(line: str, **changes: object) -> str:
    """A forger's edit: change fields and recompute the record's own hash."""
    record = AuditRecord.model_validate_json(line).model_copy(update=changes)
    return record.model_copy(update={"hash": record.compute_hash()}).model_dump_json() + "\n"


def test_append_chains_records_and_verifies(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit")
    assert log.verify() == 0
    first = log.append(AuditEvent.RECEIVED, actor="alice", where="console:ops", what="scale web-prod to 20")
    second = log.append(AuditEvent.DENIED, actor="dave", where="slack:C1/17.5", what="scale", outcome="viewer")
    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert first.hash == first.compute_hash()
    assert log.records() == [first, second]
    assert log.verify() == 2


def test_a_new_log_object_continues_the_chain(tmp_path: Path) -> None:
    last = filled(tmp_path, 3).records()[-1]
    again = AuditLog(tmp_path / "audit")
    record = again.append(AuditEvent.STARTED, actor="system", where="worker", what="job 1")
    assert (record.seq, record.prev_hash) == (4, last.hash)
    assert again.verify() == 4


def test_record_is_on_disk_when_append_returns(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit")
    record = log.append(AuditEvent.CONFIRMED, actor="bob", where="console:ops", what="stop web-staging")
    assert json.loads(log.path.read_text(encoding="utf-8")) == record.model_dump(mode="json")


def test_tail(tmp_path: Path) -> None:
    log = filled(tmp_path, 5)
    assert [r.what for r in log.tail(2)] == ["step 4", "step 5"]
    assert [r.seq for r in log.tail(50)] == [1, 2, 3, 4, 5]
    assert log.tail(0) == []


Edit = Callable[[list[str]], list[str]]  # the file's lines -> the lines someone writes back


def _put(text: list[str], index: int, line: str) -> list[str]:
    return [*text[:index], line, *text[index + 1 :]]


def _forged_after_record_2(text: list[str]) -> list[str]:
    """A record 3 that links to record 2 and carries its own valid hash, inserted before the genuine one."""
    forged = rehash(text[1], seq=3, prev_hash=json.loads(text[1])["hash"], what="approved by carol")
    return [*text[:2], forged, *text[2:]]


TAMPERING: list[tuple[str, Edit, int, str]] = [
    ("modified", lambda t: _put(t, 2, t[2].replace("step 3", "step 9")), 2,
     "line 3 (record 3, confirmed) was modified"),
    ("modified and rehashed", lambda t: _put(t, 1, rehash(t[1], what="nothing happened")), 2,
     "line 3 (record 3) does not follow line 2: that record was replaced"),
    ("forged first record", lambda t: _put(t, 0, rehash(t[0], prev_hash="f" * 64)), 0,
     "line 1 (record 1) does not start the chain"),
    ("removed", lambda t: [t[0], *t[2:]], 1, "record 2 is missing before line 2"),
    ("removed first", lambda t: t[1:], 0, "record 1 is missing before line 1"),
    ("reordered", lambda t: [t[0], t[2], t[1], *t[3:]], 1, "line 2 (record 3) is out of order: record 2 is on line 3"),
    ("inserted copy of an earlier record", lambda t: [*t[:3], t[0], *t[3:]], 3,
     "line 4 (record 1) comes after record 3: it was inserted or moved"),
    # the forgery itself links up; the genuine record 3 after it cannot
    ("inserted forgery with a valid hash", _forged_after_record_2, 3,
     "line 4 (record 3) comes after record 3: it was inserted or moved"),
]  # fmt: skip


def tampered_by(tmp_path: Path, edit: Edit) -> AuditTampered:
    """What verification says of five records after `edit`."""
    log = filled(tmp_path)
    log.path.write_text("".join(edit(lines(log))), encoding="utf-8")
    return tampered(log)


@pytest.mark.parametrize(("edit", "index", "said"), [case[1:] for case in TAMPERING], ids=[c[0] for c in TAMPERING])
def test_tampering_is_named_at_its_first_line(tmp_path: Path, edit: Edit, index: int, said: str) -> None:
    err = tampered_by(tmp_path, edit)
    assert (err.index, str(err)) == (index, said)


def test_a_bad_line_before_good_ones_is_tampering_not_a_torn_tail(tmp_path: Path) -> None:
    err = tampered_by(tmp_path, lambda t: _put(t, 3, t[3][:40] + "\n"))  # a record cut short mid-file
    assert (err.index, str(err)) == (3, "line 4 is not a valid audit record")
    log = AuditLog(tmp_path / "audit")
    record = log.append(AuditEvent.RECEIVED, actor="a", where="w", what="x")
    assert record.seq == 6  # nothing was moved aside: only the end of the file is ever repaired
    assert not (tmp_path / "audit" / "audit.quarantine.jsonl").exists()
    assert str(tampered(log)) == "line 4 is not a valid audit record"


def test_non_finite_numbers_do_not_break_the_chain(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit")
    log.append(AuditEvent.SUCCEEDED, actor="system", where="worker", what="x", params={"cost": float("nan")})
    log.append(AuditEvent.SUCCEEDED, actor="system", where="worker", what="y", params={"cost": float("inf")})
    assert log.verify() == 2


SLACK_TOKEN = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
TELEGRAM_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_secrets_are_redacted_before_they_reach_the_disk(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit")
    record = log.append(
        AuditEvent.RECEIVED,
        actor="alice",
        where=f"telegram:bot{TELEGRAM_TOKEN}/42",
        what=f"set token {SLACK_TOKEN} and use redis://:hunter2@cache:6379/0",
        params={
            "token": "plain-looking",
            "client_secret": "s3",
            "db_password": 42,
            "url": "https://ops:correct-horse@api.example.com/v1",
            "note": f"Authorization: Bearer {'a' * 24}",
            "count": 3,
        },
        outcome=f"failed with {TELEGRAM_TOKEN}",
    )
    raw = log.path.read_text(encoding="utf-8")
    for secret in (SLACK_TOKEN, TELEGRAM_TOKEN, "hunter2", "plain-looking", '"s3"', "correct-horse", "a" * 24):
        assert secret not in raw
    assert record.params["token"] == record.params["client_secret"] == record.params["db_password"] == "[redacted]"
    assert record.params["count"] == 3
    assert "api.example.com/v1" in str(record.params["url"])
    assert "cache:6379/0" in record.what
    assert log.verify() == 1


def test_ordinary_text_is_kept(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit")
    what = "scale web-prod to 20 (job 1712345678:abc)"
    record = log.append(
        AuditEvent.ENQUEUED, actor="bob", where="slack:C0INCIDENT/1712.5", what=what, params={"idempotency_key": "k1"}
    )
    assert record.what == what
    assert record.params == {"idempotency_key": "k1"}


def _append_many(data_dir: str, actor: str, count: int) -> None:
    log = AuditLog(Path(data_dir))
    for i in range(count):
        log.append(AuditEvent.RECEIVED, actor=actor, where="console:ops", what=f"{actor} {i}")


def test_two_processes_append_to_one_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "audit"
    AuditLog(data_dir).append(AuditEvent.RECEIVED, actor="parent", where="console:ops", what="before")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(data_dir), name, 60)) for name in ("chat", "worker")]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=60)
    assert [p.exitcode for p in workers] == [0, 0]
    log = AuditLog(data_dir)
    assert log.verify() == 121
    records = log.records()
    assert [r.seq for r in records] == list(range(1, 122))
    for name in ("chat", "worker"):
        assert [r.what for r in records if r.actor == name] == [f"{name} {i}" for i in range(60)]
    # the parent's stale view of the file's end is refreshed, not trusted
    assert log.append(AuditEvent.PARSED, actor="parent", where="console:ops", what="after").seq == 122
    assert log.verify() == 122


def test_threads_with_their_own_log_objects(tmp_path: Path) -> None:
    threads = [threading.Thread(target=_append_many, args=(str(tmp_path), f"t{i}", 30)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert AuditLog(tmp_path).verify() == 90
