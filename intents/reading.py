"""What slot readers share: the words being read, and the shape of a reading."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

Values = dict[str, object]
Yield = Iterator[tuple[int, Values]]


class Input(NamedTuple):
    words: tuple[str, ...]  # lowercase, normalised
    raws: tuple[str, ...]  # as typed


Reader = Callable[[Input, int], Yield]

# Words that join phrases; a resource phrase never starts or ends with one.
CONNECTIVES = frozenset(
    {"to", "by", "from", "of", "on", "for", "with", "in", "at", "into", "onto", "over", "via", "and", "then"}
    | {"up", "down", "out", "off", "is", "are", "plus", "minus"}
    | {"no", "not", "never", "wait", "cancel", "abort"}  # "restart db-prod, no wait" names no "db-prod no wait"
)
