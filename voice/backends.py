"""Choosing and loading the speech recogniser: once per process, from the settings."""

from __future__ import annotations

import threading
from pathlib import Path

from core.errors import VoiceSetupError
from core.settings import Settings
from voice.types import Recognizer

_lock = threading.Lock()
_loaded: dict[tuple[str, str], Recognizer] = {}


def backend_name(settings: Settings) -> str:
    """auto: Vosk when a model directory is configured, else PocketSphinx (which ships an English model)."""
    if settings.voice_backend != "auto":
        return settings.voice_backend
    return "vosk" if settings.vosk_model is not None else "pocketsphinx"


def load_recognizer(settings: Settings) -> Recognizer:
    """The configured recogniser, loaded on first use and then shared (a model load takes seconds)."""
    name = backend_name(settings)
    key = (name, str(settings.vosk_model or ""))
    with _lock:
        if key not in _loaded:
            _loaded[key] = _load(name, settings.vosk_model)
        return _loaded[key]


def _load(name: str, model: Path | None) -> Recognizer:
    if name == "vosk":
        if model is None:
            raise VoiceSetupError("OPSBOT_VOICE_BACKEND is vosk but OPSBOT_VOSK_MODEL is not set.")
        from voice.vosk_backend import VoskRecognizer  # imported here: the Vosk library loads Kaldi

        return VoskRecognizer(model)
    from voice.pocketsphinx_backend import PocketSphinxRecognizer

    return PocketSphinxRecognizer()


def model_help(settings: Settings) -> str:
    """Where the speech model is expected and how to install one (for `opsbot voice model`)."""
    name = backend_name(settings)
    if name == "pocketsphinx":
        return (
            "Speech: PocketSphinx with its bundled US English model (no download needed).\n"
            "For Vosk: download a model from https://alphacephei.com/vosk/models, unpack it, and set "
            "OPSBOT_VOSK_MODEL=/path/to/model (the directory holding am/, conf/, graph/)."
        )
    where = settings.vosk_model or "(OPSBOT_VOSK_MODEL is not set)"
    return (
        f"Speech: Vosk, model directory {where}.\n"
        "Install: download a model from https://alphacephei.com/vosk/models (a small one with a dynamic graph, "
        "so grammar mode works), unpack it, and point OPSBOT_VOSK_MODEL at the unpacked directory."
    )


def check(settings: Settings) -> list[str]:
    """Problems with the voice settings, for check-config; empty when the recogniser would load."""
    if backend_name(settings) != "vosk":
        return []
    model = settings.vosk_model
    if model is None:
        return ["OPSBOT_VOICE_BACKEND is vosk but OPSBOT_VOSK_MODEL is not set."]
    if not model.is_dir():
        return [f"OPSBOT_VOSK_MODEL: {model} is not a directory."]
    if not (model / "am").is_dir() and not (model / "final.mdl").exists():
        return [f"OPSBOT_VOSK_MODEL: {model} does not look like a Vosk model (no am/ directory)."]
    return []
