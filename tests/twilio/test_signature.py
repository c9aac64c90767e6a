"""Only Twilio, for our account, gets in: X-Twilio-Signature over the public URL Twilio called and the form,
checked on every webhook; malformed and oversized bodies are refused in one line before anything is done."""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

from urllib.parse import parse_qsl

import httpx
import pytest
import redis
from starlette.datastructures import ImmutableMultiDict
from twilio.request_validator import RequestValidator

from bot.twilio.webhooks import MAX_FORM_BYTES, twilio_routes
from core.errors import ConfigError
from fakes.twilio_api import signed_post
from tests.twilio.conftest import ACCOUNT, AUTH_TOKEN, PUBLIC, RecordingDesk, Webhooks, inbound_sms, sample
from tests.twilio.conftest import twilio_settings as settings_for

ENDPOINTS = ["/twilio/sms", "/twilio/voice?alert=42&token=t1", "/twilio/status?alert=42&token=t1&kind=sms"]


def test_twilios_own_signature_example_validates_and_its_variants_too() -> None:
    example = sample("twilio_request_signature_example.json")
    validator = RequestValidator(example["auth_token"])
    assert validator.compute_signature(example["url"], example["params"]) == example["expected_signature"]
    assert validator.validate(example["url"], example["params"], example["expected_signature"])
    assert validator.validate(example["url"], example["params"], example["url_with_port_443_expected_signature"])
    assert not validator.validate(example["url"], example["params"] | {"Digits": "9"}, example["expected_signature"])
    # Repeated fields, parsed as the webhooks parse a form: every value is signed.
    repeated = example["duplicate_params_variant"]
    form = ImmutableMultiDict(parse_qsl(repeated["form_body"], keep_blank_values=True))
    assert validator.validate(repeated["url"], form, repeated["expected_signature"])


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_request_without_a_valid_signature_is_refused(hooks: Webhooks, path: str) -> None:
    params = inbound_sms("42A", sid="SM" + "f" * 32) | {"MessageStatus": "delivered"}
    forged = [
        {"signature": ""},
        {"signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="},  # valid for another request
        {"token": "0" * 32},  # signed with another account's token
        {"public": str(hooks.client.base_url).rstrip("/")},  # over the URL the Host header gives: proxies change it
        {"public": "https://ops.example.com/other"},
    ]
    for forgery in forged:
        answer = hooks.post(path, params, **forgery)
        assert (answer.status_code, answer.text) == (403, "invalid Twilio signature"), forgery
    unsigned = hooks.client.post(path, data=params)
    assert (unsigned.status_code, unsigned.text) == (403, "invalid Twilio signature")
    assert hooks.desk.acts == [] and hooks.desk.results == []


def test_a_signed_request_altered_on_the_way_is_refused(hooks: Webhooks) -> None:
    params = inbound_sms("42R", sid="SM" + "e" * 32)
    sig = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + "/twilio/sms", params)
    tampered = [
        ("/twilio/sms", params | {"Body": "42A"}),
        ("/twilio/sms", params | {"Extra": "1"}),
        ("/twilio/sms?alert=1", params),
    ]
    for path, form in tampered:
        answer = hooks.client.post(path, data=form, headers={"X-Twilio-Signature": sig})
        assert answer.status_code == 403, (path, form)
    assert hooks.client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": sig}).status_code == 200
    assert hooks.desk.acts == [(42, "resolve", "alice", "SMS")]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_another_twilio_account_is_refused_even_when_signed(hooks: Webhooks, path: str) -> None:
    params = inbound_sms("42A", sid="SM" + "d" * 32) | {"AccountSid": "AC" + "0" * 32, "MessageStatus": "sent"}
    answer = hooks.post(path, params)
    assert (answer.status_code, answer.text) == (403, "not our Twilio account")
    without = {k: v for k, v in params.items() if k != "AccountSid"}
    assert hooks.post(path, without).status_code == 403
    assert hooks.desk.acts == [] and hooks.desk.results == []


def test_the_docs_status_callback_example_names_another_account(hooks: Webhooks) -> None:
    answer = hooks.post("/twilio/status?alert=42&token=t1&kind=sms", sample("twilio_sms_status_callback_docs.json"))
    assert (answer.status_code, answer.text) == (403, "not our Twilio account")


MALFORMED = [
    (b"Body=%FF%FE&From=x", "application/x-www-form-urlencoded", "malformed form body"),  # not UTF-8 once decoded
    (b"\xff\xfe\x00Body", "application/x-www-form-urlencoded", "malformed form body"),
    (b"Body=42A&&From", "application/x-www-form-urlencoded", "malformed form body"),
    (b"a=1&" * 300, "application/x-www-form-urlencoded", "malformed form body"),  # more fields than any Twilio form
    (b'{"Body": "42A"}', "application/json", "expected a form-encoded body"),
    (b"Body=42A", "", "expected a form-encoded body"),
]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_malformed_unsigned_bodies_are_refused_for_the_signature_before_they_are_parsed(
    hooks: Webhooks, path: str
) -> None:
    for body, content_type, _line in MALFORMED:
        for signature in ({}, {"X-Twilio-Signature": "x"}):
            answer = hooks.client.post(path, content=body, headers={"Content-Type": content_type, **signature})
            assert (answer.status_code, answer.text) == (403, "invalid Twilio signature"), body[:20]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_malformed_signed_bodies_are_refused_in_one_line(hooks: Webhooks, path: str) -> None:
    for body, content_type, line in MALFORMED:
        # Twilio signs the decoded fields; for a body it would never send, sign what a lenient reading gives.
        fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        form = ImmutableMultiDict([*fields, ("AccountSid", ACCOUNT)])
        raw = body + b"&AccountSid=" + ACCOUNT.encode()
        signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + path, form)
        answer = hooks.client.post(path, content=raw, headers={"Content-Type": content_type,
                                                               "X-Twilio-Signature": signature})  # fmt: skip
        assert (answer.status_code, answer.text) == (400, line), body[:20]
    assert hooks.desk.acts == [] and hooks.desk.results == []


def test_an_oversized_form_is_refused(hooks: Webhooks) -> None:
    params = inbound_sms("x" * MAX_FORM_BYTES, sid="SM" + "c" * 32)
    answer = hooks.post("/twilio/sms", params)
    assert (answer.status_code, answer.text) == (413, "form too large")
    assert hooks.desk.acts == []


def test_only_post_is_served(hooks: Webhooks) -> None:
    for path in ENDPOINTS:
        assert hooks.client.get(path).status_code == 405


def test_the_webhooks_need_the_public_url_and_credentials(redis_conn: redis.Redis) -> None:
    with pytest.raises(ConfigError, match=r"^OPSBOT_PUBLIC_URL is needed for Twilio callbacks$"):
        twilio_routes(settings_for(public_url=None), redis_conn, RecordingDesk())
    with pytest.raises(ConfigError, match="OPSBOT_TWILIO_AUTH_TOKEN"):
        twilio_routes(settings_for(twilio_auth_token=None), redis_conn, RecordingDesk())


def test_signed_post_reaches_an_app_by_url_too(hooks: Webhooks) -> None:
    answer = signed_post(str(hooks.client.base_url), "/twilio/sms", inbound_sms("Ahoy", sid="SM" + "b" * 32),
                         AUTH_TOKEN, PUBLIC)  # fmt: skip
    assert isinstance(answer, httpx.Response) and answer.status_code == 200
