"""Find resources by name, tag or id (with typo tolerance), within filters. Typed results only."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from operator import attrgetter

from rapidfuzz import fuzz, process

from actions.provider import Resource
from core.models import Cloud, Frozen

_KIND_ORDER = {"group": 0, "database": 1, "load_balancer": 2, "instance": 3, "disk": 4}
_FUZZY_CUTOFF = 75.0


class SearchResult(Frozen):
    total: int  # matches before limit/offset
    items: tuple[Resource, ...]


# The last inventory searched, its lower-cased text ("name\ntag\ntag\n...\nid\n") and names: snapshots are
# reused until the world changes, so repeated searches skip rebuilding them.
_search_cache: tuple[Sequence[Resource], list[str], list[str]] | None = None


def _texts(resources: Sequence[Resource]) -> tuple[list[str], list[str]]:
    global _search_cache
    cached = _search_cache
    if cached is not None and cached[0] is resources and len(cached[2]) == len(resources):
        return cached[1], cached[2]
    texts = ["\n".join((r.name, *r.tags.values(), r.id)).lower() + "\n" for r in resources]
    names = [r.name for r in resources]
    _search_cache = (resources, texts, names)
    return texts, names


def _rank(needle: str, name: str, text: str) -> int:
    """0 exact name, 1 name prefix, 2 in name, 3 a tag equals it, 4 elsewhere (tags, id)."""
    if name == needle:
        return 0
    if name.startswith(needle):
        return 1
    if needle in name:
        return 2
    return 3 if f"\n{needle}\n" in text else 4


def _sort_key(pair: tuple[int, Resource]) -> tuple[int, int, int, str]:
    rank, r = pair
    return rank, _KIND_ORDER.get(r.kind, 9), len(r.name), r.name


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
    within the filters. Best first: exact name, name prefix, in name, tag; groups first; short names first."""
    wanted = {"cloud": cloud, "region": region, "state": state, "kind": kind, "environment": environment}
    checks = {field: str(value).lower() for field, value in wanted.items() if value}
    texts, names = _texts(resources)
    if checks:
        fields = attrgetter(*checks)  # one C call per resource: a value, or a tuple of them
        target = tuple(checks.values()) if len(checks) > 1 else next(iter(checks.values()))
        keep = [i for i, r in enumerate(resources) if fields(r) == target]
        resources, texts, names = [resources[i] for i in keep], [texts[i] for i in keep], [names[i] for i in keep]
    needle = "-".join((query or "").lower().split())
    hits: Sequence[int]
    if not needle:
        hits, ranked = range(len(resources)), [(0, r) for r in resources]
    else:
        hits = [i for i, text in enumerate(texts) if needle in text]
        words = [word for word in needle.split("-") if len(word) > 1]
        if not hits and len(words) > 1:  # "prod web": every word somewhere
            hits = range(len(texts))
            for word in words:
                hits = [i for i in hits if word in texts[i]]
        ranked = [(_rank(needle, names[i], texts[i]), resources[i]) for i in hits]
    if ranked:
        top = heapq.nsmallest(offset + limit, ranked, key=_sort_key)
        return SearchResult(total=len(ranked), items=tuple(r for _, r in top[offset:]))
    found = process.extract(needle, names, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, limit=None)
    found.sort(key=lambda hit: (-hit[1], len(hit[0]), hit[0]))
    return SearchResult(
        total=len(found), items=tuple(resources[index] for _, _, index in found[offset : offset + limit])
    )
