"""The indexed search answers exactly what a plain scan of every resource answers, at 5,000 and at 100,000."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from actions.provider import Resource
from actions.queries import search
from actions.queries.search import prepare
from actions.simulated import generate_inventory
from core.errors import ResourceNotFound
from core.models import Cloud

KIND_ORDER = {"group": 0, "database": 1, "load_balancer": 2, "instance": 3, "disk": 4}
FILTERS = ("cloud", "region", "state", "kind", "environment")


def odd_resources() -> tuple[Resource, ...]:
    """Cases the generator never makes: capitals, repeated names, an id or a tag equal to a name, non-ASCII."""

    def make(name: str, kind: str = "instance", rid: str | None = None, **tags: str) -> Resource:
        return Resource(
            id=rid or f"azure:westeurope:vm/{name}", name=name, cloud=Cloud.AZURE, kind=kind, region="WestEurope",
            environment="prod", state="Running", size="Standard_D2s_v5", hourly_cost=0.1, tags=tags,
        )  # fmt: skip

    return (
        make("Ledger-Prod", "group", team="Finance"),
        make("ledger-prod-vm1", team="finance", role="ledger-prod"),
        make("ledger-prod", "disk", rid="ledger-prod"),
        make("ledger-prod", "database"),
        make("café-prod-1", team="Équipe", note="naïve café"),
        make("CAFÉ-PROD-2"),
        make("zz-edge", note="appears in ledger-prod notes"),
        make("aaaa", note="aa aaa aaaa"),
        make("vault-a", rid="vault-key"),
        make("zeta", "group", note="vault-key-old"),
    )


INVENTORY = generate_inventory(5, 5000) + odd_resources()


def brute_force(
    resources: tuple[Resource, ...], query: str | None = None, limit: int = 10, offset: int = 0, **filters: str | None
) -> tuple[int, list[str]]:
    """The documented behaviour, one resource at a time: (total, ids of the page); (-1, []) for a tag filter no
    resource has."""
    checks = {field: str(value).lower() for field, value in filters.items() if value}
    pool = [(i, r) for i, r in enumerate(resources) if all(str(getattr(r, f)).lower() == v for f, v in checks.items())]
    words = [w for w in (query or "").lower().split() if not _tag(w)]
    pairs = {(k.lower(), v.lower()) for r in resources for k, v in r.tags.items()}
    for key, value in (tag for tag in map(_tag, (query or "").lower().split()) if tag is not None):
        if key in ("env", "environment"):
            pool = [(i, r) for i, r in pool if (key, value) in _pairs(r) or r.environment.lower() == value]
            continue
        if (key, value) not in pairs:
            return -1, []
        pool = [(i, r) for i, r in pool if (key, value) in _pairs(r)]
    needle = "-".join(words)

    def fields(r: Resource) -> list[str]:
        return [r.name.lower(), *(v.lower() for v in r.tags.values()), r.id.lower()]

    def rank(r: Resource) -> int | None:
        name, *others = fields(r)
        if name == needle:
            return 0
        if name.startswith(needle):
            return 1
        if needle in name:
            return 2
        if needle in others:
            return 3
        return 4 if any(needle in other for other in others) else None

    ranked = [(0, i, r) for i, r in pool] if not needle else [(rank(r), i, r) for i, r in pool]
    hits = [(found, i, r) for found, i, r in ranked if found is not None]
    words = [w for w in needle.split("-") if len(w) > 1]
    if not hits and len(words) > 1:
        hits = [(4, i, r) for i, r in pool if all(any(w in f for f in fields(r)) for w in words)]
    if hits:
        hits.sort(key=lambda h: (h[0], KIND_ORDER.get(h[2].kind, 9), len(h[2].name), h[2].name, h[1]))
        return len(hits), [r.id for _, _, r in hits][offset : offset + limit]
    close = [(fuzz.ratio(needle, r.name.lower()), i, r) for i, r in pool]
    close = sorted((c for c in close if c[0] >= 75), key=lambda c: (-c[0], len(c[2].name), c[2].name, c[1]))
    return len(close), [r.id for _, _, r in close][offset : offset + limit]


def _tag(word: str) -> tuple[str, str] | None:
    key, equals, value = word.partition("=")
    return (key, value) if equals and key and value else None


def _pairs(r: Resource) -> set[tuple[str, str]]:
    return {(k.lower(), v.lower()) for k, v in r.tags.items()}


def indexed(resources: tuple[Resource, ...], **kwargs: object) -> tuple[int, list[str]]:
    try:
        found = search(resources, **kwargs)  # type: ignore[arg-type]
    except ResourceNotFound:  # a tag key or value no resource has
        return -1, []
    return found.total, [r.id for r in found.items]


def _words(resources: tuple[Resource, ...]) -> list[str]:
    sample = resources[:: max(1, len(resources) // 300)]
    words = {r.name for r in sample} | {v for r in sample for v in r.tags.values()} | {r.id for r in sample}
    return sorted(words)


WORDS = _words(INVENTORY)
TAGS = sorted({f"{k}={v}" for r in INVENTORY[::50] for k, v in r.tags.items()} | {"env=dr", "Team=FINANCE", "x=y"})
FILTER_VALUES = {f: [*sorted({str(getattr(r, f)) for r in INVENTORY}), "nowhere"] for f in FILTERS}


@st.composite
def queries(draw: st.DrawFn) -> str:
    word = draw(st.sampled_from(WORDS))
    form = draw(st.sampled_from(("whole", "part", "typo", "two words", "upper", "random", "empty", "tags")))
    if form == "tags":  # key=value filters, with a word or without
        tags = draw(st.lists(st.sampled_from(TAGS), min_size=1, max_size=2))
        return " ".join([*tags, *draw(st.lists(st.sampled_from([word.split("-")[0]]), max_size=1))])
    if form == "part":
        start = draw(st.integers(0, max(0, len(word) - 1)))
        return word[start : start + draw(st.integers(1, 12))]
    if form == "typo" and len(word) > 3:
        at = draw(st.integers(0, len(word) - 2))
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    if form == "two words":
        return f"{draw(st.sampled_from(WORDS)).split('-')[0]} {word.split('-')[-1]}"
    if form == "upper":
        return f"  {word.upper()} "
    if form == "random":
        return draw(st.text(alphabet="abcdeilmnoprstuvwz-019é", min_size=1, max_size=10))
    return "" if form == "empty" else word


@settings(max_examples=200, deadline=None)
@given(
    query=queries(),
    filters=st.fixed_dictionaries({}, optional={f: st.sampled_from(FILTER_VALUES[f]) for f in FILTERS}),
    limit=st.integers(1, 30),
    offset=st.integers(0, 40),
)
def test_the_index_answers_like_a_scan_of_every_resource(
    query: str, filters: dict[str, str], limit: int, offset: int
) -> None:
    assert indexed(INVENTORY, query=query, limit=limit, offset=offset, **filters) == brute_force(
        INVENTORY, query, limit, offset, **filters
    )


def test_ranking_edge_cases_keep_their_order() -> None:
    total, ids = indexed(INVENTORY, query="ledger-prod", limit=20)
    assert (total, ids) == brute_force(INVENTORY, "ledger-prod", 20)
    names = [next(r.name for r in INVENTORY if r.id == i) for i in ids]
    assert names[:4] == ["Ledger-Prod", "ledger-prod", "ledger-prod", "ledger-prod-vm1"]  # any case; groups first
    assert names[-1] == "zz-edge"  # only mentioned in a tag
    assert indexed(INVENTORY, query="café") == brute_force(INVENTORY, "café")
    assert indexed(INVENTORY, query="finance ledger") == brute_force(INVENTORY, "finance ledger")
    assert indexed(INVENTORY, query="vault-key") == (2, ["vault-key", "azure:westeurope:vm/zeta"])  # id equals it
    assert indexed(INVENTORY, query="zz ledger-prod") == (1, ["azure:westeurope:vm/zz-edge"])  # words only in tags
    assert indexed(INVENTORY, query="CAFÉ-PROD-2")[0] == 1
    assert indexed(INVENTORY, query="ledger", region="westeurope", state="RUNNING")[0] == 5  # filters: any case


@pytest.mark.parametrize(
    ("query", "filters"),
    [("web", {}), ("prod", {}), ("billing", {"cloud": "gcp"}), ("", {"state": "stopped"}), ("wbe-prod", {})],
)
def test_pages_walk_through_every_match_once(query: str, filters: dict[str, Any]) -> None:
    everything = search(INVENTORY, query=query, limit=100_000, **filters)
    assert everything.total == len(everything.items) > 0
    seen: list[Resource] = []
    for offset in range(0, everything.total, 10):
        page = search(INVENTORY, query=query, limit=10, offset=offset, **filters)
        assert page.total == everything.total
        seen += page.items
    assert seen == list(everything.items)
    assert search(INVENTORY, query=query, offset=everything.total, **filters).items == ()


@pytest.fixture(scope="module")
def large() -> tuple[Resource, ...]:
    inventory = generate_inventory(8, 100_000)
    prepare(inventory)
    return inventory


def test_typos_find_the_intended_name_among_100000(large: tuple[Resource, ...]) -> None:
    assert len(large) == 100_000
    assert search(large, query="wbe-prod").items[0].name == "web-prod"
    assert search(large, query="api prdo").items[0].name == "api-prod"
    for intended in [r.name for r in large[5000::20000] if "-vm" in r.name or "-db-" in r.name]:
        typo = intended[:2] + intended[3] + intended[2] + intended[4:]  # two letters swapped
        assert search(large, query=typo).items[0].name == intended, typo


@pytest.mark.parametrize(
    ("query", "filters"),
    [
        ("prod", {}),
        ("web", {"environment": "prod"}),
        ("billing-staging", {"cloud": "aws", "state": "running"}),
        ("frontend", {"kind": "group"}),
        ("checkout-prod-db-1", {}),
        ("gallery stagign", {}),
        ("", {"region": "westeurope", "kind": "disk"}),
        ("qqqq-zzzz", {}),
        ("team=payments", {}),
        ("web env=prod team=frontend", {"state": "running"}),
        ("owner=dmitri billing", {"cloud": "aws"}),
    ],
)
def test_100000_resources_answer_like_a_scan(large: tuple[Resource, ...], query: str, filters: dict[str, str]) -> None:
    assert indexed(large, query=query, limit=15, offset=5, **filters) == brute_force(large, query, 15, 5, **filters)


@pytest.fixture
def three_inventories() -> Iterator[tuple[tuple[Resource, ...], ...]]:
    base = generate_inventory(13, 3000)
    renamed = tuple(r.model_copy(update={"name": f"{r.name}-new"}) if r.kind == "group" else r for r in base)
    yield base, renamed, base[:1500]


def test_an_older_inventory_stays_right_while_a_newer_one_is_prepared(
    three_inventories: tuple[tuple[Resource, ...], ...],
) -> None:
    old, new, third = three_inventories
    assert indexed(old, query="web-prod") == brute_force(old, "web-prod")
    results: list[tuple[int, list[str]]] = []

    def keep_searching_old() -> None:
        for _ in range(30):
            results.append(indexed(old, query="web-prod"))

    searcher = threading.Thread(target=keep_searching_old)
    searcher.start()
    prepare(new)
    searcher.join()
    assert results == [brute_force(old, "web-prod")] * 30
    assert indexed(new, query="web-prod") == brute_force(new, "web-prod")
    assert search(new, query="web-prod").items[0].name == "web-prod-new"
    prepare(third)  # only two indexes are kept: the oldest is rebuilt on demand, still right
    assert indexed(old, query="api", limit=20) == brute_force(old, "api", 20)
