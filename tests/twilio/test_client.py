"""TwilioPager through the real twilio client to the fake REST API: what crosses the wire, and how Twilio's
refusals and outages come back (PageFailed for good, transient otherwise), never showing the auth token."""

from __future__ import annotations

import logging
import socket
import traceback
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.twilio.client import TwilioPager
from core.errors import ConfigError, TransientProviderError
from fakes.twilio_api import FakeTwilioAPI
from tests.twilio.conftest import ACCOUNT, AUTH_TOKEN, OUR_NUMBER, PUBLIC, twilio_settings
from workers.paging import PageFailed, PageRef

PAGE = PageRef(alert=42, token="p-7f3a", person="alice")
TEXT = "ALERT 42 CRIT web-prod 5xx>5%. Reply 42A ack, 42R resolve"


def pager_for(api: FakeTwilioAPI, **overrides: str) -> TwilioPager:
    return TwilioPager(twilio_settings(twilio_api_url=api.url, **overrides))


def _shows_token(exc: BaseException) -> bool:
    return AUTH_TOKEN in "".join(traceback.format_exception(exc))


def test_an_sms_page_goes_out_with_its_status_callback(fake_twilio: FakeTwilioAPI) -> None:
    sid = pager_for(fake_twilio).sms("+15550100001", TEXT, PAGE)
    [sms] = fake_twilio.sms_sent
    assert sid == sms.sid and sid.startswith("SM")
    assert (sms.to, sms.from_, sms.body) == ("+15550100001", OUR_NUMBER, TEXT)
    assert sms.status_callback == f"{PUBLIC}/twilio/status?alert=42&token=p-7f3a&kind=sms"
    [request] = fake_twilio.requests
    assert request.authorized and request.account == ACCOUNT


def test_a_call_page_asks_twilio_for_our_voice_url_and_the_final_status(fake_twilio: FakeTwilioAPI) -> None:
    sid = pager_for(fake_twilio).call("+15550100001", PAGE)
    [call] = fake_twilio.calls_placed
    assert sid == call.sid and sid.startswith("CA")
    assert (call.to, call.from_) == ("+15550100001", OUR_NUMBER)
    assert call.url == f"{PUBLIC}/twilio/voice?alert=42&token=p-7f3a"
    assert call.status_callback == f"{PUBLIC}/twilio/status?alert=42&token=p-7f3a&kind=call"
    assert call.status_callback_event == ("completed",)
    assert call.timeout == 25


def test_a_page_token_with_url_characters_survives_the_round_trip(fake_twilio: FakeTwilioAPI) -> None:
    page = PageRef(alert=7, token="a b&c=d/é", person="bob")
    pager_for(fake_twilio).sms("+15550100002", "x", page)
    query = parse_qs(urlsplit(fake_twilio.sms_sent[0].status_callback or "").query)
    assert query == {"alert": ["7"], "token": ["a b&c=d/é"], "kind": ["sms"]}


def test_an_invalid_number_is_a_page_failure_with_twilios_message(
    fake_twilio: FakeTwilioAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PageFailed) as failed:
        pager_for(fake_twilio).sms("5550100", TEXT, PAGE)
    assert str(failed.value) == (
        "Twilio refused the SMS to 5550100: The 'To' number 5550100 is not a valid phone number. (21211)"
    )
    assert not _shows_token(failed.value)
    assert AUTH_TOKEN not in caplog.text
    assert fake_twilio.sms_sent == []


def test_a_programmed_400_on_a_call_is_a_page_failure(fake_twilio: FakeTwilioAPI) -> None:
    fake_twilio.fail_next(1, status=400, code=21215, message="Geo permission not enabled for +881", kind="Calls")
    with pytest.raises(PageFailed, match=r"^Twilio refused the call to \+15550100001: Geo permission .* \(21215\)$"):
        pager_for(fake_twilio).call("+15550100001", PAGE)


@pytest.mark.parametrize("status", [500, 503, 429])
def test_throttling_and_server_errors_are_transient_and_a_retry_goes_through(
    fake_twilio: FakeTwilioAPI, status: int
) -> None:
    pager = pager_for(fake_twilio)
    fake_twilio.fail_next(1, status=status)
    with pytest.raises(TransientProviderError, match=rf"^Twilio answered HTTP {status} to the SMS") as failed:
        pager.sms("+15550100001", TEXT, PAGE)
    assert not isinstance(failed.value, PageFailed)
    assert not _shows_token(failed.value)
    assert pager.sms("+15550100001", TEXT, PAGE).startswith("SM")  # what the caller's retry does
    assert len(fake_twilio.sms_sent) == 1


def test_twilio_out_of_reach_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    pager = TwilioPager(twilio_settings(twilio_api_url=closed))
    with pytest.raises(TransientProviderError, match=r"^Twilio unreachable for the call to \+15550100001 \(") as failed:
        pager.call("+15550100001", PAGE)
    assert not _shows_token(failed.value)


def test_a_wrong_auth_token_is_refused_without_showing_either_token(
    fake_twilio: FakeTwilioAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "0" * 31 + "1"
    refused = r"^Twilio refused the SMS to \+15550100001: Authenticate \(20003\)$"
    with pytest.raises(PageFailed, match=refused) as failed:
        pager_for(fake_twilio, twilio_auth_token=wrong).sms("+15550100001", TEXT, PAGE)
    assert wrong not in "".join(traceback.format_exception(failed.value)) + caplog.text
    [request] = fake_twilio.requests
    assert not request.authorized and request.status == 401


def test_the_pager_needs_a_public_url_for_twilios_callbacks() -> None:
    with pytest.raises(ConfigError, match=r"^OPSBOT_PUBLIC_URL is needed for Twilio callbacks$"):
        TwilioPager(twilio_settings(public_url=None))
    with pytest.raises(ConfigError, match="OPSBOT_TWILIO_FROM"):
        TwilioPager(twilio_settings(twilio_from=None))
