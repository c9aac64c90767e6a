"""Acting from the app in a real browser, through the same flow as chat: a restart's preview, Confirm, and its
result arriving on the live stream; a critical action of one admin approved by another, from chat or from the
other admin's own app, and then run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from core.models import Message
from tests.browser.actions import open_resource, reply_texts, say_from_page, tap
from tests.browser.conftest import OpenApp
from tests.eventually import eventually

if TYPE_CHECKING:
    from bot.runtime import Runtime

ALICE, CAROL, ERIN = 123456789, 345678901, 567890123


def test_restart_preview_confirm_and_result(open_app: OpenApp) -> None:
    page = open_app(ALICE)
    open_resource(page, "db-prod")
    tap(page, '[data-test="action-button"][data-command="restart db-prod"]')
    page.locator('[data-test="confirm-button"]').wait_for()
    [preview] = reply_texts(page)
    assert "Confirm within" in preview and "db-prod" in preview
    tap(page, '[data-test="confirm-button"]')
    done = eventually(lambda: [t for t in reply_texts(page) if t.startswith("Done")], what="the restart's result")
    assert "db-prod" in done[0]
    assert page.locator('[data-test="confirm-button"]').count() == 0  # the card was replaced: nothing to press again


@pytest.mark.parametrize("where", ["chat", "app"])
def test_a_critical_action_runs_after_another_admin_approves(open_app: OpenApp, runtime: Runtime, where: str) -> None:
    carol = open_app(CAROL)
    tap(carol, '[data-test="tab-emergency"]')
    tap(carol, '[data-test="emergency-button"][data-command^="fail over"]')
    carol.locator('[data-test="confirm-button"]').wait_for()
    [card] = reply_texts(carol)
    assert "needs approval by an admin other than carol" in card
    approve = carol.locator('[data-test="confirm-button"]').first.get_attribute("data-button-id")
    assert approve
    tap(carol, '[data-test="confirm-button"]')  # her own approval does not count
    eventually(lambda: any("another admin must approve it" in t for t in reply_texts(carol)), what="her refusal")
    if where == "chat":  # the card was copied to erin, the other admin, by direct message on Telegram
        [copy] = eventually(
            lambda: [r for _, r in runtime.outbox.read("telegram") if r.key.startswith("urgent-approve-")],
            what="the approval card copied to erin",
        )
        press = Message(ref=copy.ref, sender=str(ERIN), button_id=approve, received_at=0)
        runtime.conversation.handle(press)  # the run's checklist answers, in carol's conversation
    else:
        erin = open_app(ERIN)
        erin.locator('[data-test="section-health"]').wait_for()  # signed in
        answer = say_from_page(erin, {"button": approve})
        assert answer["status"] == 200, answer
    running = eventually(  # it runs: its first step ticked in the checklist
        lambda: [t for t in reply_texts(carol) if "[x] 1. Announce the failover" in t],
        what="the run's checklist on carol's page",
    )
    assert running[0].startswith("Failover 1: Fail web-prod over to web-dr")
    assert running[0].endswith("Asked by carol, approved by erin")
