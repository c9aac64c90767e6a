"""Speech recognition on notes as people send them (bench/voice_clips.py): exact-intent accuracy per voice group
(tuned espeak voices, held-out flite/festival voices) x format x SNR and per voice, noise-only notes taken for a
command, how many wrong transcripts the confidence threshold catches, a 5-second noisy note to an intent, and the
real-time factor. Everything goes through voice.pipeline as a chat note does.

The accuracy part measures one command at a time in every cell and stops starting new rounds when its time
budget is spent, so the whole benchmark stays within 8 minutes on 2 cores; it says how many commands it measured."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass

from actions.simulated.inventory import FIXED_GROUPS, FIXED_VMS
from bench.figures import Figure
from bench.voice_clips import (
    COMMANDS,
    FORMATS,
    SNRS,
    VOICE_GROUPS,
    Clip,
    available,
    noise_notes,
    rounds,
    sample,
)
from bench.voice_listener import HEARD, SILENT, TOO_SLOW, Listeners
from core.models import CHANGING_INTENTS, IntentName
from core.settings import Settings
from fakes.audio import encode, real_note, speak
from intents.parser import parse
from voice.pipeline import Heard, VoicePipeline

BUDGET_SECONDS = 450.0  # the whole run, setup included; a round is started only if it should end in time
WORKERS = 2  # the machine the goals are set for has 2 cores
NOTE = "scale down api prod by two, then restart db prod and check the status of production"


def same_intent(heard: str, typed: str) -> bool:
    """The transcript means exactly the typed command: same intent, same slots."""
    a, b = parse(heard), parse(typed)
    # Spoken targets have spaces where typed ones have hyphens; resolution treats them alike.
    da, db = a.slots.model_dump(exclude={"target"}), b.slots.model_dump(exclude={"target"})
    return (a.name, da, (a.slots.target or "").replace(" ", "-")) == (
        b.name,
        db,
        (b.slots.target or "").replace(" ", "-"),
    )


@dataclass(frozen=True)
class Result:
    clip: Clip
    status: str  # voice_listener's HEARD, SILENT or TOO_SLOW
    heard: Heard

    @property
    def right(self) -> bool:
        return same_intent(self.heard.text, self.clip.typed)

    @property
    def level(self) -> str:
        level = self.clip.level
        return "as recorded" if level is None else "quiet" if level < 0 else "clipped"


_NOTHING = Heard(
    text="", confidence=0.0, backend="", constrained=False, audio_seconds=0.0, decode_ms=0.0, recognize_ms=0.0
)
LIMIT_SECONDS = 5.0  # a note not understood in this time (5x the goal for a 5 s note) counts as not understood


def run() -> list[Figure]:
    started = time.perf_counter()
    names = [g.name for g in FIXED_GROUPS] + [vm[0] for vm in FIXED_VMS]
    settings = Settings(voice_backend="pocketsphinx")
    pipeline = VoicePipeline(settings, lambda: names)
    pipeline.recognizer()
    figures = [Figure("pocketsphinx model load", (time.perf_counter() - started) * 1000, "ms")]
    pipeline.transcribe(encode(speak("status"), "ogg_opus"))  # the first note compiles the grammar
    clean = pipeline.transcribe(encode(speak(NOTE), "ogg_opus"))
    figures.append(Figure("real-time factor, clean 5 s sentence", clean.recognize_ms / 1000 / clean.audio_seconds, "x"))
    figures.append(_five_second_note(pipeline))

    listeners = Listeners(names, workers=WORKERS, limit_seconds=LIMIT_SECONDS)
    try:
        figures += _noise_only(listeners)
        voices = tuple(v for group in VOICE_GROUPS.values() for v in available(group))
        results: list[Result] = []
        last_round = 0.0
        for clips in rounds(sample(len(COMMANDS)), voices):
            if results and time.perf_counter() - started + last_round > BUDGET_SECONDS:
                break
            round_start = time.perf_counter()
            outcomes = listeners.hear([clip.audio() for clip in clips])
            results += [Result(c, o.status, o.heard or _NOTHING) for c, o in zip(clips, outcomes, strict=True)]
            last_round = time.perf_counter() - round_start
    finally:
        listeners.close()
    per_cell = len({r.clip.said for r in results})
    figures.append(Figure(f"commands measured in every cell (of {len(COMMANDS)})", per_cell, "commands"))
    figures.append(Figure(f"voices (tuned {len(VOICE_GROUPS['tuned'])}, held-out)", len(voices), "voices"))
    for status, goal in ((SILENT, "0"), (TOO_SLOW, "0")):
        count = sum(r.status == status for r in results)
        label = "refused as silent" if status == SILENT else f"not heard within {LIMIT_SECONDS:g} s"
        figures.append(Figure(f"speech notes {label}", count, f"of {len(results)}", goal))
    figures += _accuracy(results)
    figures += _confidence(results, settings.voice_confirm_below)
    figures += _speed(results)
    figures.append(Figure("benchmark run time", time.perf_counter() - started, "s", "<= 480"))
    return figures


def _five_second_note(pipeline: VoicePipeline) -> Figure:
    """A slow command in street noise at 10 dB with a second of noise around it: the note to intent time."""
    note = encode(
        real_note("add four instances to web prod", snr_db=10.0, kind="street", speed=0.85, lead=1.4, tail=1.4),
        "ogg_opus",
    )
    times, seconds, intent = [], 0.0, IntentName.UNKNOWN
    for _ in range(3):
        start = time.perf_counter()
        heard = pipeline.transcribe(note)
        intent = parse(heard.text).name
        times.append(time.perf_counter() - start)
        seconds = heard.audio_seconds
    return Figure(
        f"{seconds:.1f} s noisy note -> intent ({intent}), median", statistics.median(times) * 1000, "ms", "<= 1000"
    )


def _noise_only(listeners: Listeners) -> list[Figure]:
    figures, confirmed = [], 0
    notes = list(noise_notes())
    outcomes = listeners.hear([audio for _, _, audio in notes])
    by_cell: dict[tuple[str, float], list[IntentName]] = {}
    for (kind, snr, _), outcome in zip(notes, outcomes, strict=True):
        by_cell.setdefault((kind, snr), []).append(parse((outcome.heard or _NOTHING).text).name)
    for (kind, snr), intents in by_cell.items():
        taken = sum(name != IntentName.UNKNOWN for name in intents)
        confirmed += sum(name == IntentName.CONFIRM for name in intents)
        figures.append(
            Figure(f"noise-only {kind}, {snr:g} dB level: heard a command", taken, f"of {len(intents)}", "0")
        )
    figures.append(Figure("noise-only notes heard as yes (confirm)", confirmed, f"of {len(notes)}", "0"))
    silent = sum(o.status == SILENT for o in outcomes)
    figures.append(Figure("noise-only notes refused as silent (right)", silent, f"of {len(notes)}"))
    return figures


def _percent(name: str, results: Iterable[Result], goal: str = "") -> list[Figure]:
    chosen = list(results)
    if not chosen:
        return []
    return [Figure(f"{name} (n={len(chosen)})", 100.0 * sum(r.right for r in chosen) / len(chosen), "%", goal)]


def _accuracy(results: list[Result]) -> list[Figure]:
    figures: list[Figure] = []
    for group, voices in VOICE_GROUPS.items():
        for fmt in FORMATS:
            for snr in SNRS:
                cell = [r for r in results if r.clip.voice in voices and r.clip.fmt == fmt and r.clip.snr_db == snr]
                figures += _percent(f"exact intent {group} {fmt} {snr:g} dB", cell)
    for voice in dict.fromkeys(r.clip.voice for r in results):
        at_10 = [r for r in results if r.clip.voice == voice and r.clip.snr_db == 10.0]
        figures += _percent(f"exact intent {voice} 10 dB", at_10)
    for snr, goal in ((10.0, ">= 95"), (5.0, ">= 90")):
        chosen = [r for r in results if r.clip.fmt in ("ogg_opus", "m4a_aac") and r.clip.snr_db == snr]
        figures += _percent(f"exact intent ogg+m4a {snr:g} dB, all voices", chosen, goal)
    phone = [r for r in results if r.clip.fmt == "mulaw_8k"]
    figures += _percent("exact intent mulaw_8k all SNRs+voices", phone, ">= 80")
    for kind in dict.fromkeys(r.clip.kind for r in results):
        figures += _percent(f"exact intent in {kind} noise", [r for r in results if r.clip.kind == kind])
    for level in ("as recorded", "quiet", "clipped"):
        figures += _percent(f"exact intent, {level} notes", [r for r in results if r.level == level])
    return figures


def _confidence(results: list[Result], threshold: float) -> list[Figure]:
    """Wrong transcripts are those that heard words, not the command (a note heard as nothing is said so)."""
    wrong = [r for r in results if r.heard.text and not r.right]
    right = [r for r in results if r.right]
    figures = [Figure("wrong transcripts (words, not the command)", len(wrong), f"of {len(results)}")]
    if wrong:
        asked = [r for r in wrong if r.heard.confidence < threshold]
        share = 100.0 * len(asked) / len(wrong)
        figures.append(Figure(f"wrong ones asked about (confidence < {threshold:g})", share, "%", ">= 90"))
        offered = sum(any(same_intent(alt, r.clip.typed) for alt in r.heard.alternatives[:2]) for r in asked)
        figures.append(Figure("asked, and the command among 2 alternatives", offered, f"of {len(asked)}"))
        silent_changes = [
            r for r in wrong if r.heard.confidence >= threshold and parse(r.heard.text).name in CHANGING_INTENTS
        ]
        figures.append(Figure("wrong ones heard as a change, not asked about", len(silent_changes), "notes", "0"))
        for r in silent_changes[:10]:  # the worst outcome there is: shown so that it can be fixed
            where = f"{r.clip.voice} {r.clip.fmt} {r.clip.snr_db:g} dB {r.clip.kind}"
            print(f"   ! {where}: said {r.clip.said!r}, heard {r.heard.text!r} ({r.heard.confidence:.2f})")
    if right:
        cost = sum(r.heard.confidence < threshold for r in right)
        figures.append(Figure("right ones asked about anyway (the cost)", 100.0 * cost / len(right), "%"))
    return figures


def _speed(results: list[Result]) -> list[Figure]:
    results = [r for r in results if r.status == HEARD]
    if not results:
        return []
    audio = sum(r.heard.audio_seconds for r in results)
    recognising = sum(r.heard.recognize_ms for r in results) / 1000
    slowest = max(r.heard.recognize_ms for r in results)
    return [
        Figure("real-time factor, noisy notes", recognising / audio, "x", "<= 0.2"),
        Figure("slowest note to transcript", slowest, "ms"),
    ]


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
