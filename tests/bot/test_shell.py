"""`opsbot shell` and `opsbot say` as a user runs them: a real process, scripted stdin."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

OPSBOT = str(Path(sys.executable).parent / "opsbot")


def _run(args: list[str], stdin: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OPSBOT, *args], input=stdin, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def _env(tmp_path: Path, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")}
    env.update({"OPSBOT_DATA_DIR": str(tmp_path / "data"), "OPSBOT_SIM_STEP_SECONDS": "0.01"})
    if redis_url:
        env["OPSBOT_REDIS_URL"] = redis_url
    return env


def test_scripted_shell_runs_a_confirmed_scale_and_a_second_approval(
    tmp_path: Path, redis_url: str, redis_conn: object
) -> None:
    script = "\n".join(
        [
            "status",
            "scale web-prod to 20",
            "/press 1",
            "/wait",
            "fail over api-prod to dr",  # no runbook protects api-prod: the critical action itself
            "/press 1",
            "/as carol",
            "/press 1",
            "/wait",
            "show api-dr",
        ]
    )
    done = _run(["shell", "--json", "--user", "alice"], script + "\n", _env(tmp_path, redis_url))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert all({"id", "text", "buttons"} <= set(line) for line in lines)
    texts = [line["text"] for line in lines]
    ask = next(line for line in lines if "12 -> 20 instances" in line["text"])
    assert [b["label"] for b in ask["buttons"]] == ["Confirm", "Cancel"]
    assert any(line["edit_of"] == ask["id"] and line["text"].startswith("Done") for line in lines)
    assert any("admin other than alice" in t for t in texts)
    assert any(t.startswith("Approved by carol") for t in texts)
    assert texts[-1].startswith("api-dr") and "8 instances" in texts[-1]  # api-dr took over api-prod's 8


def test_embedded_shell_needs_no_configuration(tmp_path: Path) -> None:
    done = _run(["shell", "--user", "alice"], "status\nscale web-prod to 20\n/press 1\n/wait\n", _env(tmp_path, None))
    assert done.returncode == 0, done.stderr
    assert "alice> status" in done.stdout
    assert "[1] Confirm  [2] Cancel" in done.stdout
    assert "Done" in done.stdout
    assert (tmp_path / "data" / "audit.jsonl").stat().st_size > 0


def test_say_prints_one_reply(tmp_path: Path, redis_url: str, redis_conn: object) -> None:
    done = _run(["say", "scale web-prod to 20", "--user", "dave"], "", _env(tmp_path, redis_url))
    assert done.returncode == 0, done.stderr
    assert "dave is a viewer: scaling needs operator" in done.stdout


def test_unreachable_redis_is_one_clear_line(tmp_path: Path) -> None:
    done = _run(["say", "status"], "", _env(tmp_path, "redis://127.0.0.1:1/0"))
    assert done.returncode == 2
    assert done.stderr.strip().startswith("opsbot: Redis does not answer")
    assert "Traceback" not in done.stderr


def test_press_never_reaches_an_older_messages_button(tmp_path: Path, redis_url: str, redis_conn: object) -> None:
    script = "scale web-prod to 30\nfail over to nowhere\n/press 1\n/wait\nshow web-prod\n"
    done = _run(["shell", "--json"], script, _env(tmp_path, redis_url))
    assert done.returncode == 0, done.stderr
    texts = [json.loads(line)["text"] for line in done.stdout.splitlines()]
    assert any("has no such button" in t for t in texts)
    assert not any(t.startswith("Confirmed") for t in texts)
    assert texts[-1].startswith("web-prod") and "12 instances" in texts[-1]


def _code(stdout: str) -> str:
    return stdout.split("Code ", 1)[1].split()[0]


def test_embedded_say_keeps_a_confirmation_for_the_next_say(tmp_path: Path) -> None:
    env = _env(tmp_path, None)
    asked = _run(["say", "scale web-prod to 20"], "", env)
    assert asked.returncode == 0, asked.stderr
    assert "12 -> 20 instances" in asked.stdout
    confirmed = _run(["say", "yes"], "", env)  # a new process, with its own in-memory Redis
    assert confirmed.returncode == 0, confirmed.stderr
    assert "Confirmed by alice" in confirmed.stdout and "Done: web-prod is at 20 instances" in confirmed.stdout
    again = _run(["say", "scale web-prod to 14"], "", env)
    assert "20 -> 14 instances" in again.stdout  # the scale of the previous run was kept too
    by_code = _run(["say", f"confirm {_code(again.stdout)}"], "", env)
    assert "Done: web-prod is at 14 instances" in by_code.stdout


def test_embedded_say_says_why_when_it_cannot_keep_anything(tmp_path: Path) -> None:
    env = _env(tmp_path, None)
    data = tmp_path / "data"
    data.mkdir()
    with (data / "embedded-redis.lock").open("ab") as held:  # as another opsbot process holds it
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        busy = _run(["say", "scale web-prod to 20"], "", env)
    assert busy.returncode == 0, busy.stderr
    assert "Another opsbot is using the embedded state" in busy.stdout.splitlines()[0]
    assert "Nothing to confirm here." in _run(["say", "yes"], "", env).stdout  # the busy run kept nothing
    (data / "embedded-redis.json").write_text("{not json")
    broken = _run(["say", "status"], "", env)
    assert broken.returncode == 0, broken.stderr
    first = broken.stdout.splitlines()[0]
    assert "could not be read" in first and "starting empty" in first
