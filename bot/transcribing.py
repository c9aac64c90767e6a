"""`opsbot transcribe FILE`: the voice pipeline on one file, with the parse of what was heard."""

from __future__ import annotations

from pathlib import Path

from actions.simulated.inventory import generate_inventory
from core.settings import Settings
from intents.parser import parse
from voice.pipeline import VoicePipeline, spoken_names


def transcribe_file(settings: Settings, path: Path) -> dict[str, object]:
    """{"text", "confidence", "intent", "backend", "audio_seconds", "decode_ms", "recognize_ms"}."""
    audio = path.read_bytes()
    names = spoken_names(generate_inventory(seed=settings.sim_seed, size=settings.sim_resources))
    heard = VoicePipeline(settings, lambda: names).transcribe(audio)
    return {
        "text": heard.text,
        "confidence": round(heard.confidence, 3),
        "intent": parse(heard.text).name.value if heard.text else "unknown",
        "backend": heard.backend,
        "audio_seconds": heard.audio_seconds,
        "decode_ms": heard.decode_ms,
        "recognize_ms": heard.recognize_ms,
    }
