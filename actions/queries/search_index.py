"""One inventory prepared for fast searching: built once per inventory tuple, then only read (thread-safe).

Resources are kept in result order - kind (groups first), name length, name, then input order - so within one
rank the first hits in index order are the best, and a page is the first few set entries of a mask. Filters are
per-field codes compared with numpy; text matches come from `TextIndex` over three families of strings: every
name (string i is resource i's name), every id (string n + i), then each distinct tag value once (string 2n + t),
whose resources sit in a compressed list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from actions.provider import Resource
from actions.queries.search_fuzzy import FuzzyNames
from actions.queries.search_tags import TagPairs
from actions.queries.search_text import TextIndex, encode

KIND_ORDER = {"group": 0, "database": 1, "load_balancer": 2, "instance": 3, "disk": 4}
FILTER_FIELDS = ("cloud", "region", "state", "kind", "environment")
# Ranks, best first: exact name, name prefix, in name, a tag or the id equals it, elsewhere (tags, id).
EXACT, PREFIX, IN_NAME, TAG_EQUALS, ELSEWHERE, NO_MATCH = range(6)
_FEW = 200  # below this many candidates, a word is checked in each candidate's text directly


def _result_order(resources: Sequence[Resource]) -> list[int]:
    return sorted(
        range(len(resources)),
        key=lambda i: (KIND_ORDER.get(resources[i].kind, 9), len(resources[i].name), resources[i].name),
    )  # sorted() is stable: equal keys keep input order, as the linear search always did


def _expand(pointers: NDArray[np.int64], members: NDArray[np.int32], rows: NDArray[np.int64]) -> NDArray[np.int32]:
    """The members of every listed row of a compressed (pointers, members) list, concatenated."""
    if len(rows) == 1:
        return members[pointers[rows[0]] : pointers[rows[0] + 1]]
    starts, counts = pointers[rows], pointers[rows + 1] - pointers[rows]
    total = int(counts.sum())
    if total == 0:
        return members[:0]
    begin = np.repeat(starts - np.cumsum(counts) + counts, counts)
    return members[begin + np.arange(total)]


_Hits = tuple[NDArray[np.int32], NDArray[np.signedinteger[Any]]]


class SearchIndex:
    def __init__(self, resources: Sequence[Resource]) -> None:
        self.source = resources  # identity (and length) tell whether this index still describes a tuple
        order = _result_order(resources)
        self.resources = tuple(resources[i] for i in order)
        self.input_position = np.array(order, np.int64)
        size = self.size = len(order)
        names = [r.name.lower() for r in self.resources]
        # Fuzzy hits of equal score go by (name length, name, input order), which kind order does not give.
        by_name = sorted(
            range(size), key=lambda row: (len(self.resources[row].name), self.resources[row].name, order[row])
        )
        self.name_order = np.empty(size, np.int32)
        self.name_order[by_name] = np.arange(size, dtype=np.int32)
        self._codes: dict[str, tuple[dict[str, int], NDArray[np.int32]]] = {}
        for field in FILTER_FIELDS:
            values: dict[str, int] = {}
            codes = [values.setdefault(str(getattr(r, field)).lower(), len(values)) for r in self.resources]
            self._codes[field] = (values, np.array(codes, np.int32))
        tag_values: dict[str, list[int]] = {}
        for row, r in enumerate(self.resources):
            for value in {v.lower() for v in r.tags.values()}:
                tag_values.setdefault(value, []).append(row)
        counts = np.fromiter(map(len, tag_values.values()), np.int64, len(tag_values))
        self._tag_pointers = np.zeros(len(tag_values) + 1, np.int64)
        np.cumsum(counts, out=self._tag_pointers[1:])
        self._tag_members = np.fromiter(
            (row for rows in tag_values.values() for row in rows), np.int32, int(self._tag_pointers[-1])
        )
        self.text = TextIndex([*names, *(r.id.lower() for r in self.resources), *tag_values])
        self.fuzzy = FuzzyNames(names)
        self.tags = TagPairs(self.resources)

    @property
    def nbytes(self) -> int:
        """Bytes of the index's own arrays and text (the resources tuple is shared with the caller's)."""
        codes = sum(array.nbytes for _, array in self._codes.values())
        extra = (
            self._tag_pointers.nbytes + self._tag_members.nbytes + self.input_position.nbytes + self.name_order.nbytes
        )
        return self.text.nbytes + self.fuzzy.nbytes + self.tags.nbytes + codes + extra

    def allowed(self, checks: Mapping[str, str]) -> NDArray[np.bool_] | None:
        """Which resources pass every filter (field -> lower-cased value); None when there is no filter."""
        mask: NDArray[np.bool_] | None = None
        for field, value in checks.items():
            values, codes = self._codes[field]
            code = values.get(value)
            passing = codes == code if code is not None else np.zeros(self.size, np.bool_)
            mask = passing if mask is None else mask & passing
        return mask

    def ranks(self, needle: str) -> NDArray[np.int8]:
        """Each resource's best rank for `needle` (lower-case, no whitespace), NO_MATCH where it does not occur.
        Assignments run from worst rank to best, so a better rank always overwrites a worse one."""
        best = np.full(self.size, NO_MATCH, np.int8)
        size, (names, name_offsets), (ids, id_offsets), (tags, tag_offsets) = self._occurrences(needle)
        best[ids] = ELSEWHERE
        best[self._tag_rows(tags)] = ELSEWHERE
        best[self._equal(ids, id_offsets, size, first=self.size)] = TAG_EQUALS
        best[self._tag_rows(self._equal(tags, tag_offsets, size))] = TAG_EQUALS
        best[names] = IN_NAME
        starting = names[name_offsets == 0]
        best[starting] = PREFIX
        best[starting[self.text.lengths[starting] == size]] = EXACT
        return best

    def containing_all(self, words: Sequence[str], allowed: NDArray[np.bool_] | None) -> NDArray[np.bool_]:
        """Which allowed resources contain every word somewhere. The rarest word goes first; once few resources
        remain, the other words are checked in their text directly instead of through the whole index."""
        every = np.ones(self.size, np.bool_) if allowed is None else allowed.copy()
        for word in sorted(words, key=lambda word: self.text.estimate(encode(word))):
            rows = np.flatnonzero(every)
            if len(rows) > _FEW:
                every &= self._containing(word)
            else:
                every[[row for row in rows.tolist() if word not in self._text_of(row)]] = False
        return every

    def _containing(self, word: str) -> NDArray[np.bool_]:
        found = np.zeros(self.size, np.bool_)
        _, (names, _), (ids, _), (tags, _) = self._occurrences(word)
        found[names] = found[ids] = found[self._tag_rows(tags)] = True
        return found

    def _occurrences(self, needle: str) -> tuple[int, _Hits, _Hits, _Hits]:
        """Where `needle` occurs, by family: (its size in bytes, names, ids, tag values), each as (rows or tag
        strings, byte offsets)."""
        encoded = encode(needle)
        strings, offsets = self.text.find(encoded)
        ids_from, tags_from = np.searchsorted(strings, (self.size, 2 * self.size)).tolist()
        return (
            len(encoded),
            (strings[:ids_from], offsets[:ids_from]),
            (strings[ids_from:tags_from] - self.size, offsets[ids_from:tags_from]),
            (strings[tags_from:], offsets[tags_from:]),
        )

    def _text_of(self, row: int) -> str:
        r = self.resources[row]
        return "\n".join(value.lower() for value in (r.name, *r.tags.values(), r.id))

    def _equal(
        self, strings: NDArray[np.int32], offsets: NDArray[np.signedinteger[Any]], size: int, first: int = 0
    ) -> NDArray[np.int32]:
        """Those of `strings` (numbered from string `first`) that equal the needle: it starts them, as long."""
        starting: NDArray[np.int32] = strings[offsets == 0]
        equal: NDArray[np.int32] = starting[self.text.lengths[starting + first] == size]
        return equal

    def _tag_rows(self, strings: NDArray[np.int32]) -> NDArray[np.int32]:
        if not len(strings):
            return self._tag_members[:0]
        values: NDArray[np.int64] = np.unique(strings).astype(np.int64) - 2 * self.size
        return _expand(self._tag_pointers, self._tag_members, values)
