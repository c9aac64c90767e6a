"""Acting from the dashboard over real HTTP: the same preview and single-use confirmation as chat, the policy's
refusal for a viewer, and a critical action whose approval card also goes to chat, where the other admin approves
it. Later replies arrive in the page's live stream."""

from __future__ import annotations

import httpx

from bot.runtime import Runtime
from core.models import ConversationRef, Message
from tests.eventually import eventually
from tests.web.harness import Dashboard, events, next_event, sign_in

ALICE, BOB, CAROL, DAVE = 123456789, 234567890, 345678901, 456789012


def _say(client: httpx.Client, **body: str) -> list[dict[str, object]]:
    answer = client.post("/app/api/say", json=body)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["replies"])


def _button(reply: dict[str, object], label: str) -> str:
    buttons = reply["buttons"]
    assert isinstance(buttons, list)
    return str(next(b["id"] for b in buttons if b["label"].startswith(label)))


def test_preview_then_confirm_once_with_progress_in_the_live_stream(dashboard: Dashboard) -> None:
    with dashboard.client() as alice, dashboard.client() as bob:
        sign_in(alice, ALICE)
        sign_in(bob, BOB)
        [preview] = _say(alice, text="restart db-prod")
        assert preview["kind"] == "confirm" and "Confirm within" in str(preview["text"])
        confirm = _button(preview, "Confirm")
        [refused] = _say(bob, button=confirm)  # bound to alice's conversation and person
        assert refused["text"] == "That confirmation belongs to another conversation."
        with alice.stream("GET", "/app/api/events") as live:
            stream = events(live)
            next_event(stream, "board")
            assert _say(alice, button=confirm) == []
            running = next_event(stream, "reply").json()
            assert isinstance(running, dict) and running["edit_of"] == preview["key"]
            assert str(running["text"]).startswith("Confirmed by alice")
            [again] = _say(alice, button=confirm)  # single use
            assert str(again["text"]).startswith("Already confirmed by alice")
            done = eventually(lambda: _done(stream), what="the restart's result")
            assert "db-prod" in done


def _done(stream: object) -> str | None:
    reply = next_event(stream, "reply").json()  # type: ignore[arg-type]
    assert isinstance(reply, dict)
    text = str(reply["text"])
    return text if text.startswith("Done") else None


def test_a_viewer_is_refused_by_the_policy(dashboard: Dashboard) -> None:
    with dashboard.client() as dave:
        sign_in(dave, DAVE)
        [refusal] = _say(dave, text="restart db-prod")
        assert refusal["kind"] == "refusal" and not refusal["buttons"]


def test_bad_say_requests_are_one_line(dashboard: Dashboard) -> None:
    with dashboard.client() as alice:
        sign_in(alice, ALICE)
        assert alice.post("/app/api/say", json={}).json() == {"error": 'Send {"text": "..."} or {"button": "..."}.'}
        long = alice.post("/app/api/say", json={"text": "x" * 5000})
        assert long.status_code == 413 and "too long" in long.json()["error"]
        assert alice.post("/app/api/say", content=b"{").status_code == 400


def test_a_critical_action_from_the_app_is_approved_by_the_other_admin_in_chat(
    dashboard: Dashboard, runtime: Runtime
) -> None:
    with dashboard.client() as carol:
        sign_in(carol, CAROL)
        [card] = _say(carol, text="fail over api-prod to dr")
        assert "needs approval by an admin other than carol" in str(card["text"])
        approve = _button(card, "Approve")
        [own] = _say(carol, button=approve)
        assert own["text"] == "carol asked for this: another admin must approve it"
        # No incident channel is set: erin, the other admin, gets the card by direct message on Telegram.
        [(_, copy)] = [(i, r) for i, r in runtime.outbox.read("telegram") if r.key.startswith("urgent-approve-")]
        assert copy.ref == ConversationRef(channel="telegram", conversation_id="567890123")
        assert copy.text.startswith("carol asked from the dashboard:") and [b.id for b in copy.buttons] == [approve]
        with carol.stream("GET", "/app/api/events") as live:
            stream = events(live)
            next_event(stream, "board")
            press = Message(ref=copy.ref, sender="567890123", button_id=approve, received_at=0)
            [told] = runtime.conversation.handle(press)
            assert told.text.startswith("Approved carol's request - running.")
            approved = next_event(stream, "reply").json()
            assert isinstance(approved, dict) and str(approved["text"]).startswith("Approved by erin")
