"""A release that fails its health checks stops itself and offers Rollback; the button (and the words) roll the
service back to the last good version through the same preview and confirmation; pause, resume and cancel."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from bot.runtime import Runtime
from core.settings import Settings
from tests.conversation.conftest import Say, SayFactory, button, speaker
from tests.conversation.test_deploys import deploy_settings, edited


@pytest.fixture
def deploying(settings: Settings, say_factory: SayFactory) -> tuple[Runtime, Say]:
    return say_factory(deploy_settings(settings))


class Moved:
    """The runtime's clock, which the test moves on (a new instance's warm-up is a minute)."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


@pytest.fixture
def moved(settings: Settings) -> Iterator[tuple[Runtime, Say, Moved]]:
    clock = Moved()
    runtime = Runtime.build(deploy_settings(settings), with_worker=True, clock=clock)
    yield runtime, speaker(runtime), clock
    runtime.close()


def test_a_failing_version_stops_itself_and_its_rollback_button_rolls_back(moved: tuple[Runtime, Say, Moved]) -> None:
    runtime, say, clock = moved
    (preview,) = say("deploy web v2.5 to staging")
    say(press=button([preview], "Confirm"))
    edited(runtime, preview.key, lambda text: "failing" in text)  # its first new instances fail their checks
    clock.ahead = 120  # past their warm-up: no longer new, still failing
    failed = edited(runtime, preview.key, lambda text: text.startswith("Failed:"))
    assert "failing:" in failed.text  # which instances failed their health checks
    assert [b.label for b in failed.buttons] == ["Rollback"]

    (back,) = say(press=button([failed], "Rollback"))
    assert back.kind == "confirm"
    assert back.text.startswith("Roll back web in staging: v2.5 -> v2.3, 2 groups in 2 clouds")
    say(press=button([back], "Confirm"))
    done = edited(runtime, back.key, lambda text: text.startswith("Rolled back:"))
    assert done.text.startswith("Rolled back: web to v2.3 in staging, 2 groups")
    lines = _history_once(say, lambda lines: ", rolled back in " in lines[-1])
    assert lines[0] == "2 deploys of web, newest first:"
    assert "rollback web v2.5 -> v2.3 staging by alice" in lines[1] and ", done in " in lines[1]
    assert "web v2.3 -> v2.5 staging by alice" in lines[2]  # the failed deploy, rolled back once its rollback ended
    assert "failing health checks" in lines[2]  # why it stopped


def _history_once(say: Say, shows: Callable[[list[str]], bool], timeout: float = 10.0) -> list[str]:
    """The lines of "history web" once they show it (the watcher settles the undone deploy after its rollback)."""
    deadline = time.monotonic() + timeout
    while True:
        (history,) = say("history web")
        lines = history.text.splitlines()
        if shows(lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_rollback_by_words_goes_to_the_last_good_version(deploying: tuple[Runtime, Say]) -> None:
    runtime, say = deploying
    (preview,) = say("deploy web v2.4 to staging")
    say(press=button([preview], "Confirm"))
    edited(runtime, preview.key, lambda text: text.startswith("Done:"))
    (back,) = say("roll back web")  # where the newest deploy of web went: staging; before it, v2.3
    assert back.text.startswith("Roll back web in staging: v2.4 -> v2.3")
    (to,) = say("rollback web-staging to v2.2")
    assert to.text.startswith("Roll back web in staging: v2.4 -> v2.2")


def test_a_running_deploy_is_paused_resumed_and_cancelled(deploying: tuple[Runtime, Say]) -> None:
    runtime, say = deploying
    (none,) = say("pause deploy web")
    assert none.text == "No deploy of web is running."
    (preview,) = say("deploy web v2.5 to staging")  # stuck on its first batch: time to pause it
    say(press=button([preview], "Confirm"))
    edited(runtime, preview.key, lambda text: text.startswith("Deploying"))
    (pausing,) = say("pause deploy web")
    assert pausing.text.startswith("Pausing deploy #1 (web v2.5 to staging)")
    paused = edited(runtime, preview.key, lambda text: text.startswith("Paused"))
    assert [b.label for b in paused.buttons] == ["Resume", "Cancel"]
    (refused,) = say(press=button([paused], "Resume"), user="dave")
    assert refused.text.startswith("dave is a viewer")
    (cancelling,) = say(press=button([paused], "Cancel"))
    assert cancelling.text.startswith("Cancelling deploy #1")
    edited(runtime, preview.key, lambda text: text.startswith("Cancelled"))
