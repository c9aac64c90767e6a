"""Deploying from chat, the whole way in the console conversation: the simulated world, the shipped release manifest,
an in-process worker rolling fast (a batch in a few hundredths of a second, the records read every 0.05 s). What is
typed and pressed, and what the person reads: the preview, the one progress message edited to its end, status and
history."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bot.runtime import Runtime
from core.models import Reply
from core.settings import Settings
from tests.conversation.conftest import Say, SayFactory, button

POLL = 0.05


def deploy_settings(settings: Settings, **overrides: object) -> Settings:
    return settings.model_copy(update={"deploy_poll_seconds": POLL, **overrides})


@pytest.fixture
def deploying(settings: Settings, say_factory: SayFactory) -> tuple[Runtime, Say]:
    return say_factory(deploy_settings(settings))


def edits_of(runtime: Runtime, key: str) -> list[Reply]:
    """Every edit the outbox carried of the message `key`, oldest first."""
    return [r for _, r in runtime.outbox.read("console", "0-0") if r.edit_of == key]


def edited(runtime: Runtime, key: str, shows: Callable[[str], bool], timeout: float = 20.0) -> Reply:
    """The first edit of message `key` whose text `shows` what is awaited (the deploy's progress message)."""
    deadline = time.monotonic() + timeout
    while True:
        found = next((r for r in edits_of(runtime, key) if shows(r.text)), None)
        if found is not None:
            return found
        if time.monotonic() > deadline:
            seen = [r.text.splitlines()[0] for r in edits_of(runtime, key)]
            raise AssertionError(f"message {key} never showed it; its edits: {seen}")
        time.sleep(0.02)


def test_a_staging_deploy_is_confirmed_once_and_its_one_message_shows_it_done(
    deploying: tuple[Runtime, Say],
) -> None:
    runtime, say = deploying
    (preview,) = say("deploy web v2.4 to staging")
    assert preview.kind == "confirm"
    lines = preview.text.splitlines()
    assert lines[0].startswith("Deploy web v2.4 to staging: 2 groups in 2 clouds, about ")
    assert lines[1].startswith("web-staging (AWS us-east-1): v2.3 -> v2.4, 3 instances, batches of ")
    assert lines[2].startswith("web-preview (Azure northeurope): v2.3 -> v2.4, 2 instances, batches of 1, surge 1, ~")
    assert any(line.startswith("Changes: ") for line in lines)  # the manifest's changelog of v2.4
    assert any(line.startswith("Checked: images, instance types, quota, health (") for line in lines)
    assert lines[-1].startswith("Confirm within ")

    assert say(press=button([preview], "Confirm")) == []
    first = edited(runtime, preview.key, lambda text: text.startswith("Confirmed by alice"))
    assert not first.buttons or [b.label for b in first.buttons] == ["Pause", "Cancel"]
    done = edited(runtime, preview.key, lambda text: text.startswith("Done:"))
    assert done.text.startswith("Done: web v2.4 in staging, 2 groups")
    assert [b.label for b in done.buttons] == ["Rollback"]
    assert all(r.edit_of == preview.key for r in edits_of(runtime, preview.key))  # one message, edited in place

    (status,) = say("deploy status web")
    assert status.text.splitlines()[0] == "No deploy of web running. The last:"
    assert "web v2.3 -> v2.4 staging by alice" in status.text and ", done in " in status.text
    (history,) = say("history web")
    assert history.text.startswith("1 deploy of web, newest first:")
    (today,) = say("deploys today")
    assert "web v2.3 -> v2.4 staging by alice" in today.text
    (again,) = say("deploy web v2.4 to staging")  # every group runs it now
    assert again.kind == "error" and "already runs v2.4" in again.text


def test_a_prod_deploy_needs_a_second_admin(deploying: tuple[Runtime, Say]) -> None:
    runtime, say = deploying
    (preview,) = say("deploy web v2.4 to prod", user="carol")
    assert preview.text.startswith("Deploy web v2.4 to prod: 4 groups in 3 clouds, about ")
    assert "web-prod (AWS us-east-1): v2.3 -> v2.4, 12 instances, batches of 3, surge 1, ~" in preview.text
    assert "web-dr (Azure westeurope): v2.3 -> v2.4, 0 instances (standby" in preview.text
    assert "Critical: needs approval by an admin other than carol" in preview.text
    approve = button([preview], "Approve (admin)")

    (own,) = say(press=approve, user="carol")
    assert own.kind == "refusal" and own.text == "carol asked for this: another admin must approve it"
    (operator,) = say(press=approve, user="alice")
    assert operator.text == "alice is an operator: approving needs admin"
    assert edits_of(runtime, preview.key) == []  # nothing started

    assert say(press=approve, user="erin") == []
    edited(runtime, preview.key, lambda text: text.startswith("Approved by erin"))
    done = edited(runtime, preview.key, lambda text: text.startswith("Done:"))
    assert "asked by carol, approved by erin" in done.text


def test_a_viewer_is_refused_with_the_policys_line(deploying: tuple[Runtime, Say]) -> None:
    _, say = deploying
    (refusal,) = say("rollback web-prod", user="dave")
    assert (refusal.kind, refusal.text) == ("refusal", "dave is a viewer: rolling back needs operator")
    (deploy,) = say("deploy web v2.4 to staging", user="dave")
    assert deploy.text == "dave is a viewer: deploying needs operator"
    (status,) = say("deploy status", user="dave")  # reading is a viewer's
    assert status.text.startswith("No deploy running")


def test_names_the_manifest_does_not_know_are_answered_with_what_it_does(deploying: tuple[Runtime, Say]) -> None:
    _, say = deploying
    (version,) = say("deploy web v9.9 to staging")
    assert version.text == "web has no version v9.9. Known: v2.2, v2.3, v2.4, v2.5"
    (which,) = say("deploy web v2.4")
    assert which.text == "Which environment? prod or staging"
    assert [b.label for b in which.buttons] == ["prod", "staging"]
    (picked,) = say(press=button([which], "staging"))
    assert picked.text.startswith("Deploy web v2.4 to staging: 2 groups")
    (first,) = say("rollback web-staging")  # no deploy recorded yet: the manifest's version before the running one
    assert first.text.startswith("Roll back web in staging: v2.3 -> v2.2")
