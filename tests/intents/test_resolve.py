"""Resource phrases against a 10,000-name inventory: certain matches only, otherwise ranked candidates."""

from __future__ import annotations

import random

import pytest

from intents.resolve import MAX_CANDIDATES, Resolution, Resolver, name_words

GROUPS = ("web-prod", "web-dr", "web-staging", "web-canary", "api-prod", "api-staging", "db-prod", "db-staging")


def inventory_names(size: int = 10_000) -> list[str]:
    """Names shaped like the simulated inventory's: groups, their members, VMs, databases, disks, volumes."""
    rnd = random.Random(7)
    services = ("web", "api", "db", "billing", "checkout", "search", "cache", "rsvp", "media", "etl")
    names = set(GROUPS) | {"billing-staging-db-2", "search-staging-vm68", "vol-03389d95a87ceb34f"}
    while len(names) < size:
        service, env = rnd.choice(services), rnd.choice(("prod", "staging", "dr"))
        shape = rnd.random()
        if shape < 0.3:
            names.add(f"{service}-{env}-{rnd.getrandbits(16):04x}")
        elif shape < 0.6:
            names.add(f"{service}-{env}-vm{rnd.randint(1, 200)}")
        elif shape < 0.8:
            names.add(f"{service}-{env}-db-{rnd.randint(1, 40)}")
        elif shape < 0.9:
            names.add(f"disk-{service}-{env}-{rnd.randint(1, 90)}")
        else:
            names.add(f"vol-{rnd.getrandbits(68):017x}")
    return sorted(names)


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver(inventory_names())


def certain(name: str) -> Resolution:
    return Resolution(match=name, candidates=())


@pytest.mark.parametrize(
    ("phrase", "name"),
    [
        ("web-prod", "web-prod"),
        ("  web-prod ", "web-prod"),
        ("web prod", "web-prod"),
        ("Web_Prod", "web-prod"),
        ("WEB.PROD", "web-prod"),
        ("webprod", "web-prod"),
        ("the web-prod group", "web-prod"),
        ("billing staging db two", "billing-staging-db-2"),
        ("search staging vm sixty eight", "search-staging-vm68"),
        ("search-staging-vm 68", "search-staging-vm68"),
        ("vol-03389d95a87ceb34f", "vol-03389d95a87ceb34f"),
    ],
)
def test_exact_and_normalised_names_match(resolver: Resolver, phrase: str, name: str) -> None:
    assert resolver.resolve(phrase) == certain(name)


def test_typo_gives_candidates_not_a_match(resolver: Resolver) -> None:
    found = resolver.resolve("web-prd")
    assert found.match is None
    assert found.candidates[0] == "web-prod"


def test_part_of_a_name_lists_the_groups_first(resolver: Resolver) -> None:
    found = resolver.resolve("web")
    assert found.match is None
    assert set(found.candidates[:4]) == {"web-prod", "web-dr", "web-staging", "web-canary"}


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("api prd", "api-prod"),
        ("billing stagin db two", "billing-staging-db-2"),
        ("db", "db-prod"),
        ("vol 03389", "vol-03389d95a87ceb34f"),
    ],
)
def test_fuzzy_candidates(resolver: Resolver, phrase: str, expected: str) -> None:
    found = resolver.resolve(phrase)
    assert found.match is None
    assert expected in found.candidates
    assert 0 < len(found.candidates) <= MAX_CANDIDATES


def test_same_normalised_name_for_two_resources_is_never_matched() -> None:
    found = Resolver(["web-prod", "web_prod", "api-prod"]).resolve("web prod")
    assert found == Resolution(match=None, candidates=("web-prod", "web_prod"))
    assert Resolver(["web-prod", "web_prod"]).resolve("web_prod") == certain("web_prod")


@pytest.mark.parametrize("phrase", ["zzzz", "kubernetes", "", "   ", "🙂", "名前"])
def test_unknown_phrase_has_no_candidates(resolver: Resolver, phrase: str) -> None:
    assert resolver.resolve(phrase) == Resolution(match=None, candidates=())


def test_huge_phrase_is_answered(resolver: Resolver) -> None:
    assert resolver.resolve("web " * 50_000).match is None


def test_name_words() -> None:
    assert name_words("Web_Prod two") == ("web", "prod", "2")
    assert name_words("checkout prod vm one three eight") == ("checkout", "prod", "vm", "138")
    assert name_words("aws:us-east-1:asg/web-prod") == ("aws", "us", "east", "1", "asg", "web", "prod")
