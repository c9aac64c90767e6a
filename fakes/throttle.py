"""A platform's per-conversation limit as the fakes keep it, so that a test can overdo a conversation and get the
429 the real platform would send. A token bucket per conversation: `burst` messages at once, then `per_second`.
The real platforms round Retry-After up to whole seconds; the fakes round up to the millisecond, so tests stay fast.
Deliberately not opsbot's own bucket (bot/pacing.py): a fake that shared its code could not catch its bugs."""

from __future__ import annotations

import math


class ConversationLimit:
    """Not thread-safe: the fake calls it under its own lock."""

    def __init__(self, per_second: float, burst: int) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("a limit needs per_second > 0 and burst >= 1")
        self.per_second, self.burst = per_second, burst
        self._buckets: dict[str, tuple[float, float]] = {}  # conversation -> (tokens, when counted)

    def wait(self, conversation: str, now: float) -> float:
        """0.0 (and the message counted) when `conversation` may take a message at `now`, else the seconds until
        it may: what the platform puts in its 429. A refused message does not count."""
        tokens, then = self._buckets.get(conversation, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.per_second)
        if tokens < 1.0:
            self._buckets[conversation] = (tokens, now)
            return math.ceil((1.0 - tokens) / self.per_second * 1000) / 1000
        self._buckets[conversation] = (tokens - 1.0, now)
        return 0.0
