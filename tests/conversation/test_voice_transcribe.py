"""`opsbot transcribe FILE --json` shows what the parse pulled out of the note (`slots`) and the recogniser's
other likely sentences (`alternatives`), next to the fields it always had."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from fakes.audio import encode, real_note

STABLE = {"text", "confidence", "intent", "backend", "audio_seconds", "decode_ms", "recognize_ms"}


def test_transcribe_json_has_the_slots_and_the_alternatives(tmp_path: Path) -> None:
    note = tmp_path / "note.ogg"
    note.write_bytes(encode(real_note("scale web prod to twenty", snr_db=20.0), "ogg_opus"))
    done = CliRunner().invoke(app, ["transcribe", str(note), "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert set(result) == STABLE | {"slots", "alternatives"}
    assert (result["text"], result["intent"]) == ("scale web prod to twenty", "scale")
    assert result["slots"] == {"target": "web prod", "count": 20}
    assert isinstance(result["alternatives"], list)
    assert all(isinstance(text, str) and text and text != result["text"] for text in result["alternatives"])
