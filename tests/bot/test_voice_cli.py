"""Voice from the command line: `opsbot transcribe` and the shell's `/voice FILE`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from fakes.audio import encode, speak
from tests.bot.test_shell import _env, _run

runner = CliRunner()


def test_transcribe_json_reports_text_intent_and_timings(tmp_path: Path) -> None:
    note = tmp_path / "note.ogg"
    note.write_bytes(encode(speak("scale web prod to twenty"), "ogg_opus"))
    done = runner.invoke(app, ["transcribe", str(note), "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert set(result) == {
        "slots",
        "alternatives",
        "text",
        "confidence",
        "intent",
        "backend",
        "audio_seconds",
        "decode_ms",
        "recognize_ms",
    }
    assert result["slots"] == {"target": "web prod", "count": 20}
    assert (result["text"], result["intent"], result["backend"]) == (
        "scale web prod to twenty",
        "scale",
        "pocketsphinx",
    )
    assert 1.5 < result["audio_seconds"] < 4


def test_transcribe_refuses_a_file_that_is_not_audio_in_one_line(tmp_path: Path) -> None:
    fake = tmp_path / "note.ogg"
    fake.write_text("not audio at all")
    done = runner.invoke(app, ["transcribe", str(fake)])
    assert done.exit_code == 1
    assert done.output.strip() == "opsbot: That file is not audio."


def test_voice_model_says_where_the_model_goes() -> None:
    done = runner.invoke(app, ["voice", "model"])
    assert done.exit_code == 0
    assert "OPSBOT_VOSK_MODEL" in done.output


def test_shell_voice_command_is_said_back(tmp_path: Path, redis_url: str, redis_conn: object) -> None:
    note = tmp_path / "note.m4a"
    note.write_bytes(encode(speak("status of production"), "m4a_aac"))
    done = _run(["shell", "--json"], f"/voice {note}\n/voice {tmp_path / 'missing.ogg'}\n", _env(tmp_path, redis_url))
    assert done.returncode == 0, done.stderr
    texts = [json.loads(line)["text"] for line in done.stdout.splitlines()]
    assert texts[0].startswith("I heard: 'status")
    assert texts[1].startswith("Cannot read ")


def test_a_vosk_model_that_cannot_load_stops_start_up_and_check_config(tmp_path: Path) -> None:
    env = {**_env(tmp_path, None), "OPSBOT_VOSK_MODEL": str(tmp_path / "no-model")}
    started = _run(["say", "status"], "", env)
    assert started.returncode == 2
    assert started.stderr.strip() == f"opsbot: OPSBOT_VOSK_MODEL: {tmp_path / 'no-model'} is not a directory."
    checked = _run(["check-config"], "", env)
    assert checked.returncode == 1 and "OPSBOT_VOSK_MODEL" in checked.stderr
