"""Every place a needle occurs in many short strings, found through a trigram index instead of a scan.

A search over 100,000 resources must answer "web" or "prod" (tens of thousands of hits) in a few milliseconds.
Scanning 200,000 strings in Python costs far more than that, so the strings are joined once into one byte text
and every position is filed, as (string, offset), under the three bytes that start there. A needle is looked up
under its rarest trigram and the few remaining bytes are checked with numpy: the work follows the number of hits,
not the size of the inventory. Needles of one or two bytes read the contiguous run of trigrams that start with
them. Hits come back sorted by string, so callers can split them into families of strings by slicing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

_SEPARATOR = ord("\n")
_STEP = 1 << 14  # positions per step of the build: its scratch arrays stay small
_POSITION_BITS = 40  # a key's low bits: positions in a text of up to 1 TB; the 24-bit trigram sits above


def _width(run: tuple[int, int]) -> int:
    return run[1] - run[0]


class Occurrences(NamedTuple):
    """Parallel arrays, sorted by string: which string (its number in the input) and at which byte offset in it."""

    strings: NDArray[np.int32]
    offsets: NDArray[np.signedinteger[Any]]


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _sorted_keys(data: NDArray[np.uint8]) -> NDArray[np.uint64]:
    """One 64-bit key per real position (no needle starts with a separator), its trigram above the position,
    sorted: that files the positions by trigram, ascending within one. The keys are composed in the array of
    positions itself, a step at a time, so the build needs about 8 bytes per text byte where an argsort and its
    gathers took several times that."""
    keys = np.flatnonzero(data[:-2] != _SEPARATOR).view(np.uint64)
    for lo in range(0, len(keys), _STEP):
        part = keys[lo : lo + _STEP]
        at = part.view(np.int64)
        code = data[at].astype(np.uint64)
        for follower in (data[1:], data[2:]):
            code <<= 8
            code |= follower[at]
        code <<= _POSITION_BITS
        part |= code
    keys.sort()
    return keys


def _run_starts(keys: NDArray[np.uint64]) -> NDArray[np.int64]:
    """Where each trigram's run begins in the sorted keys."""
    pieces: list[NDArray[np.int64]] = []
    previous = -1
    for lo in range(0, len(keys), _STEP):
        code = keys[lo : lo + _STEP] >> _POSITION_BITS
        if int(code[0]) != previous:
            pieces.append(np.array([lo], np.int64))
        pieces.append(np.flatnonzero(code[1:] != code[:-1]) + (lo + 1))
        previous = int(code[-1])
    return np.concatenate(pieces) if pieces else np.zeros(0, np.int64)


class TextIndex:
    """Substring lookups over a fixed list of strings (the caller lower-cases them: matching is byte-exact).

    Matches never cross two strings: a separator ends each one, and needles never contain whitespace."""

    def __init__(self, strings: Sequence[str]) -> None:
        encoded = [encode(s) for s in strings]
        lengths = np.fromiter(map(len, encoded), np.int64, len(encoded))
        self.lengths = lengths  # bytes of each string
        self._text = b"\n".join(encoded) + b"\n\n\n"  # padding: every real position starts a full trigram
        del encoded
        data = np.frombuffer(self._text, np.uint8)
        self._data = data
        index_type = np.int32 if len(data) < 2**31 else np.int64
        starts: NDArray[np.signedinteger[Any]] = np.zeros(len(lengths) + 1, index_type)
        np.cumsum(lengths + 1, out=starts[1:])
        self._starts = starts
        keys = _sorted_keys(data)
        first = _run_starts(keys)
        self._codes = (keys[first] >> _POSITION_BITS).astype(np.uint32)
        self._bounds = np.append(first, len(keys)).astype(np.int64)
        keys &= (1 << _POSITION_BITS) - 1
        positions = keys.view(np.int64)  # in place: the keys are not needed any more
        widest = int(lengths.max(initial=0))
        offset_type = np.uint8 if widest < 2**8 else np.uint16 if widest < 2**16 else np.int64
        self._owners = np.empty(len(positions), np.int32)
        self._offsets = np.empty(len(positions), offset_type)
        for lo in range(0, len(positions), _STEP):
            at = positions[lo : lo + _STEP]
            owner = np.searchsorted(starts, at, side="right") - 1
            self._owners[lo : lo + _STEP] = owner
            self._offsets[lo : lo + _STEP] = at - starts[owner]

    @property
    def nbytes(self) -> int:
        arrays = (self.lengths, self._starts, self._owners, self._offsets, self._codes, self._bounds)
        return len(self._text) + sum(a.nbytes for a in arrays)

    def find(self, needle: bytes) -> Occurrences:
        """All occurrences of `needle` (not empty, no whitespace), sorted by string."""
        if len(needle) < 3:
            return self._run(needle)
        slots = self._slots(needle)
        # The rarest trigram, but the needle's own start when it is nearly as rare: no shifted offsets to drop.
        shift = min(range(len(slots)), key=lambda j: _width(slots[j]))
        if _width(slots[0]) <= 1.25 * _width(slots[shift]):
            shift = 0
        lo, hi = slots[shift]
        strings, offsets = self._owners[lo:hi], self._offsets[lo:hi].astype(self._starts.dtype)
        if shift:
            offsets -= shift
            keep = offsets >= 0
            strings, offsets = strings[keep], offsets[keep]
        if not len(strings):
            return Occurrences(strings, offsets)
        positions: NDArray[np.signedinteger[Any]] = self._starts[strings] + offsets
        keep = np.ones(len(positions), np.bool_)
        if int(positions[-1]) + len(needle) > len(self._data):  # only the last string can run off the text
            keep = positions <= len(self._data) - len(needle)
            positions = np.minimum(positions, len(self._data) - len(needle))
        for i, byte in enumerate(needle):
            if not shift <= i < shift + 3:  # the trigram's own bytes are known to match
                keep &= self._data[positions + i] == byte
        return Occurrences(strings[keep], offsets[keep])

    def estimate(self, needle: bytes) -> int:
        """An upper bound on the occurrences of `needle`: the size of the trigram run `find` would read."""
        lo, hi = self._run_bounds(needle) if len(needle) < 3 else min(self._slots(needle), key=_width)
        return hi - lo

    def _slots(self, needle: bytes) -> list[tuple[int, int]]:
        """The index run of each trigram of `needle`, by its offset in the needle."""
        return [self._slot(int.from_bytes(needle[j : j + 3], "big")) for j in range(len(needle) - 2)]

    def _slot(self, code: int) -> tuple[int, int]:
        at = int(np.searchsorted(self._codes, code))
        if at == len(self._codes) or int(self._codes[at]) != code:
            return 0, 0
        return int(self._bounds[at]), int(self._bounds[at + 1])

    def _run_bounds(self, needle: bytes) -> tuple[int, int]:
        """One or two bytes: every trigram that starts with them sits in one contiguous run of the index."""
        spare = 8 * (3 - len(needle))
        low = int.from_bytes(needle, "big") << spare
        first = int(np.searchsorted(self._codes, low))
        last = int(np.searchsorted(self._codes, low | ((1 << spare) - 1), side="right"))
        return int(self._bounds[first]), int(self._bounds[last])

    def _run(self, needle: bytes) -> Occurrences:
        lo, hi = self._run_bounds(needle)
        strings, offsets = self._owners[lo:hi], self._offsets[lo:hi].astype(self._starts.dtype)
        order = np.argsort(strings, kind="stable")  # up to 256 ascending runs, one per trigram: cheap to merge
        return Occurrences(strings[order], offsets[order])
