"""Status callbacks: whether a page reached its person, handed to the desk once per status."""

from __future__ import annotations

import pytest

from tests.twilio.conftest import ACCOUNT, Webhooks, sample

SMS = "/twilio/status?alert=42&token=p-1&kind=sms"
CALL = "/twilio/status?alert=42&token=p-2&kind=call"


def sms_status(word: str, **more: str) -> dict[str, str]:
    params: dict[str, str] = sample("twilio_sms_status_callback_docs.json")
    return params | {"AccountSid": ACCOUNT, "MessageStatus": word, "SmsStatus": word, **more}


def call_status(word: str, **more: str) -> dict[str, str]:
    return {"AccountSid": ACCOUNT, "CallSid": "CA" + "3" * 32, "CallStatus": word, "Direction": "outbound-api",
            "From": "+15558675310", "To": "+15017122661", "ApiVersion": "2010-04-01", **more}  # fmt: skip


def test_the_docs_example_sent_is_not_final(hooks: Webhooks) -> None:
    answer = hooks.post(SMS, sms_status("sent"))
    assert (answer.status_code, answer.text) == (204, "")
    assert hooks.desk.results == [(42, "p-1", "sent", None)]


@pytest.mark.parametrize(
    ("word", "extra", "status", "reached"),
    [
        ("delivered", {}, "delivered", True),
        ("undelivered", {"ErrorCode": "30003"}, "undelivered 30003", False),
        ("failed", {"ErrorCode": "30008"}, "failed 30008", False),
        ("queued", {}, "queued", None),
        ("accepted", {}, "accepted", None),
        ("sending", {}, "sending", None),
        ("read", {}, "read", None),  # a status opsbot does not know is not final
    ],
)
def test_sms_statuses(hooks: Webhooks, word: str, extra: dict[str, str], status: str, reached: bool | None) -> None:
    assert hooks.post(SMS, sms_status(word, **extra)).status_code == 204
    assert hooks.desk.results == [(42, "p-1", status, reached)]


@pytest.mark.parametrize(
    ("word", "reached"),
    [("completed", None), ("busy", False), ("no-answer", False), ("failed", False), ("canceled", False),
     ("ringing", None), ("in-progress", None), ("queued", None), ("initiated", None)],
)  # fmt: skip
def test_call_statuses(hooks: Webhooks, word: str, reached: bool | None) -> None:
    assert hooks.post(CALL, call_status(word, CallDuration="0")).status_code == 204
    assert hooks.desk.results == [(42, "p-2", word, reached)]


def test_a_replayed_status_reaches_the_desk_once(hooks: Webhooks) -> None:
    for _ in range(3):
        assert hooks.post(CALL, call_status("no-answer")).status_code == 204
    assert hooks.post(CALL, call_status("completed")).status_code == 204  # another status of the same call
    assert hooks.desk.results == [(42, "p-2", "no-answer", False), (42, "p-2", "completed", None)]


def test_a_bad_callback_url_or_form_is_refused(hooks: Webhooks) -> None:
    cases = [
        ("/twilio/status?alert=42&token=p-1", sms_status("sent"), "kind must be sms or call"),
        ("/twilio/status?alert=42&token=p-1&kind=fax", sms_status("sent"), "kind must be sms or call"),
        ("/twilio/status?token=p-1&kind=sms", sms_status("sent"), "missing or bad alert or token"),
        (CALL, {k: v for k, v in call_status("busy").items() if k != "CallStatus"}, "missing status"),
    ]
    for path, params, line in cases:
        answer = hooks.post(path, params)
        assert (answer.status_code, answer.text) == (400, line), path
    assert hooks.desk.results == []


def test_a_failure_behind_the_desk_is_a_500_and_twilios_retry_is_recorded(hooks: Webhooks) -> None:
    calls = 0
    record = hooks.desk.page_result

    def flaky(number: int, token: str, status: str, reached: bool | None) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("redis down")
        record(number, token, status, reached)

    hooks.desk.page_result = flaky  # type: ignore[method-assign]
    answer = hooks.post(CALL, call_status("busy"))
    assert (answer.status_code, answer.text) == (500, "internal error; try again")
    assert hooks.post(CALL, call_status("busy")).status_code == 204
    assert hooks.desk.results == [(42, "p-2", "busy", False)]
