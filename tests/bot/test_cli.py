"""The other sub-commands, through typer's runner (same code path as the installed command)."""

from __future__ import annotations

import json
import subprocess
import sys
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


# `opsbot bench` runs the benchmarks in a process of its own, so these run the installed command.
OPSBOT = str(Path(sys.executable).parent / "opsbot")


def _bench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OPSBOT, "bench", *args], cwd=cwd, capture_output=True, text=True, timeout=110, check=False)


def test_bench_takes_several_names_after_one_only_and_in_any_order(tmp_path: Path) -> None:
    done = _bench("--only", "audit", "parse", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    sections = [line for line in done.stdout.splitlines() if line.startswith("== ")]
    assert sections == ["== parse", "== audit"]  # the usual order, whatever order they were named in
    assert "Traceback" not in done.stderr


def test_bench_an_unknown_name_is_one_line_listing_the_known_ones(tmp_path: Path) -> None:
    done = _bench("--only", "parse", "--only", "pasre", "voice", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("opsbot bench: unknown benchmark pasre, voice; known: memory, parse, ")
    assert "voice_recognition" in done.stderr


def test_bench_ignores_a_bench_folder_in_the_current_directory(tmp_path: Path) -> None:
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "__main__.py").write_text("raise SystemExit('the wrong bench')\n")
    done = _bench("--only", "nope", cwd=tmp_path)
    assert done.returncode == 2 and "unknown benchmark nope" in done.stderr
