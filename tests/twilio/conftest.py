"""The Twilio side on real parts: the real `twilio` client against the fake REST API on 127.0.0.1; the
webhooks served by uvicorn on a free port, on the real test Redis; and a PhoneDesk that records what it was
asked."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest
import redis
import uvicorn
from starlette.applications import Starlette

from alerts.desk import PhoneAction, PhoneVia
from bot.twilio.webhooks import twilio_routes
from core.settings import Settings
from fakes.twilio_api import FakeTwilioAPI, signed_post
from tests.payloads import sample_json

ACCOUNT = "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"  # the inbound samples' account
AUTH_TOKEN = "f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8"
OUR_NUMBER = "+15558675310"  # the samples' `To`
PUBLIC = "https://ops.example.com"
ALICE_PHONE = "+15017122661"  # the samples' `From`
BOB_PHONE = "+15550100002"
STRANGER_PHONE = "+15550100099"
SPOKEN = "Critical alert 42 on web-prod: 5 x x errors above 5 percent."
_PAST = {"ack": "acknowledged", "resolve": "resolved", "escalate": "escalated"}


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = sample_json(name)
    return data


class RecordingDesk:
    """The PhoneDesk protocol over a few dicts: alice was paged for 42 and 77 (77 is no longer known), bob for
    nothing. Records every act and page result."""

    def __init__(self) -> None:
        self.phones = {ALICE_PHONE: "alice", BOB_PHONE: "bob"}
        self.paged = {(42, "alice"), (77, "alice")}
        self.spoken_texts = {42: SPOKEN, 43: "Warning alert 43."}
        self.acts: list[tuple[int, PhoneAction, str, PhoneVia]] = []
        self.results: list[tuple[int, str, str, bool | None]] = []
        self.fail_acts = 0  # the next acts raise (a Redis outage behind the desk)

    def person_for_phone(self, phone: str) -> str | None:
        return self.phones.get(phone)

    def was_paged(self, number: int, person: str) -> bool:
        return (number, person) in self.paged

    def spoken(self, number: int) -> str | None:
        return self.spoken_texts.get(number)

    def act(self, number: int, action: PhoneAction, person: str, via: PhoneVia) -> str:
        if self.fail_acts:
            self.fail_acts -= 1
            raise RuntimeError("desk unavailable")
        self.acts.append((number, action, person, via))
        return f"Alert {number} {_PAST[action]}."

    def page_result(self, number: int, token: str, status: str, reached: bool | None) -> None:
        self.results.append((number, token, status, reached))


def twilio_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "twilio_account_sid": ACCOUNT,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from": OUR_NUMBER,
        "public_url": PUBLIC + "/",
    }
    return Settings(**(values | overrides))


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilioAPI]:
    with FakeTwilioAPI(ACCOUNT, AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def desk() -> RecordingDesk:
    return RecordingDesk()


class Webhooks:
    """The webhook routes in a running app, and Twilio's way of calling them."""

    def __init__(self, client: httpx.Client, desk: RecordingDesk, connection: redis.Redis) -> None:
        self.client, self.desk, self.redis = client, desk, connection

    def post(self, path: str, params: Mapping[str, str], *, token: str = AUTH_TOKEN, public: str = PUBLIC,
             signature: str | None = None) -> httpx.Response:  # fmt: skip
        return signed_post(self.client, path, params, token, public, signature=signature)

    def sms(self, body: str, *, sid: str = "SM" + "1" * 32, phone: str = ALICE_PHONE) -> httpx.Response:
        return self.post("/twilio/sms", inbound_sms(body, sid=sid, phone=phone))

    def voice(self, query: str, *, digits: str | None = None, call: str = "CA" + "1" * 32, callee: str = ALICE_PHONE,
              extra: Mapping[str, str] | None = None) -> httpx.Response:  # fmt: skip
        params = {"AccountSid": ACCOUNT, "CallSid": call, "From": OUR_NUMBER, "To": callee, "Direction": "outbound-api",
                  "CallStatus": "in-progress", "ApiVersion": "2010-04-01"}  # fmt: skip
        if digits is not None:
            params["Digits"] = digits
        return self.post(f"/twilio/voice?{query}", params | dict(extra or {}))


def inbound_sms(body: str, *, sid: str, phone: str = ALICE_PHONE) -> dict[str, str]:
    """Twilio Labs' inbound SMS, with our text, sid and sender."""
    params: dict[str, str] = sample("twilio_sms_inbound_webhook_twilio_labs.json")["body"]
    return params | {"Body": body, "MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "From": phone}


@pytest.fixture
def hooks(redis_conn: redis.Redis, desk: RecordingDesk) -> Iterator[Webhooks]:
    app = Starlette(routes=twilio_routes(twilio_settings(), redis_conn, desk))
    with serving(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield Webhooks(client, desk, redis_conn)


@contextlib.contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """`app` under uvicorn on a free port of 127.0.0.1, in a thread; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="twilio-webhooks", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
