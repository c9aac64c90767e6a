"""When the audit cannot be written: `append` refuses in one line (a change must not run unrecorded), `note` goes
on (an alert must not wait on its record), the failures are counted, logged once per outage, and told to the
incident channels once across processes - and once more when writing works again."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import redis
from prometheus_client import REGISTRY

from audit.log import AuditEvent, AuditLog
from audit.notice import BACK_TEXT, OutageNotice, outage_text
from core.errors import AuditUnavailable
from core.models import Reply


def _failures() -> float:
    return REGISTRY.get_sample_value("opsbot_audit_write_failures_total") or 0.0


def _full(tmp_path: Path) -> AuditLog:
    """A log whose every write fails as on a full disk (ENOSPC, for root too)."""
    (tmp_path / "audit.jsonl").symlink_to("/dev/full")
    return AuditLog(tmp_path)


def test_append_refuses_in_one_line_and_note_goes_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    log = _full(tmp_path)
    before = _failures()
    with caplog.at_level(logging.WARNING, logger="audit"), pytest.raises(AuditUnavailable) as refused:
        log.append(AuditEvent.CONFIRMED, actor="alice", where="slack:C1", what="scale web-prod to 20")
    assert str(refused.value) == "The audit log cannot be written (the disk is full): changes are refused for now."
    assert [r.getMessage() for r in caplog.records] == [
        "audit log writes failing: the disk is full (one line per outage; opsbot_audit_*_failures_total counts)"
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="audit"):
        for i in range(20):
            assert log.note(AuditEvent.ALERT_RECEIVED, actor="system", where="alerts:generic", what=f"a{i}") is None
    assert _failures() - before == 21
    assert log.outage.current == "the disk is full"
    assert [r.getMessage() for r in caplog.records] == []  # the outage was logged when it started, not again

    (tmp_path / "audit.jsonl").unlink()  # space freed
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="audit"):
        written = log.note(AuditEvent.ALERT_RECEIVED, actor="system", where="alerts:generic", what="after")
    assert written is not None and written.seq == 1
    assert log.outage.current is None
    assert [r.getMessage() for r in caplog.records] == ["audit log writes working again"]


def test_a_log_path_that_cannot_be_opened_at_start_up_does_not_stop_start_up(tmp_path: Path) -> None:
    (tmp_path / "audit.jsonl").mkdir()  # not a file at all
    log = AuditLog(tmp_path)
    assert log.outage.current == "the log's path is a directory"
    assert log.note(AuditEvent.ALERT_ACKED, actor="bob", where="sms", what="ack 1") is None


def _told(connection: redis.Redis) -> list[Reply]:
    replies = []
    for key in connection.scan_iter("opsbot:outbox:*"):
        if connection.type(key) == b"stream":
            replies += [Reply.model_validate_json(f[b"reply"]) for _, f in connection.xrange(key) or [] if f]
    return replies


def test_the_incident_channels_are_told_once_across_processes(tmp_path: Path, redis_conn: redis.Redis) -> None:
    (tmp_path / "audit.jsonl").symlink_to("/dev/full")
    chat = AuditLog(tmp_path, connection=redis_conn)
    worker = AuditLog(tmp_path, connection=redis_conn)  # another process, same disk
    notices = [OutageNotice(log, ["slack:C0INCIDENT"]) for log in (chat, worker)]
    for _ in range(5):
        for log, notice in zip((chat, worker), notices, strict=True):
            notice.after(log.note(AuditEvent.ALERT_NOTIFIED, actor="system", where="sms", what="x"), ["slack:C0WEB"])
    told = _told(redis_conn)
    assert sorted((r.ref.conversation_id, r.text) for r in told) == [
        ("C0INCIDENT", outage_text("the disk is full")),
        ("C0WEB", outage_text("the disk is full")),
    ]
    assert all(r.key.startswith("urgent-") for r in told)  # ahead of ordinary replies, like alert cards

    (tmp_path / "audit.jsonl").unlink()
    for log, notice in zip((chat, worker), notices, strict=True):
        notice.after(log.note(AuditEvent.ALERT_NOTIFIED, actor="system", where="sms", what="y"))
    back = [r for r in _told(redis_conn) if r.text == BACK_TEXT]
    assert [r.ref.conversation_id for r in back] == ["C0INCIDENT"]
