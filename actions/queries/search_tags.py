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
    """The rows (of the search index's order) of every tag key=value pair, and how many resources have each key."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        rows: dict[tuple[str, str], list[int]] = {}
        for row, r in enumerate(resources):
            for key, value in r.tags.items():
                rows.setdefault((key.lower(), value.lower()), []).append(row)
        self.size = len(resources)
        self._rows = {pair: np.array(found, np.int32) for pair, found in rows.items()}
        keys: Counter[str] = Counter()
        for (key, _), found in rows.items():
            keys[key] += len(found)
        self.keys = keys  # key -> resources that carry it

    @property
    def nbytes(self) -> int:
        return sum(array.nbytes for array in self._rows.values())

    def having(self, key: str, value: str) -> NDArray[np.bool_]:
        """Which resources carry tag `key` with `value` (both lower case)."""
        found = np.zeros(self.size, np.bool_)
        rows = self._rows.get((key, value))
        if rows is not None:
            found[rows] = True
        return found

    def common_keys(self, most: int = 5) -> list[str]:
        return sorted(key for key, _ in self.keys.most_common(most))

    def common_values(self, key: str, most: int = 5) -> list[str]:
        """The values of `key` most resources carry (a scan of every pair: only for a filter that found nothing)."""
        counts = Counter({value: len(rows) for (known, value), rows in self._rows.items() if known == key})
        return sorted(value for value, _ in counts.most_common(most))

    def check(self, key: str, value: str) -> None:
        """Raises ResourceNotFound, in one line, when no resource has the key, or that value of it."""
        if key not in self.keys:
            known = ", ".join(self.common_keys())
            shown = key if _plain(key) else "with that key"
            raise ResourceNotFound(f"No resource has a tag {shown}" + (f" (tags: {known})." if known else "."))
        if (key, value) not in self._rows:
            values = ", ".join(self.common_values(key))
            asked = f"{key}={value}" if _plain(value) else f"that {key}"
            raise ResourceNotFound(f"No resource has {asked} ({key}: {values}).")


def _plain(word: str) -> bool:
    """Whether a typed word may be said back: short and plain (a pasted credential is never echoed)."""
    return len(word) <= 30 and _PLAIN.fullmatch(word) is not None
