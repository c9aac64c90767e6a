"""Sizes of files as opsbot writes them for people: "94 kB", "1.5 MB", "11 MB". Rounded up, so a file just over
a limit never reads as the limit itself ("10 MB; the limit is 10 MB")."""

from __future__ import annotations

import math


def size(count: int) -> str:
    """`count` bytes: whole kB under a megabyte, tenths of a MB under 10 MB (".0" left out), whole MB beyond."""
    kilobytes = math.ceil(max(0, count) / 1000)
    if kilobytes < 1000:
        return f"{kilobytes} kB"
    tenths = math.ceil(count / 100_000)
    if tenths < 100:
        return f"{tenths // 10}.{tenths % 10} MB".replace(".0 ", " ")
    return f"{math.ceil(count / 1_000_000)} MB"
