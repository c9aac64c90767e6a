"""Watches end to end on the console: "watch cpu of web-prod for 1 min" posts one message, and the runtime's own
watch ticker edits it through the outbox each time the test moves the clock 15 s and wakes it, until the watch
ends by itself; the caps, the Stop button (the watcher's or an admin's), one edit per tick across replicas, and
one fetch for many watchers of one series."""

from __future__ import annotations

import re
import statistics
import threading
from collections.abc import Callable, Iterator

import pytest

from actions.metrics.aggregate import BARS, format_value
from actions.metrics.model import Metric, SeriesRequest
from actions.metrics.reader import FETCHES
from actions.simulated.metrics import SimulatedMetrics
from bot.runtime import Runtime
from core.models import Reply
from core.settings import Settings
from tests.clock import ManualClock
from tests.conversation.conftest import ROOM, Say, speaker
from tests.eventually import eventually

Build = Callable[..., tuple[Runtime, Say]]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def build(settings: Settings, clock: ManualClock) -> Iterator[Build]:
    """Runtimes (replicas) on the test's Redis and clock, the world's series read by that clock too."""
    built: list[Runtime] = []

    def _build(**changes: object) -> tuple[Runtime, Say]:
        world = SimulatedMetrics(settings.sim_seed, clock=clock)
        patient = {"metrics_deadline_seconds": 20.0}  # the world answers at once, but the machine may be loaded
        rt = Runtime.build(Settings(**{**settings.model_dump(), **patient, **changes}), with_worker=False, clock=clock,
                           metric_sources=[world])  # fmt: skip
        built.append(rt)
        return rt, speaker(rt)

    yield _build
    for rt in built:
        rt.close()


def edits_of(rt: Runtime, first: Reply) -> list[Reply]:
    return [r for _, r in rt.outbox.read(ROOM.channel, "0-0") if r.edit_of == first.key]


def tick(rt: Runtime, clock: ManualClock, count: int, first: Reply, seconds: float = 15) -> Reply:
    """Move the clock, wake the runtime's watch ticker, and wait for the message's `count`th edit."""
    clock.advance(seconds)
    rt.conversation.watches.due.wake()

    def nth() -> Reply | None:
        edits = edits_of(rt, first)
        return edits[count - 1] if len(edits) >= count else None

    return eventually(nth, what=f"edit {count}")


def test_a_watch_edits_one_message_each_tick_and_ends_by_itself(
    build: Build, clock: ManualClock, settings: Settings
) -> None:
    rt, say = build()
    started = clock.now
    [first] = say("watch cpu of web-prod for 1 min")
    assert re.fullmatch(r"Watching web-prod CPU: [\d.]+% ▄ - until \d\d:\d\d UTC \(1 min left\)", first.text)
    assert [(b.id.partition(":")[0], b.label) for b in first.buttons] == [("watch-stop", "Stop")]
    shapes = []
    for count in (1, 2, 3):
        edit = tick(rt, clock, count, first)
        assert edit.text.startswith("Watching web-prod CPU: ") and edit.buttons == first.buttons
        shapes.append(edit.text.split(" ")[4])
        assert f"({60 - 15 * count} s left)" in edit.text
    assert [len(s) for s in shapes] == [2, 3, 4] and all(set(s) <= set(BARS) for s in shapes)
    # The value shown is the members' mean at the watch's latest point, as the world has it.
    group = rt.conversation.services.provider.snapshot().resources
    members = tuple(r for r in group if r.group == "web-prod" and r.kind == "instance" and r.state != "stopped")
    now = started + 45  # what the reader asked the world for then: the last 5 minutes at 15 s
    request = SeriesRequest(metric=Metric.CPU, resources=members, start=(now - 300) // 15 * 15, end=now // 15 * 15,
                            step=15)  # fmt: skip
    world = SimulatedMetrics(settings.sim_seed, clock=lambda: now)
    mean = statistics.fmean(s.points[-1][1] for s in world.fetch(request, 5))
    assert edits_of(rt, first)[2].text.startswith(f"Watching web-prod CPU: {format_value(mean, '%')} ")
    last = tick(rt, clock, 4, first)
    assert last.text.startswith("Watch ended: web-prod CPU ") and last.buttons == ()
    assert " over 45 s " in last.text
    clock.advance(15)
    rt.conversation.watches.tick()
    assert len(edits_of(rt, first)) == 4  # ended: no more edits
    assert say(press=first.buttons[0].id)[0].text == "That watch has already ended."


def test_ten_minutes_unless_said_and_at_most_an_hour(build: Build) -> None:
    _rt, say = build()
    assert "(10 min left)" in say("watch cpu of web-prod")[0].text
    capped = say("watch memory of db-prod for 2 hours")[0].text
    assert "(1 h left)" in capped and "Capped at 60 min" in capped


def test_too_many_watches_are_refused_in_one_line(build: Build) -> None:
    _rt, say = build(metric_watches_per_user=2)
    say("watch cpu of web-prod")
    say("watch memory of web-prod")
    [refused] = say("watch cpu of db-prod")
    assert refused.kind == "refusal" and refused.buttons == ()
    assert refused.text == "You already have 2 watches running (at most 2): stop one first."
    assert say("watch cpu of db-prod", user="bob")[0].buttons  # the cap is each user's


def test_a_conversation_holds_a_few_watches_at_most(build: Build) -> None:
    _rt, say = build(metric_watches_per_user=20)
    started = [say(f"watch {metric} of web-prod")[0] for metric in ("cpu", "memory", "errors", "requests", "latency")]
    started += [say(f"watch {metric} of db-prod")[0] for metric in ("cpu", "memory", "errors", "requests", "latency")]
    assert all(first.buttons for first in started)
    [refused] = say("watch cpu of rsvp-prod")
    assert refused.kind == "refusal" and refused.text == "10 watches already run in this conversation: stop one first."


def test_only_the_watcher_or_an_admin_stops_a_watch(build: Build, clock: ManualClock) -> None:
    rt, say = build()
    [first] = say("watch cpu of web-prod for 5 min")
    stop = first.buttons[0].id
    [refused] = say(press=stop, user="bob")
    assert refused.kind == "refusal" and refused.text == "Only alice (who started it) or an admin can stop this watch."
    [stopped] = say(press=stop, user="carol")
    assert stopped.edit_of == first.key and stopped.buttons == ()
    assert stopped.text.startswith("Watch stopped by carol: web-prod CPU ")
    clock.advance(15)
    rt.conversation.watches.tick()
    assert edits_of(rt, first) == []  # nothing edits it after the stop (the press's edit went back to the caller)
    assert say("watch cpu of db-prod")[0].buttons  # and it no longer counts against alice


def test_replicas_edit_a_due_watch_once_and_watchers_of_one_series_share_a_fetch(
    build: Build, clock: ManualClock
) -> None:
    one, say = build()
    two, _ = build()
    for rt in (one, two):  # the test runs the ticks itself, at once in both replicas
        assert rt.watch_ticker is not None
        rt.watch_ticker.stop()
    [alice] = say("watch cpu of web-prod")
    [bob] = say("watch cpu of web-prod", user="bob")
    clock.advance(15)
    before = FETCHES.labels(source="simulated")._value.get()
    ticks = [threading.Thread(target=rt.conversation.watches.tick) for rt in (one, two)]
    for thread in ticks:
        thread.start()
    for thread in ticks:
        thread.join(timeout=10)
    assert len(edits_of(one, alice)) == 1 and len(edits_of(one, bob)) == 1
    assert FETCHES.labels(source="simulated")._value.get() - before == 1
