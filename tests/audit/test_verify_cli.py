"""`opsbot audit verify` and `opsbot audit tail` as an operator runs them: short plain lines, exit 0 when the log can
be trusted and 1 when it cannot, and never a file or directory created where there was none."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from audit.log import AuditEvent, AuditLog
from bot.cli import app

KEY = "cli-test-audit-key-0123456789"
runner = CliRunner()


@pytest.fixture
def data(tmp_path: Path, redis_url: str, redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPSBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPSBOT_REDIS_URL", redis_url)
    monkeypatch.setenv("OPSBOT_AUDIT_KEY", KEY)
    log = AuditLog(tmp_path / "data", connection=redis_conn, key=KEY.encode())
    for i in range(12):
        log.append(AuditEvent.RECEIVED, actor="alice", where="slack:C1", what=f"status {i}")
    return tmp_path / "data"


def test_a_sound_log(data: Path) -> None:
    done = runner.invoke(app, ["audit", "verify"])
    assert done.exit_code == 0, done.output
    assert done.output == f"OK: 12 records, chain intact ({data / 'audit.jsonl'})\n"


def test_a_log_cut_short_fails_and_names_what_is_missing(data: Path) -> None:
    path = data / "audit.jsonl"
    path.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:10]), encoding="utf-8")
    done = runner.invoke(app, ["audit", "verify"])
    assert done.exit_code == 1
    lines = done.output.splitlines()
    assert lines[0] == f"FAILED: 10 records read, 1 problem(s) ({path})"
    assert lines[1].startswith("- the log ends at record 10; Redis says the last record is 12 (")
    assert len(lines) == 2


def test_a_repaired_torn_tail_is_reported(data: Path, redis_conn: redis.Redis) -> None:
    with (data / "audit.jsonl").open("ab") as fh:
        fh.write(b'{"seq":13,"at')
    assert runner.invoke(app, ["audit", "verify"]).output.splitlines()[1].startswith("the last 13 bytes are a torn")
    AuditLog(data, connection=redis_conn, key=KEY.encode())  # the next start
    done = runner.invoke(app, ["audit", "verify"])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[1].startswith("1 torn tail(s) repaired, 13 bytes moved to audit.quarantine.jsonl: ")


def test_without_a_key_it_says_what_it_cannot_prove(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSBOT_AUDIT_KEY")
    done = runner.invoke(app, ["audit", "verify"])
    assert done.exit_code == 0
    assert done.output.splitlines()[1:] == [
        "1 checkpoint(s) not checked: their signatures need OPSBOT_AUDIT_KEY",
        "no OPSBOT_AUDIT_KEY: no signed checkpoints; cuts and rewrites are caught only by the Redis head, which "
        "anyone who can write to Redis can move",
    ]


def test_a_missing_data_dir_is_an_error_and_stays_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "typo"
    monkeypatch.setenv("OPSBOT_DATA_DIR", str(missing))
    done = runner.invoke(app, ["audit", "verify"])
    assert done.exit_code == 1
    assert done.output.splitlines()[1] == (
        f"- the data dir {missing} does not exist (nothing was written there: check OPSBOT_DATA_DIR)"
    )
    tail = runner.invoke(app, ["audit", "tail"])
    assert tail.exit_code == 1 and "no audit log at" in tail.output
    assert not missing.exists()
