"""`opsbot transcribe FILE`: the voice pipeline on one file, with the parse of what was heard."""

from __future__ import annotations

from pathlib import Path

from actions.simulated.inventory import generate_inventory
from core.settings import Settings
from intents.parser import parse
from voice.pipeline import VoicePipeline, spoken_names


def transcribe_file(settings: Settings, path: Path) -> dict[str, object]:
    """{"text", "confidence", "intent", "slots", "alternatives", "backend", "audio_seconds", "decode_ms",
    "recognize_ms"}: `slots` are the parse's slots that are set, `alternatives` the recogniser's other likely
    sentences, best first."""
    audio = path.read_bytes()
    names = spoken_names(generate_inventory(seed=settings.sim_seed, size=settings.sim_resources))
    heard = VoicePipeline(settings, lambda: names).transcribe(audio)
    intent = parse(heard.text) if heard.text else None
    return {
        "text": heard.text,
        "confidence": round(heard.confidence, 3),
        "intent": intent.name.value if intent is not None else "unknown",
        "slots": intent.slots.present() if intent is not None else {},
        "alternatives": list(heard.alternatives),
        "backend": heard.backend,
        "audio_seconds": heard.audio_seconds,
        "decode_ms": heard.decode_ms,
        "recognize_ms": heard.recognize_ms,
    }
