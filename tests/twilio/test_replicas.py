"""Two `opsbot serve` replicas behind one public URL, on one Redis: Twilio's retry of a webhook, or a replayed
capture of it, may reach the other replica - even while the first is still acting on it. An SMS reply, a keypress
and a delivery status each act once, whichever replica gets each copy."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest
import redis
from starlette.applications import Starlette

from alerts.desk import PhoneAction, PhoneVia
from bot.twilio.webhooks import twilio_routes
from tests.eventually import eventually
from tests.twilio.conftest import ACCOUNT, RecordingDesk, Webhooks, serving, twilio_settings

SID = "SM" + "b2" * 16
CALL = "CA" + "4" * 32
PAGE = "alert=42&token=p-1"


class HeldDesk(RecordingDesk):
    """Acts only when the test lets it: a replica stays in the middle of acting while the copy reaches the other."""

    def __init__(self) -> None:
        super().__init__()
        self.acting = threading.Event()
        self.go_on = threading.Event()

    def act(self, number: int, action: PhoneAction, person: str, via: PhoneVia) -> str:
        self.acting.set()
        assert self.go_on.wait(15), "the test never let the desk act"
        return super().act(number, action, person, via)

    def page_result(self, number: int, token: str, status: str, reached: bool | None) -> None:
        self.acting.set()
        assert self.go_on.wait(15), "the test never let the desk record"
        super().page_result(number, token, status, reached)


@pytest.fixture
def desk() -> HeldDesk:
    return HeldDesk()


@pytest.fixture
def replicas(redis_conn: redis.Redis, desk: HeldDesk) -> Iterator[tuple[Webhooks, Webhooks]]:
    """Two apps with the webhooks, each its own server, sharing Redis (and, here, one recording desk)."""
    first = Starlette(routes=twilio_routes(twilio_settings(), redis_conn, desk))
    second = Starlette(routes=twilio_routes(twilio_settings(), redis_conn, desk))
    with serving(first) as url_a, serving(second) as url_b, httpx.Client(base_url=url_a, timeout=20) as a, \
            httpx.Client(base_url=url_b, timeout=20) as b:  # fmt: skip
        yield Webhooks(a, desk, redis_conn), Webhooks(b, desk, redis_conn)


def _while_acting(desk: HeldDesk, first: Future[httpx.Response]) -> None:
    eventually(lambda: desk.acting.is_set() or first.done(), what="the first replica acting")
    assert not first.done(), first.result().text


def _said(answer: httpx.Response, tag: str) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [str(element.text) for element in ET.fromstring(answer.text).iter(tag)]


def test_an_sms_reply_reaching_both_replicas_acknowledges_once(
    replicas: tuple[Webhooks, Webhooks], desk: HeldDesk
) -> None:
    a, b = replicas
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(a.sms, "42A", sid=SID)
        _while_acting(desk, first)
        assert _said(b.sms("42A", sid=SID), "Message") == []  # taken by the other: no second act, no second SMS
        desk.go_on.set()
        assert _said(first.result(), "Message") == ["Alert 42 acknowledged."]
    assert _said(b.sms("42A", sid=SID), "Message") == []  # Twilio's retry, later
    assert desk.acts == [(42, "ack", "alice", "SMS")]


def test_a_keypress_reaching_both_replicas_acts_once(replicas: tuple[Webhooks, Webhooks], desk: HeldDesk) -> None:
    a, b = replicas
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(a.voice, PAGE, digits="1", call=CALL)
        _while_acting(desk, first)
        assert _said(b.voice(PAGE, digits="1", call=CALL), "Say") == ["Already done. Goodbye."]
        desk.go_on.set()
        assert _said(first.result(), "Say") == ["Alert 42 acknowledged."]
    assert _said(b.voice(PAGE, digits="1", call=CALL), "Say") == ["Alert 42 acknowledged."]  # the line it got
    assert desk.acts == [(42, "ack", "alice", "phone")]


def test_a_status_reaching_both_replicas_is_recorded_once(replicas: tuple[Webhooks, Webhooks], desk: HeldDesk) -> None:
    a, b = replicas
    status = {"AccountSid": ACCOUNT, "CallSid": CALL, "CallStatus": "no-answer", "Direction": "outbound-api",
              "From": "+15558675310", "To": "+15017122661", "ApiVersion": "2010-04-01"}  # fmt: skip
    path = "/twilio/status?alert=42&token=p-2&kind=call"
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(a.post, path, status)
        _while_acting(desk, first)
        assert b.post(path, status).status_code == 204
        desk.go_on.set()
        assert first.result().status_code == 204
    assert desk.results == [(42, "p-2", "no-answer", False)]
