"""A fake Twilio REST API on 127.0.0.1 for the real `twilio` client to talk to, in a background thread.

It serves `POST /2010-04-01/Accounts/{sid}/Messages.json` and `.../Calls.json` as Twilio does: form-encoded
parameters, HTTP basic auth with the account sid and auth token (401 otherwise), 201 with Twilio-shaped JSON
("SM..."/"CA..." sids, status "queued"), 400 with Twilio's error JSON for a missing or invalid parameter
(21211: the 'To' number is not a valid phone number). It records every request, and can be told to fail the
next requests (500, 429, 400 ...).

`signed_post` plays Twilio's side of a webhook: it signs the form with RequestValidator as Twilio does, over
the public URL Twilio would have called."""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Literal
from urllib.parse import parse_qsl

import httpx
from twilio.request_validator import RequestValidator

from fakes.loopback import LoopbackHandler, LoopbackServer

_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/(?P<kind>Messages|Calls)\.json$")
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_PHRASES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}  # fmt: skip

Json = dict[str, object]
Kind = Literal["Messages", "Calls"]


@dataclass(frozen=True)
class ApiRequest:
    kind: str  # "Messages", "Calls", or the path when it is neither
    account: str
    params: dict[str, list[str]]
    authorized: bool
    status: int  # what the fake answered

    def one(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[0] if values else None


@dataclass(frozen=True)
class SentSms:
    sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None


@dataclass(frozen=True)
class PlacedCall:
    sid: str
    to: str
    from_: str
    url: str
    status_callback: str | None
    status_callback_event: tuple[str, ...]
    timeout: int | None


class TwilioError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def payload(self) -> Json:
        return {"code": self.code, "message": self.message, "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
                "status": self.status}  # fmt: skip


class FakeTwilioAPI(LoopbackServer):
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self._lock = threading.Condition()
        self._requests: list[ApiRequest] = []
        self._sms: list[SentSms] = []
        self._calls: list[PlacedCall] = []
        self._failures: list[tuple[Kind | None, TwilioError]] = []
        self._ids = itertools.count(1)
        super().__init__(_handler_for(self), "fake-twilio")

    # -- what the test controls ----------------------------------------------------------------------
    def fail_next(
        self, times: int, status: int = 500, code: int | None = None, message: str | None = None,
        kind: Kind | None = None,
    ) -> None:  # fmt: skip
        """The next `times` requests (of `kind`, or any) answer `status` with Twilio's error JSON."""
        if status == 400 and code is None:
            code, message = 21211, message or "The 'To' number +15005550001 is not a valid phone number."
        error = TwilioError(status, code or 20000 + status, message or _PHRASES.get(status, "Error"))
        with self._lock:
            self._failures.extend([(kind, error)] * times)

    # -- what the test observes ----------------------------------------------------------------------
    @property
    def requests(self) -> list[ApiRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def sms_sent(self) -> list[SentSms]:
        with self._lock:
            return list(self._sms)

    @property
    def calls_placed(self) -> list[PlacedCall]:
        with self._lock:
            return list(self._calls)

    def wait_for(self, predicate: Callable[[FakeTwilioAPI], bool], timeout: float = 15.0) -> None:
        """Block until `predicate(self)` holds; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:  # re-entrant: the predicate may read the properties
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"fake Twilio: condition not met within {timeout:g} s")
                self._lock.wait(min(left, 0.05))

    # -- the API -------------------------------------------------------------------------------------
    def handle(self, path: str, authorization: str | None, body: bytes) -> tuple[int, Json]:
        params: dict[str, list[str]] = {}
        for key, value in parse_qsl(body.decode(), keep_blank_values=True):
            params.setdefault(key, []).append(value)
        match = _PATH.match(path.split("?", 1)[0])
        authorized = _basic(authorization) == (self.account_sid, self.auth_token)
        status, payload = self._answer(match, authorized, params)
        with self._lock:
            kind = match["kind"] if match else path
            self._requests.append(ApiRequest(kind, match["sid"] if match else "", params, authorized, status))
            self._lock.notify_all()
        return status, payload

    def _answer(self, match: re.Match[str] | None, authorized: bool, params: dict[str, list[str]]) -> tuple[int, Json]:
        try:
            if match is None:
                raise TwilioError(404, 20404, "The requested resource was not found")
            if not authorized or match["sid"] != self.account_sid:
                raise TwilioError(401, 20003, "Authenticate")
            with self._lock:
                failure = next((f for f in self._failures if f[0] in (None, match["kind"])), None)
                if failure is not None:
                    self._failures.remove(failure)
                    raise failure[1]
                if match["kind"] == "Messages":
                    return 201, self._message(params)
                return 201, self._call(params)
        except TwilioError as err:
            return err.status, err.payload()

    def _message(self, params: dict[str, list[str]]) -> Json:
        to, from_, body = _required(params, "To", 21604), _required(params, "From", 21603), _one(params, "Body")
        if not body:
            raise TwilioError(400, 21602, "Message body is required.")
        sms = SentSms(f"SM{next(self._ids):032x}", to, from_, body, _one(params, "StatusCallback"))
        self._sms.append(sms)
        return {**self._resource("Messages", sms.sid, to, from_), "body": body, "num_segments": "1", "num_media": "0",
                "error_code": None, "error_message": None, "messaging_service_sid": None}  # fmt: skip

    def _call(self, params: dict[str, list[str]]) -> Json:
        to, from_ = _required(params, "To", 21201), _required(params, "From", 21213)
        url = _one(params, "Url")
        if not url:
            raise TwilioError(400, 21205, "Url parameter is required.")
        timeout = _one(params, "Timeout")
        call = PlacedCall(f"CA{next(self._ids):032x}", to, from_, url, _one(params, "StatusCallback"),
                          tuple(params.get("StatusCallbackEvent", [])), int(timeout) if timeout else None)  # fmt: skip
        self._calls.append(call)
        return {**self._resource("Calls", call.sid, to, from_), "parent_call_sid": None, "duration": None,
                "answered_by": None, "caller_name": None}  # fmt: skip

    def _resource(self, kind: str, sid: str, to: str, from_: str) -> Json:
        now = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        return {"sid": sid, "account_sid": self.account_sid, "to": to, "from": from_, "status": "queued",
                "direction": "outbound-api", "api_version": "2010-04-01", "date_created": now, "date_updated": now,
                "price": None, "price_unit": "USD",
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/{kind}/{sid}.json"}  # fmt: skip


def signed_post(
    client_or_url: httpx.Client | str,
    path_with_query: str,
    params: Mapping[str, str],
    auth_token: str,
    public_url: str,
    *,
    signature: str | None = None,
) -> httpx.Response:
    """POST `params` form-encoded to `path_with_query` as Twilio does, signed over `public_url` + that path
    (the URL Twilio was given). `client_or_url`: a client whose base URL serves the app (a starlette
    TestClient), or the app's base URL. `signature` overrides the computed one (forgery tests)."""
    url = public_url.rstrip("/") + path_with_query
    sig = RequestValidator(auth_token).compute_signature(url, dict(params)) if signature is None else signature
    headers = {"X-Twilio-Signature": sig, "User-Agent": "TwilioProxy/1.1"}
    if isinstance(client_or_url, str):
        return httpx.post(client_or_url.rstrip("/") + path_with_query, data=dict(params), headers=headers)
    return client_or_url.post(path_with_query, data=dict(params), headers=headers)


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except ValueError:
        return None
    return user, password


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def _required(params: dict[str, list[str]], name: str, code: int) -> str:
    value = _one(params, name)
    if not value:
        raise TwilioError(400, code, f"A '{name}' phone number is required.")
    if not _E164.match(value):
        code = 21211 if name == "To" else 21212
        raise TwilioError(400, code, f"The '{name}' number {value} is not a valid phone number.")
    return value


def _handler_for(api: FakeTwilioAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, payload = api.handle(self.path, self.headers.get("Authorization"), body)
            headers = {"Content-Type": "application/json"}
            if status == 401:
                headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            self.reply(status, json.dumps(payload).encode(), headers)

    return Handler
