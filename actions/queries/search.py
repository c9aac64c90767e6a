"""Find resources by name, tag or id (with typo tolerance), within filters. Typed results only.

The chat answers "find web" from a cached inventory of up to 100,000+ resources in a few milliseconds: each
inventory tuple gets a `SearchIndex` once (built ahead with `prepare` when a new inventory arrives, else by the
first search on it), and searches only read it. The two most recently used indexes are kept, so a search that
still holds the previous tuple stays right and fast while the next one is being built.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from actions.provider import Resource
from actions.queries.search_index import ELSEWHERE, NO_MATCH, SearchIndex
from actions.queries.search_tags import ENVIRONMENT_KEYS, split_tags
from core.models import Cloud, Frozen

_KEPT = 2
_indexes: OrderedDict[int, SearchIndex] = OrderedDict()  # id(resources) -> index, least recently used first
_indexes_lock = threading.Lock()  # guards _indexes
_build_lock = threading.Lock()  # one build at a time: a second caller for the same tuple waits and reuses it


class SearchResult(Frozen):
    total: int  # matches before limit/offset
    items: tuple[Resource, ...]


def _cached(resources: Sequence[Resource]) -> SearchIndex | None:
    with _indexes_lock:
        index = _indexes.get(id(resources))
        if index is None or index.source is not resources or index.size != len(resources):
            return None
        _indexes.move_to_end(id(resources))
        return index


def _index(resources: Sequence[Resource]) -> SearchIndex:
    index = _cached(resources)
    if index is not None:
        return index
    with _build_lock:
        index = _cached(resources)
        if index is None:
            index = SearchIndex(resources)
            with _indexes_lock:
                _indexes[id(resources)] = index
                while len(_indexes) > _KEPT:
                    _indexes.popitem(last=False)
    return index


def prepare(resources: Sequence[Resource]) -> None:
    """Build the search index for this inventory now (e.g. in a background thread when a new one arrives), so the
    first search on it does not pay for the build. Searches on older inventories keep working meanwhile."""
    _index(resources)


def _best_first(best: NDArray[np.int8], wanted: int) -> list[int]:
    """The first `wanted` matching rows by (rank, row): rows are already in result order within a rank."""
    rows: list[int] = []
    for rank in range(NO_MATCH):
        if len(rows) >= wanted:
            break
        rows += np.flatnonzero(best == rank)[: wanted - len(rows)].tolist()
    return rows


def _page(index: SearchIndex, total: int, rows: Iterable[int], offset: int) -> SearchResult:
    return SearchResult(total=total, items=tuple(index.resources[row] for row in list(rows)[offset:]))


def search(
    resources: Sequence[Resource],
    *,
    query: str | None = None,
    cloud: Cloud | str | None = None,
    region: str | None = None,
    state: str | None = None,
    kind: str | None = None,
    environment: str | None = None,
    limit: int = 10,
    offset: int = 0,
) -> SearchResult:
    """Resources whose name, a tag or id contains `query` (else, all its words; else names close to it: typos),
    within the filters. Best first: exact name, name prefix, in name, tag; groups first; short names first.
    Words of the query shaped `key=value` are tag filters ("web team=payments"). Text and filter values match in
    any case. Raises ResourceNotFound when no resource has a filter's tag key, or that value of it."""
    index = _index(resources)
    wanted = {"cloud": cloud, "region": region, "state": state, "kind": kind, "environment": environment}
    allowed = index.allowed({field: str(value).lower() for field, value in wanted.items() if value})
    words, tags = split_tags(query or "")
    for key, value in tags:
        passing = _tagged(index, key, value)
        allowed = passing if allowed is None else allowed & passing
    needle = "-".join(words)
    end = max(0, offset + limit)
    if not needle:
        if allowed is None:
            return _page(index, index.size, range(min(end, index.size)), offset)
        rows = np.flatnonzero(allowed)
        return _page(index, len(rows), rows[:end].tolist(), offset)
    best = index.ranks(needle)
    if allowed is not None:
        best[~allowed] = NO_MATCH
    total = int(np.count_nonzero(best != NO_MATCH))
    words = [word for word in needle.split("-") if len(word) > 1]
    if not total and len(words) > 1:  # "prod web": every word somewhere
        every = index.containing_all(words, allowed)
        best = np.where(every, np.int8(ELSEWHERE), np.int8(NO_MATCH))
        total = int(np.count_nonzero(every))
    if total:
        return _page(index, total, _best_first(best, end), offset)
    return _fuzzy(index, needle, allowed, limit, offset)


def _tagged(index: SearchIndex, key: str, value: str) -> NDArray[np.bool_]:
    """Resources with tag `key` = `value`; for an environment key, also those of that environment."""
    if key in ENVIRONMENT_KEYS:
        same = index.allowed({"environment": value})
        return index.tags.having(key, value) if same is None else index.tags.having(key, value) | same
    index.tags.check(key, value)
    return index.tags.having(key, value)


def _fuzzy(index: SearchIndex, needle: str, allowed: NDArray[np.bool_] | None, limit: int, offset: int) -> SearchResult:
    """Names close to `needle`: best score first, then short names, then by name and input order."""
    found = index.fuzzy.find(needle, allowed)
    scores = np.array([score for score, _ in found], np.float64)
    rows = np.array([row for _, row in found], np.int64)
    ordered = rows[np.lexsort((index.name_order[rows], -scores))] if found else rows
    return SearchResult(
        total=len(found), items=tuple(index.resources[row] for row in ordered[offset : offset + limit].tolist())
    )
