"""What the browser tests do on a page more than once: tap by data-test, open a resource, and call the API as the
page itself would (its session token from sessionStorage), which is how a forged request is made."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page


def tap(page: Page, selector: str) -> None:
    page.locator(selector).first.tap()


def open_resource(page: Page, name: str) -> None:
    """Search tab, type the name, tap its row: the resource page is shown, its details loaded."""
    tap(page, '[data-test="tab-search"]')
    page.locator('[data-test="search-input"]').fill(name)
    page.locator('[data-test="resource-row"]', has_text=name).first.tap()
    page.locator('[data-test="resource-page"] [data-test="resource-state"]').wait_for()


def say_from_page(page: Page, body: dict[str, str]) -> dict[str, object]:
    """POST /app/api/say from inside the page with its own session: {"status": ..., "body": ...}."""
    script = """async (body) => {
        const answer = await fetch("/app/api/say", {method: "POST", body: JSON.stringify(body),
            headers: {"Content-Type": "application/json",
                      "Authorization": "Bearer " + sessionStorage.getItem("opsbot_token")}});
        return {status: answer.status, body: await answer.json()};
    }"""
    answer = page.evaluate(script, body)
    assert isinstance(answer, dict), json.dumps(answer)
    return answer


def reply_texts(page: Page) -> list[str]:
    return [text.strip() for text in page.locator('[data-test="reply-text"]').all_inner_texts()]
