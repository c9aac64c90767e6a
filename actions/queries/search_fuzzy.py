"""Names close to a mistyped query ("wbe-prod"), without scoring every name of a 100,000-resource inventory.

rapidfuzz's `ratio` is 100 * 2 * LCS / (len(a) + len(b)), and the longest common subsequence can never exceed the
characters two strings share counted with multiplicity. So `ratio >= 75` needs `8 * shared >= 3 * (len a + len b)`,
and a per-name character histogram rules out nearly every name with a handful of numpy operations; rapidfuzz then
scores the few that remain exactly as before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process

CUTOFF = 75.0
_COLUMNS = 63  # the most common characters get a histogram column each; all others share one more


class FuzzyNames:
    """The lower-cased names of an index, with a character histogram per name (one uint8 row per character)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        lengths = np.fromiter(map(len, self.names), np.int64, len(self.names))
        self.lengths = lengths
        self._three_lengths = (3 * np.minimum(lengths, 10_000)).astype(np.int16)  # longer names: no bound needed
        # Full arrays of small counts: numpy's minimum against a whole array is ten times faster than a scalar.
        self._levels = [np.full(len(self.names), count, np.uint8) for count in range(8)]
        points = np.frombuffer("".join(self.names).encode("utf-32-le", "surrogatepass"), np.uint32)
        common, counts = np.unique(points, return_counts=True)
        kept = np.sort(common[np.argsort(-counts, kind="stable")[:_COLUMNS]])
        self._kept = kept
        self._column = {int(point): column for column, point in enumerate(kept)}
        columns = len(kept) + 1
        at = np.searchsorted(kept, points).clip(max=max(len(kept) - 1, 0))
        column_of = np.where(kept[at] == points, at, len(kept)) if len(kept) else np.zeros(len(points), np.int64)
        del at
        # Each (column, name) cell that holds a character, counted by sorting the characters' cells: a counter for
        # every cell (ten times as many as characters, in int64) was the index build's memory peak.
        cell_type = np.int32 if columns * len(self.names) < 2**31 else np.int64
        cells: NDArray[np.signedinteger[Any]] = column_of.astype(cell_type)
        del column_of
        cells *= len(self.names)
        cells += np.repeat(np.arange(len(self.names), dtype=cell_type), lengths)
        cells.sort()
        starts = np.flatnonzero(np.diff(cells, prepend=-1))  # the first character of each cell
        histogram = np.zeros(columns * len(self.names), np.uint8)
        histogram[cells[starts]] = np.minimum(np.diff(starts, append=len(cells)), 255)
        self._histogram = histogram.reshape(columns, len(self.names))

    @property
    def nbytes(self) -> int:
        return (
            self._histogram.nbytes
            + self.lengths.nbytes
            + self._three_lengths.nbytes
            + 8 * len(self.names)
            + self._kept.nbytes
        )

    def find(self, needle: str, allowed: NDArray[np.bool_] | None) -> list[tuple[float, int]]:
        """(score, row) of every allowed name with `ratio(needle, name) >= CUTOFF`, in no particular order."""
        wanted: Counter[int] = Counter()
        for char in needle:
            wanted[self._column.get(ord(char), len(self._kept))] += 1
        rows = self._possible(len(needle), wanted, allowed)
        choices = [self.names[row] for row in rows.tolist()]
        # process.cdist scores a list about twice as fast as process.extract, with the same float64 scores.
        scores = process.cdist([needle], choices, scorer=fuzz.ratio, score_cutoff=CUTOFF, dtype=np.float64)[0]
        close = np.flatnonzero(scores >= CUTOFF)
        return list(zip(scores[close].tolist(), rows[close].tolist(), strict=True))

    def _possible(self, size: int, wanted: Counter[int], allowed: NDArray[np.bool_] | None) -> NDArray[np.int64]:
        if size > 255:  # counts are kept in bytes: a needle this long is scored against every name
            return np.flatnonzero(allowed) if allowed is not None else np.arange(len(self.names))
        shared = np.zeros(len(self.names), np.uint8)  # at most len(needle) <= 255: never overflows
        scratch = np.empty(len(self.names), np.uint8)
        for column, count in wanted.items():
            level = self._levels[count] if count < len(self._levels) else np.uint8(count)
            shared += np.minimum(self._histogram[column], level, out=scratch)
        # 8 * shared >= 3 * (len(needle) + len(name)), with one character of slack for rapidfuzz's float rounding.
        bound = shared.astype(np.int16)
        bound <<= 3
        bound -= self._three_lengths
        possible = bound >= 3 * size - 8
        if allowed is not None:
            possible &= allowed
        return np.flatnonzero(possible)
