"""Who may post alerts: a source configured in `alert_sources` presents its token (bearer, basic-auth password or
`?token=`) or signs the body with its HMAC secret. A signature is good for 300 s and for one request only: the
`ReplayGuard` remembers each one in Redis (the chat adapters use it too, through `OrderedReplayGuard`, for Slack's
event and trigger ids and Telegram's update ids). Refusals are one line and never contain what was presented."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import redis
from pydantic import SecretStr

from core.alert_config import AlertSourceAuth
from core.errors import OpsbotError

TIMESTAMP_HEADER = "X-Opsbot-Timestamp"
SIGNATURE_HEADER = "X-Opsbot-Signature"
MAX_SKEW_SECONDS = 300
SEEN_SECONDS = 600  # longer than the +-300 s window, so a signature cannot come back after being forgotten
_STAMP = re.compile(r"[0-9]{1,12}")


class Unauthorized(OpsbotError):
    """The request did not prove it comes from the source; `str(err)` says why in one line."""


class ReplayGuard:
    """Remembers what was already accepted (a signature, an SNS MessageId) for a while: SET NX EX in Redis."""

    PREFIX = "opsbot:intake:seen:"

    def __init__(self, connection: redis.Redis, prefix: str = PREFIX) -> None:
        self._connection = connection
        self._prefix = prefix

    def first_time(self, token: str, ttl_seconds: int = SEEN_SECONDS) -> bool:
        """True the first time `token` is seen within `ttl_seconds`, False for a repeat."""
        return bool(self._connection.set(self._key(token), 1, nx=True, ex=ttl_seconds))

    def forget(self, token: str) -> None:
        """Undo `first_time`, when the request it let through could not be completed and will be retried."""
        self._connection.delete(self._key(token))

    def _key(self, token: str) -> str:
        return self._prefix + hashlib.sha256(token.encode()).hexdigest()


class OrderedReplayGuard:
    """A ReplayGuard for an event loop. Its Redis calls run one at a time on a thread of their own, so the
    answers come back in the order they were asked: a chat adapter that awaits it before handing a message on
    keeps messages in arrival order. Raises redis.RedisError; the caller decides whether to let the message
    through."""

    def __init__(self, guard: ReplayGuard, ttl_seconds: int = SEEN_SECONDS) -> None:
        self._guard = guard
        self._ttl = ttl_seconds
        self._thread: ThreadPoolExecutor | None = None

    async def first_time(self, token: str) -> bool:
        if self._thread is None:  # made on first use, and again after close(): an adapter may be restarted
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replays")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._guard.first_time, token, self._ttl)

    def close(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.shutdown(wait=False)


def check(
    auth: AlertSourceAuth,
    request_headers: Mapping[str, str],
    query_params: Mapping[str, str],
    body: bytes,
    now: float,
    seen: ReplayGuard,
) -> str | None:
    """Return when the request carries the source's token or a fresh, unused signature; else raise Unauthorized.
    Returns the replay-guard token a signature used (None for a bearer token): `seen.forget` it when the request
    cannot be completed, so that the sender's retry of the same signed request is not taken for a replay.
    May raise redis.RedisError (the replay guard is in Redis)."""
    headers = {key.lower(): value for key, value in request_headers.items()}
    presented = _presented_tokens(headers, query_params)
    if auth.token is not None and any(_same(given, auth.token) for given in presented):
        return None
    signed = TIMESTAMP_HEADER.lower() in headers or SIGNATURE_HEADER.lower() in headers
    if auth.hmac_secret is not None and signed:
        return _check_signature(auth.hmac_secret, headers, body, now, seen)
    if auth.token is not None and presented:
        raise Unauthorized("wrong token")
    if auth.token is not None and auth.hmac_secret is not None:
        raise Unauthorized(f"missing credentials: send a bearer token or {SIGNATURE_HEADER}")
    if auth.token is not None:
        raise Unauthorized("missing token: send Authorization: Bearer <token>")
    raise Unauthorized(f"missing signature: send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}")


def _presented_tokens(headers: Mapping[str, str], query_params: Mapping[str, str]) -> list[str]:
    """Every token the request offers: bearer, basic-auth password (any user), `?token=`. A malformed
    Authorization header counts as a wrong token rather than as none."""
    found: list[str] = []
    scheme, _, value = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer":
        found.append(value.strip())
    elif scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, ValueError):
            decoded = ""
        found.append(decoded.partition(":")[2])
    elif scheme:
        found.append("")
    if "token" in query_params:
        found.append(query_params["token"])
    return found


def _same(given: str, secret: SecretStr) -> bool:
    expected = secret.get_secret_value().encode()
    return bool(expected) and hmac.compare_digest(given.encode(), expected)


def _check_signature(secret: SecretStr, headers: Mapping[str, str], body: bytes, now: float, seen: ReplayGuard) -> str:
    stamp = headers.get(TIMESTAMP_HEADER.lower(), "").strip()
    given = headers.get(SIGNATURE_HEADER.lower(), "").strip()
    if not _STAMP.fullmatch(stamp):
        raise Unauthorized(f"{TIMESTAMP_HEADER} must be unix seconds")
    if abs(now - int(stamp)) > MAX_SKEW_SECONDS:
        raise Unauthorized(f"stale timestamp: more than {MAX_SKEW_SECONDS} s from now")
    if not given.startswith("sha256="):
        raise Unauthorized(f"{SIGNATURE_HEADER} must be sha256=<hex>")
    try:
        digest = bytes.fromhex(given.removeprefix("sha256="))
    except ValueError:
        raise Unauthorized(f"{SIGNATURE_HEADER} is not hex") from None
    expected = hmac.new(secret.get_secret_value().encode(), f"{stamp}.".encode() + body, hashlib.sha256).digest()
    if not hmac.compare_digest(digest, expected):
        raise Unauthorized("bad signature")
    replay_token = "hmac:" + expected.hex()
    if not seen.first_time(replay_token):
        raise Unauthorized("replayed request")
    return replay_token
