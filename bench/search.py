"""Search over 100,000 cached resources: p50/p99 per kind of query and overall, index build time, and memory of
the resources next to their index. The query mix is what on-call engineers type: exact names, prefixes, broad
words ("web", "prod"), tag values, typos, filters alone or with words, tag filters ("team=payments", "env=prod
team=web", one a tag no resource has), nothing at all, and later pages."""

from __future__ import annotations

import gc
import random
import time
import tracemalloc
from collections.abc import Callable

from actions.provider import Resource
from actions.queries import search
from actions.queries.search import prepare
from actions.queries.search_index import SearchIndex
from actions.simulated import generate_inventory
from bench.figures import Figure
from core.errors import ResourceNotFound

SEED, SIZE, REPEAT = 4243, 100_000, 5
Search = Callable[[], object]
FILTERS_ONLY: tuple[dict[str, str], ...] = (
    {"state": "stopped"}, {"cloud": "gcp", "kind": "instance"}, {"region": "us-east-1", "state": "running"},
    {"environment": "dr", "kind": "disk"}, {"kind": "group"},
)  # fmt: skip
WORDS_AND_FILTERS: tuple[tuple[str, dict[str, str]], ...] = (
    ("web", {"state": "running"}), ("prod", {"cloud": "aws"}), ("billing", {"region": "westeurope"}),
    ("db", {"environment": "staging", "kind": "database"}), ("checkout", {"cloud": "azure", "state": "degraded"}),
)  # fmt: skip

TAG_FILTERS = (
    "team=payments", "env=prod team=web", "env=prod team=payments", "owner=grace env=staging", "service=checkout",
    "web team=frontend", "db env=staging", "Team=Payments",
)  # fmt: skip


def _typo(name: str, rng: random.Random) -> str:
    at = rng.randrange(1, max(2, len(name) - 2))
    return name[:at] + name[at + 1] + name[at] + name[at + 2 :]


def _mix(inventory: tuple[Resource, ...]) -> dict[str, list[Search]]:
    rng = random.Random(SEED)
    names = [r.name for r in rng.sample(inventory, 40)] + ["web-prod", "api-prod", "db-prod", "checkout-prod"]

    def q(query: str, **kwargs: object) -> Search:
        return lambda: search(inventory, query=query, **kwargs)  # type: ignore[arg-type]

    def tagged(query: str) -> Search:
        def run() -> object:
            try:
                return search(inventory, query=query)
            except ResourceNotFound as refused:  # "team=web": no resource has it, which is the answer
                return refused

        return run

    return {
        "exact name": [q(name) for name in names],
        "name prefix": [q(name[: rng.randint(4, 9)]) for name in names],
        "broad word": [q(w) for w in ("web", "prod", "staging", "db", "vm", "api", "billing", "dr", "lb", "disk")],
        "tag value": [q(t) for t in ("frontend", "payments", "data", "kemi", "grace", "serving", "standby")],
        "typo": [q(_typo(name, rng)) for name in names[:20]] + [q("wbe-prod"), q("api prdo")],
        "several words": [q(w) for w in ("prod web", "billing staging", "gallery prod db", "eu west disk")],
        "filters only": [q("", **f) for f in FILTERS_ONLY],
        "words + filters": [q(word, **f) for word, f in WORDS_AND_FILTERS],
        "tag filter": [tagged(query) for query in TAG_FILTERS],
        "no match": [q(w) for w in ("qqqq-zzzz", "kubernetes", "nothing-here", "xyzzy")],
        "later page": [q(w, offset=o) for w in ("prod", "staging", "billing") for o in (10, 100, 1000)],
    }


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _times_ms(queries: list[Search]) -> list[float]:
    out = []
    for _ in range(REPEAT):
        for fn in queries:
            start = time.perf_counter()
            fn()
            out.append((time.perf_counter() - start) * 1000)
    return out


def run() -> list[Figure]:
    figures: list[Figure] = []
    tracemalloc.start()
    inventory = generate_inventory(SEED, SIZE)
    resources_mb = tracemalloc.get_traced_memory()[0] / 1e6
    before = tracemalloc.get_traced_memory()[0]
    index = SearchIndex(inventory)  # an uncached copy, built only to weigh it
    index_mb = (tracemalloc.get_traced_memory()[0] - before) / 1e6
    tracemalloc.stop()
    arrays_mb = index.nbytes / 1e6
    del index
    gc.collect()
    start = time.perf_counter()
    prepare(inventory)
    figures.append(Figure("search index build (100k)", time.perf_counter() - start, "s"))
    figures.append(Figure("memory of 100k resources", resources_mb, "MB"))
    figures.append(Figure("memory of their search index", index_mb, "MB"))
    figures.append(Figure("  of which numpy arrays and text", arrays_mb, "MB"))
    mix = _mix(inventory)
    for queries in mix.values():  # warm-up: first calls load numpy and rapidfuzz code paths
        for fn in queries:
            fn()
    everything: list[float] = []
    for category, queries in mix.items():
        times = _times_ms(queries)
        everything += times
        figures.append(Figure(f"search p50, {category}", _p(times, 0.5), "ms"))
        figures.append(Figure(f"search p99, {category}", _p(times, 0.99), "ms", "<= 5 ms"))
    figures.append(Figure("search p50 over 100k, whole mix", _p(everything, 0.5), "ms"))
    figures.append(Figure("search p99 over 100k, whole mix", _p(everything, 0.99), "ms", "<= 5 ms"))
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
