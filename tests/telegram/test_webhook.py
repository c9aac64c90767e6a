"""Webhook mode: only Telegram (which knows the secret token) gets in; bad bodies are refused; the webhook is
registered with Telegram on start."""

from __future__ import annotations

from tests.telegram import updates
from tests.telegram.conftest import SECRET, StackFactory
from tests.telegram.updates import ALICE


def test_start_registers_the_webhook_with_its_secret(make_stack: StackFactory) -> None:
    stack = make_stack("webhook")
    [call] = stack.api.calls("setWebhook")
    assert call.params["url"] == stack.url + "/telegram/webhook"
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query"]
    assert stack.api.calls("getUpdates") == []  # no long polling beside the webhook
    assert stack.http.get(stack.url + "/readyz").status_code == 200


def test_a_request_without_the_right_secret_is_refused_and_not_processed(make_stack: StackFactory) -> None:
    stack = make_stack("webhook")
    for secret in (None, "", "wrong-secret", SECRET + "x", SECRET[:-1], SECRET.upper()):
        update = {**updates.text("/scale web-prod 20"), "update_id": stack.api.next_update_id()}
        assert stack.post(update, secret=secret).status_code == 401, secret
    stack.say("help scale")
    stack.settled()
    assert [m.text.split(":")[0] for m in stack.api.messages(ALICE)] == ["scale"]  # only the sentinel's answer


def test_a_body_that_is_not_an_update_is_refused(make_stack: StackFactory) -> None:
    stack = make_stack("webhook")
    bodies: list[updates.Update | bytes] = [
        b"{not json",
        b"\xff\xfe\x00",
        b"[]",
        b'{"message": {"text": "status"}}',  # no update_id
        updates.sample("telegram_update_callback_query_docs.json"),  # the docs example lacks is_bot
    ]
    for body in bodies:
        assert stack.post(body).status_code == 400, body
    assert stack.api.calls("answerCallbackQuery") == []


def test_an_update_delivered_twice_is_handled_once(make_stack: StackFactory) -> None:
    stack = make_stack("webhook")
    update = {**updates.text("help scale"), "update_id": stack.api.next_update_id()}
    assert stack.post(update).status_code == 200
    assert stack.post(update).status_code == 200  # Telegram retrying after a lost 200
    stack.say("help stop")
    stack.settled()
    assert [m.text.split()[0] for m in stack.api.messages(ALICE)] == ["scale:", "start"]


def test_long_polling_has_no_webhook_route(make_stack: StackFactory) -> None:
    stack = make_stack("polling")
    response = stack.post(updates.text("status"))
    assert response.status_code == 404
    assert stack.api.calls("setWebhook") == []
    assert stack.http.get(stack.url + "/readyz").status_code == 200
