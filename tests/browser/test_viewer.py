"""A viewer in a real browser: the same board with no action buttons anywhere (no Ack, no resource actions, no
emergency buttons), and a change forged from the page with the viewer's own session is refused by the policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alerts.model import Incoming, Severity
from tests.browser.actions import open_resource, say_from_page, tap
from tests.browser.conftest import OpenApp

if TYPE_CHECKING:
    from bot.runtime import Runtime

CAROL, DAVE = 345678901, 456789012
ACTIONS = '[data-test="ack-button"], [data-test="action-button"], [data-test="emergency-button"]'


def _firing(runtime: Runtime) -> None:
    alert = Incoming(source="generic", fingerprint="5xx", severity=Severity.CRITICAL, summary="5xx", resource="db-prod")
    runtime.alerting.desk.ingest([alert])


def _buttons_seen(open_app: OpenApp, user: int) -> tuple[int, int, int]:
    """How many Ack buttons on the overview, actions on db-prod's page and emergency buttons `user` sees."""
    page = open_app(user)
    page.locator('[data-test="alert-card"]').wait_for()
    acks = page.locator('[data-test="ack-button"]').count()
    open_resource(page, "db-prod")
    actions = page.locator('[data-test="action-button"]').count()
    tap(page, '[data-test="tab-emergency"]')
    page.locator('[data-test="emergency-button"], [data-test="emergency-none"]').first.wait_for()
    return acks, actions, page.locator('[data-test="emergency-button"]').count()


def test_an_admin_sees_action_buttons(open_app: OpenApp, runtime: Runtime) -> None:
    _firing(runtime)
    acks, actions, emergency = _buttons_seen(open_app, CAROL)
    assert acks == 1 and actions > 0 and emergency > 0


def test_a_viewer_sees_none_and_a_forged_change_is_refused(open_app: OpenApp, runtime: Runtime) -> None:
    _firing(runtime)
    assert _buttons_seen(open_app, DAVE) == (0, 0, 0)
    page = open_app(DAVE)
    page.locator('[data-test="tab-emergency"]').tap()
    assert page.locator('[data-test="emergency-none"]').inner_text() == "Your role may look but not act."
    assert page.locator(ACTIONS).count() == 0
    answer = say_from_page(page, {"text": "restart db-prod"})
    assert answer["status"] == 200
    [refusal] = answer["body"]["replies"]  # type: ignore[index]
    assert refusal["kind"] == "refusal" and not refusal["buttons"] and "viewer" in refusal["text"]
