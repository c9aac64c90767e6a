"""How long recognising one note may take, and the clock that measures it.

A user waits for the reply, so a note is recognised within a budget proportional to its speech: a quarter of
the speech's length plus half a second, never more than a few seconds, whatever the audio. The decoder's steps
cannot be interrupted once started, so each step is started only when what it is expected to cost still fits;
a note whose recognition was cut short by the budget never yields a confident transcript."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]  # seconds, monotonic

PER_SPEECH_SECOND = 0.25
BASE_SECONDS = 0.5
MAX_SPEECH_SECONDS = 8.0  # the longest command said slowly; longer speech is noise or chatter around it
MAX_SECONDS = BASE_SECONDS + PER_SPEECH_SECOND * MAX_SPEECH_SECONDS  # 2.5 s


@dataclass
class Budget:
    """The time one note's recognition may take, from the moment it is made."""

    seconds: float
    clock: Clock = time.perf_counter
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def elapsed(self) -> float:
        return self.clock() - self.started

    def allows(self, cost: float) -> bool:
        """Whether a step expected to take `cost` seconds would end within the budget."""
        return self.elapsed() + cost <= self.seconds


def budget_for(speech_seconds: float, clock: Clock = time.perf_counter) -> Budget:
    """The budget of a note with `speech_seconds` of (conditioned) speech."""
    seconds = BASE_SECONDS + PER_SPEECH_SECOND * min(max(speech_seconds, 0.0), MAX_SPEECH_SECONDS)
    return Budget(seconds, clock)
