"""The other sub-commands, through typer's runner (same code path as the installed command)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audit.log import AuditEvent, AuditLog
from bot.cli import app

runner = CliRunner()


def test_parse_json_prints_intent_slots_confidence() -> None:
    done = runner.invoke(app, ["parse", "scale web prod to twenty", "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert result["intent"] == "scale"
    assert result["slots"] == {"target": "web-prod", "count": 20}
    assert 0.5 < result["confidence"] <= 1


def test_parse_reads_one_utterance_per_line_from_stdin() -> None:
    done = runner.invoke(app, ["parse", "-", "--json"], input="status of prod\nack 42\nwhat\n")
    assert done.exit_code == 0, done.output
    results = [json.loads(line) for line in done.output.splitlines()]
    assert [r["intent"] for r in results] == ["status", "ack", "unknown"]
    assert results[0]["slots"] == {"environment": "prod"}
    assert results[1]["slots"] == {"alert_id": 42}


def test_audit_verify_names_the_tampered_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_DATA_DIR", str(tmp_path))
    log = AuditLog(tmp_path)
    for i in range(5):
        log.append(AuditEvent.RECEIVED, actor="alice", where="console:x", what=f"status {i}")
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "5 records" in ok.output
    lines = log.path.read_text().splitlines()
    lines[2] = lines[2].replace("status 2", "status 9")
    log.path.write_text("\n".join(lines) + "\n")
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1
    assert "line 3" in bad.output and "modified" in bad.output


def test_audit_tail_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_DATA_DIR", str(tmp_path))
    log = AuditLog(tmp_path)
    for i in range(4):
        log.append(AuditEvent.RECEIVED, actor="bob", where="console:x", what=f"m{i}")
    done = runner.invoke(app, ["audit", "tail", "-n", "2", "--json"])
    assert done.exit_code == 0
    assert [json.loads(line)["what"] for line in done.output.splitlines()] == ["m2", "m3"]


def test_check_config_reports_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = runner.invoke(app, ["check-config"])
    assert good.exit_code == 0, good.output
    policy = tmp_path / "policy.yaml"
    policy.write_text("roles:\n  viewer:\n    alow: [status]\n")
    monkeypatch.setenv("OPSBOT_POLICY", str(policy))
    bad = runner.invoke(app, ["check-config"])
    assert bad.exit_code == 1
    assert f"{policy}:3" in bad.output
