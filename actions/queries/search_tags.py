"""Tag filters of a search ("find team=payments", "find env=prod team=web"): which resources carry a tag with a
given value. Keys and values match in any case; built once per search index, each lookup a dict read and a mask.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from actions.provider import Resource
from core.errors import ResourceNotFound

# Keys that name the environment: they also match a resource's environment, which the clouds read from tags
# under several spellings ("environment", "env", "Env") and a scope's default.
ENVIRONMENT_KEYS = frozenset({"env", "environment"})
_PLAIN = re.compile(r"[\w.:/-]+")


def split_tags(query: str) -> tuple[list[str], list[tuple[str, str]]]:
    """'web team=Payments' -> (['web'], [('team', 'payments')]): the words, and the key=value filters (lower case)."""
    words: list[str] = []
    tags: list[tuple[str, str]] = []
    for word in query.lower().split():
        key, equals, value = word.partition("=")
        if equals and key and value:
            tags.append((key, value))
        else:
            words.append(word)
    return words, tags


class TagPairs:
    """The rows (of the search index's order) of every tag key=value pair, as one compressed list, and how many
    resources carry each key."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        typed: dict[tuple[str, str], int] = {}  # pairs as the clouds spell them: few, and lower-cased once each
        raw = np.fromiter((typed.setdefault(pair, len(typed)) for r in resources for pair in r.tags.items()), np.int32)
        codes: dict[tuple[str, str], int] = {}
        lowered = np.array([codes.setdefault((k.lower(), v.lower()), len(codes)) for k, v in typed], np.int32)
        pair_of = lowered[raw] if len(raw) else raw
        rows = np.repeat(np.arange(len(resources), dtype=np.int32), [len(r.tags) for r in resources])
        order = np.argsort(pair_of, kind="stable")  # rows stay ascending within a pair
        self._members = rows[order]
        self._pointers = np.zeros(len(codes) + 1, np.int64)
        np.cumsum(np.bincount(pair_of, minlength=len(codes)), out=self._pointers[1:])
        self._codes = codes
        self.size = len(resources)
        keys: Counter[str] = Counter()
        for (key, _), code in codes.items():
            keys[key] += int(self._pointers[code + 1] - self._pointers[code])
        self.keys = keys  # key -> resources that carry it

    @property
    def nbytes(self) -> int:
        return self._members.nbytes + self._pointers.nbytes

    def _rows(self, code: int) -> NDArray[np.int32]:
        rows: NDArray[np.int32] = self._members[self._pointers[code] : self._pointers[code + 1]]
        return rows

    def having(self, key: str, value: str) -> NDArray[np.bool_]:
        """Which resources carry tag `key` with `value` (both lower case)."""
        found = np.zeros(self.size, np.bool_)
        code = self._codes.get((key, value))
        if code is not None:
            found[self._rows(code)] = True
        return found

    def common_keys(self, most: int = 5) -> list[str]:
        return sorted(key for key, _ in self.keys.most_common(most))

    def common_values(self, key: str, most: int = 5) -> list[str]:
        """The values of `key` most resources carry (a scan of every pair: only for a filter that found nothing)."""
        counts = Counter({value: len(self._rows(code)) for (known, value), code in self._codes.items() if known == key})
        return sorted(value for value, _ in counts.most_common(most))

    def check(self, key: str, value: str) -> None:
        """Raises ResourceNotFound, in one line, when no resource has the key, or that value of it."""
        if key not in self.keys:
            known = ", ".join(self.common_keys())
            shown = key if _plain(key) else "with that key"
            raise ResourceNotFound(f"No resource has a tag {shown}" + (f" (tags: {known})." if known else "."))
        if (key, value) not in self._codes:
            values = ", ".join(self.common_values(key))
            asked = f"{key}={value}" if _plain(value) else f"that {key}"
            raise ResourceNotFound(f"No resource has {asked} ({key}: {values}).")


def _plain(word: str) -> bool:
    """Whether a typed word may be said back: short and plain (a pasted credential is never echoed)."""
    return len(word) <= 30 and _PLAIN.fullmatch(word) is not None
