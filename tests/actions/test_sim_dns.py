"""DNS in the simulated world: a name points at its first place until someone moves it, a move shows at once and
goes live after the world's propagation time, pointing is idempotent, a wrong place or change is one plain line,
and two processes on one Redis see one answer. The clock is the test's: time moves, nothing sleeps."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from actions.dns.model import DnsState, DnsTarget
from actions.simulated.dns import SimulatedDns
from core.errors import ProviderError, ResourceNotFound
from tests.actions.conftest import SIZE
from tests.actions.helpers import StepClock

WEB = DnsTarget(cloud=None, zone="example.com", name="www.example.com.", places={"web-prod": (), "web-dr": ()})


@pytest.fixture
def clock() -> StepClock:
    return StepClock(at=1_000_000.0)


def switch(connection: redis.Redis, clock: StepClock, *, seed: int = 42, size: int = SIZE) -> SimulatedDns:
    return SimulatedDns(connection, seed=seed, size=size, clock=clock.now, propagation_seconds=30.0)


@pytest.fixture
def dns(redis_conn: redis.Redis, clock: StepClock) -> SimulatedDns:
    return switch(redis_conn, clock)


def test_a_name_no_one_pointed_points_at_its_first_place(dns: SimulatedDns) -> None:
    assert dns.read(WEB) == DnsState(
        pointing=("web-prod",),
        weights={"web-prod": 100, "web-dr": 0},
        ttl=60,
        detail="simulated record www.example.com. A 60 s -> web-prod",
    )


def test_a_move_shows_at_once_and_goes_live_after_propagation(dns: SimulatedDns, clock: StepClock) -> None:
    change = dns.point(WEB, "web-dr")
    state = dns.read(WEB)
    assert state.pointing == ("web-dr",) and state.weights == {"web-prod": 0, "web-dr": 100}
    assert state.detail.endswith("-> web-dr (live in 30.0 s)")
    assert not dns.settled(WEB, change)
    clock.sleep(29.5)
    assert not dns.settled(WEB, change)
    clock.sleep(0.5)
    assert dns.settled(WEB, change)
    assert dns.read(WEB).detail == "simulated record www.example.com. A 60 s -> web-dr"


def test_pointing_where_it_points_changes_nothing(dns: SimulatedDns, clock: StepClock) -> None:
    first = dns.point(WEB, "web-prod")  # never moved: already there, and live from the start
    assert dns.settled(WEB, first)
    assert dns.read(WEB).pointing == ("web-prod",)
    moved = dns.point(WEB, "web-dr")
    assert dns.point(WEB, "web-dr") == moved  # still going live: the same change, so a caller waits for the truth
    clock.sleep(30)
    assert dns.point(WEB, "web-dr") == moved and dns.settled(WEB, moved)
    back = dns.point(WEB, "web-prod")  # failing back is a move like any other
    assert back not in (first, moved) and not dns.settled(WEB, back)
    assert dns.read(WEB).pointing == ("web-prod",)


def test_an_unknown_place_names_the_places_it_has(dns: SimulatedDns) -> None:
    with pytest.raises(ProviderError) as raised:
        dns.point(WEB, "web-edge")
    assert str(raised.value) == "Simulated example.com www.example.com.: no place web-edge; it has web-prod, web-dr"
    assert dns.read(WEB).pointing == ("web-prod",)  # nothing moved
    empty = DnsTarget(cloud=None, zone="example.com", name="api.example.com.")
    assert dns.read(empty).pointing == ()
    with pytest.raises(ProviderError, match=r"no place api-dr; it has none$"):
        dns.point(empty, "api-dr")


def test_an_unknown_change_is_one_plain_line(dns: SimulatedDns) -> None:
    with pytest.raises(ResourceNotFound) as raised:
        dns.settled(WEB, "simdns-0000")
    assert str(raised.value) == (
        "Simulated example.com www.example.com.: no change simdns-0000: it ended long ago or never began"
    )


def test_names_and_worlds_are_apart(redis_conn: redis.Redis, clock: StepClock, dns: SimulatedDns) -> None:
    api = WEB.model_copy(update={"name": "api.example.com."})
    other_zone = WEB.model_copy(update={"zone": "example.org"})
    dns.point(WEB, "web-dr")
    assert dns.read(api).pointing == ("web-prod",) and dns.read(other_zone).pointing == ("web-prod",)
    assert switch(redis_conn, clock, seed=7).read(WEB).pointing == ("web-prod",)  # another seed: another world
    assert switch(redis_conn, clock, size=SIZE * 2).read(WEB).pointing == ("web-prod",)


def test_two_processes_on_one_redis_see_one_answer(redis_url: str, clock: StepClock, dns: SimulatedDns) -> None:
    worker = switch(redis.Redis.from_url(redis_url), clock)  # its own connection, as another process has
    change = worker.point(WEB, "web-dr")
    assert dns.read(WEB).pointing == ("web-dr",)
    clock.sleep(30)
    assert dns.settled(WEB, change)


def test_racing_moves_leave_one_answer_every_reader_agrees_on(redis_url: str, clock: StepClock) -> None:
    switches = [switch(redis.Redis.from_url(redis_url), clock) for _ in range(8)]
    places = ["web-prod", "web-dr"] * 4
    with ThreadPoolExecutor(8) as pool:
        changes = list(pool.map(lambda pair: pair[0].point(WEB, pair[1]), zip(switches, places, strict=True)))
    answer = switches[0].read(WEB)
    assert all(s.read(WEB) == answer for s in switches)
    assert answer.pointing[0] in places and sum(answer.weights.values()) == 100
    clock.sleep(30)
    assert all(switches[0].settled(WEB, c) for c in changes)  # every change made is known, and live


def test_a_reset_puts_every_name_back_at_its_first_place(dns: SimulatedDns, clock: StepClock) -> None:
    api = WEB.model_copy(update={"name": "api.example.com."})
    moves = [dns.point(WEB, "web-dr"), dns.point(api, "web-dr")]
    dns.reset()
    assert dns.read(WEB).pointing == ("web-prod",) and dns.read(api).pointing == ("web-prod",)
    clock.sleep(30)
    assert all(dns.settled(WEB, m) for m in moves)
