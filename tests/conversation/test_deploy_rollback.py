"""A release that fails its health checks stops itself and offers Rollback; the button (and the words) roll the
service back to the last good version through the same preview and confirmation; pause, resume and cancel."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from audit.log import AuditEvent
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
    (spoken,) = say("roll back web staging to v2.2")  # a voice note's words: the group's name without hyphens
    assert spoken.text.startswith("Roll back web in staging: v2.4 -> v2.2")


def test_a_running_deploy_is_paused_resumed_and_cancelled(deploying: tuple[Runtime, Say]) -> None:
    runtime, say = deploying
    (none,) = say("pause deploy web")
    assert (none.kind, none.text) == ("info", "No deploy of web is running.")
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


def test_a_rollback_mid_flight_takes_over_from_the_deploy_it_undoes(deploying: tuple[Runtime, Say]) -> None:
    runtime, say = deploying
    (preview,) = say("deploy web v2.5 to staging")  # stuck on its first batch
    say(press=button([preview], "Confirm"))
    edited(runtime, preview.key, lambda text: text.startswith("Deploying"))
    (back,) = say("rollback web")  # the deploy running is the one undone
    assert back.text.startswith("Roll back web in staging: v2.5 -> v2.3, 2 groups in 2 clouds")
    say(press=button([back], "Confirm"))
    edited(runtime, back.key, lambda text: text.startswith("Rolled back:"))
    edited(runtime, preview.key, lambda text: text.startswith(("Being rolled back", "Rolled back")))
    group = runtime.conversation.services.provider.get("web-staging")
    assert group.version == "v2.3"


def test_a_deploy_confirmed_after_another_changed_its_groups_is_not_started(deploying: tuple[Runtime, Say]) -> None:
    runtime, say = deploying
    (mine,) = say("deploy web v2.4 to staging")
    (bobs,) = say("deploy web v2.2 to staging", user="bob")
    say(press=button([bobs], "Confirm"), user="bob")
    edited(runtime, bobs.key, lambda text: text.startswith("Done:"))
    settled, refusal = say(press=button([mine], "Confirm"))
    assert settled.edit_of == mine.key and settled.text.startswith("Not run: changed since asked.")
    assert refusal.text == "web-staging runs v2.2 now, not v2.3. Nothing was started: ask again."
    events = [(r.event, r.params.get("action")) for r in runtime.conversation.services.audit.records()]
    assert (AuditEvent.REFUSED, "deploy") in events
