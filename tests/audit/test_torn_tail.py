"""A torn last line - what a crash or a full disk leaves - no longer stops every append: it is moved aside to the
quarantine file, the log is cut back to its last record, a record says so, and verify reports the repair."""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.synchronize
from pathlib import Path

import pytest

from audit.log import AuditEvent, AuditLog
from audit.torn import QUARANTINE_NAME, quarantined
from tests.audit.test_log import filled, lines

TORN = {
    "half a line": b'{"seq":6,"at":1764990000.1,"event":"rece',
    "a line without its newline": None,  # a whole copy of the last record, its newline never written
    "zeroed blocks": b"\x00" * 37,
    "garbage ending in a newline": b"\xff\xfe not a record \x07\n",
}


def _tear(log: AuditLog, name: str) -> bytes:
    torn = TORN[name]
    if torn is None:
        torn = lines(log)[-1].rstrip("\n").encode()
    with log.path.open("ab") as fh:
        fh.write(torn)
    return torn


@pytest.mark.parametrize("name", list(TORN))
def test_the_next_append_moves_a_torn_tail_aside_and_goes_on(tmp_path: Path, name: str) -> None:
    log = filled(tmp_path)
    good = log.path.read_bytes()
    torn = _tear(log, name)
    record = log.append(AuditEvent.ALERT_RECEIVED, actor="system", where="alerts:generic", what="disk full")
    assert record.seq == 7
    assert log.path.read_bytes().startswith(good)
    assert quarantined(tmp_path / "audit") == [torn]
    entry = json.loads((tmp_path / "audit" / QUARANTINE_NAME).read_text(encoding="utf-8"))
    assert (entry["offset"], entry["bytes"]) == (len(good), len(torn)) and entry["at"] > 0
    repaired = log.records()[5]
    assert (repaired.seq, repaired.event) == (6, AuditEvent.REPAIRED)
    assert repaired.params["bytes"] == len(torn)
    report = log.report()
    assert report.ok and report.records == 7
    assert [(r.seq, r.size, r.offset) for r in report.repairs] == [(6, len(torn), len(good))]
    assert f"1 torn tail(s) repaired, {len(torn)} bytes moved to {QUARANTINE_NAME}" in report.lines()[1]


def test_start_up_repairs_before_anything_is_written(tmp_path: Path) -> None:
    log = filled(tmp_path)
    torn = _tear(log, "half a line")
    assert not log.report().repairs
    assert "torn line" in log.report().lines()[1]  # seen, not yet repaired: verify only reads
    AuditLog(tmp_path / "audit")  # what `opsbot serve` does when it starts
    assert quarantined(tmp_path / "audit") == [torn]
    assert [r.event for r in log.records()][-1] is AuditEvent.REPAIRED
    assert log.verify() == 6


def test_a_log_whose_only_line_is_torn(tmp_path: Path) -> None:
    data = tmp_path / "audit"
    data.mkdir()
    (data / "audit.jsonl").write_bytes(b'{"seq":1,"at":17')
    log = AuditLog(data)
    assert [(r.seq, r.event) for r in log.records()] == [(1, AuditEvent.REPAIRED)]
    assert log.append(AuditEvent.RECEIVED, actor="a", where="w", what="x").seq == 2
    assert log.verify() == 2


def _append_one(data_dir: str, actor: str, start: multiprocessing.synchronize.Event) -> None:
    start.wait(30)
    AuditLog(Path(data_dir)).append(AuditEvent.RECEIVED, actor=actor, where="console:ops", what=actor)


def test_two_processes_finding_the_same_torn_tail_repair_it_once(tmp_path: Path) -> None:
    log = filled(tmp_path)
    torn = _tear(log, "half a line")
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    processes = [
        context.Process(target=_append_one, args=(str(tmp_path / "audit"), name, start)) for name in ("chat", "worker")
    ]
    for process in processes:
        process.start()
    start.set()
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0, 0]
    assert quarantined(tmp_path / "audit") == [torn]
    events = [r.event for r in log.records()]
    assert events.count(AuditEvent.REPAIRED) == 1 and len(events) == 8
    assert log.verify() == 8
