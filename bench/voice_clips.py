"""The voice benchmark's clip set: which commands are said, by which voices, in which formats and at which
SNRs, and how each note is made (noise kind, noise before and after, speed, quiet or clipped level).

A note's conditions are drawn once per (command, voice) from a fixed seed, so the format and SNR cells of a
voice hear the same speaker in the same room: a cell differs from another only by what it is named for."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

from fakes.audio import HELD_OUT_VOICES, NOISE_KINDS, REAL_VOICES, encode, noise_only, real_note

FORMATS = ("ogg_opus", "m4a_aac", "webm_opus", "mulaw_8k")  # Telegram, Slack (iOS, browser), a phone call
SNRS = (20.0, 10.0, 5.0)
# The recogniser is tuned on the espeak voices; the others are speech it never saw.
VOICE_GROUPS = {"tuned": REAL_VOICES, "held-out": HELD_OUT_VOICES}
SEED = 18
QUIET_PEAK_DBFS = -30.0  # a phone held at arm's length
CLIPPED_GAIN_DB = 12.0  # an overdriven phone microphone: speech peaks cut flat

# (what is said, the command it stands for as typed). Synthesisers read "dr" as "doctor": it is spelled out.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("status", "status"),
    ("alerts", "alerts"),
    ("forecast", "forecast"),
    ("help", "help"),
    ("yes", "yes"),
    ("cancel", "cancel"),
    ("status of production", "status of production"),
    ("find web", "find web"),
    ("show db prod", "show db-prod"),
    ("scale web prod to twenty", "scale web-prod to 20"),
    ("add four instances to web prod", "add 4 instances to web-prod"),
    ("scale down api prod by two", "scale down api-prod by 2"),
    ("scale worker staging to five", "scale worker-staging to 5"),
    ("restart db prod", "restart db-prod"),
    ("stop web staging", "stop web-staging"),
    ("start worker staging", "start worker-staging"),
    ("emergency scale web prod", "emergency scale web-prod"),
    ("shut down web staging now", "shut down web-staging now"),
    ("fail over web prod to D R", "failover web-prod to dr"),
    ("cost this month", "cost this month"),
    ("cost by provider", "cost by provider"),
    ("cost last month", "cost last month"),
    ("acknowledge seventeen", "ack 17"),
    ("acknowledge thirteen", "ack 13"),
    ("acknowledge one seven", "ack 17"),
    ("acknowledge forty two", "ack 42"),
    ("resolve nineteen", "resolve 19"),
    ("escalate fifteen", "escalate 15"),
    ("silence forty two for two hours", "silence 42 for 2 hours"),
    ("who is on call", "who is on call"),
)


@dataclass(frozen=True)
class Clip:
    said: str
    typed: str
    voice: str
    fmt: str
    snr_db: float
    kind: str
    speed: float
    level: float | None  # peak dBFS: None as recorded, < 0 quiet, > 0 clipped by that much gain
    lead: float
    tail: float
    seed: int

    def audio(self) -> bytes:
        """The note as the platform delivers it."""
        wav = real_note(
            self.said,
            voice=self.voice,
            snr_db=self.snr_db,
            kind=self.kind,
            speed=self.speed,
            level=self.level,
            lead=self.lead,
            tail=self.tail,
            seed=self.seed,
        )
        return encode(wav, self.fmt)


def available(voices: tuple[str, ...]) -> tuple[str, ...]:
    """The voices whose synthesiser is installed (flite and festival are optional Debian packages)."""
    programs = {"flite": "flite", "festival": "text2wave"}
    return tuple(v for v in voices if shutil.which(programs.get(v.partition(":")[0], "espeak-ng")))


def sample(count: int) -> list[tuple[str, str]]:
    """`count` commands in a fixed order drawn from SEED: every cell is measured on the same ones."""
    order = list(COMMANDS)
    random.Random(SEED).shuffle(order)
    return order[:count]


def clip(said: str, typed: str, voice: str, fmt: str, snr_db: float) -> Clip:
    """The note of `said` by `voice`: its conditions depend on the command and the voice only."""
    draw = random.Random(f"{SEED}|{voice}|{said}")
    kind = draw.choice(NOISE_KINDS)
    speed = round(draw.uniform(0.85, 1.2), 2)
    lead, tail = round(draw.uniform(0.3, 1.5), 2), round(draw.uniform(0.3, 1.5), 2)
    roll = draw.random()
    level = QUIET_PEAK_DBFS if roll < 0.15 else CLIPPED_GAIN_DB if roll < 0.3 else None
    seed = draw.randrange(1 << 16)
    return Clip(said, typed, voice, fmt, snr_db, kind, speed, level, lead, tail, seed)


def rounds(commands: list[tuple[str, str]], voices: tuple[str, ...]) -> Iterator[list[Clip]]:
    """One command at a time in every cell (voice x format x SNR): a run cut short by its time budget has
    measured every cell on the same commands."""
    for said, typed in commands:
        yield [clip(said, typed, v, f, s) for v in voices for f in FORMATS for s in SNRS]


def noise_notes(seeds: int = 3) -> Iterator[tuple[str, float, bytes]]:
    """Notes with no speech in them, (kind, SNR whose noise level they have, OGG/Opus audio), 1-4 s long."""
    for kind in NOISE_KINDS:
        for snr in SNRS:
            for seed in range(seeds):
                seconds = round(random.Random(f"{SEED}|{kind}|{snr}|{seed}").uniform(1.0, 4.0), 2)
                yield kind, snr, encode(noise_only(seconds, kind, snr_db=snr, seed=seed), "ogg_opus")
