"""SNS signing certificates, fetched as rarely as an attacker can make us. Anyone can post a forged message naming
a certificate URL on an SNS host; without care each one is an outbound fetch. So: one fetch at a time per URL
(concurrent requests wait for it), a good key kept until the certificate's notAfter or 24 h, a failed fetch or a
bad certificate remembered for 5 minutes, at most 10 new fetches a minute overall (beyond that the request is
refused with a 503 and SNS retries later), and a bounded number of URLs remembered."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from bot.intake.auth import Unauthorized
from core.errors import OpsbotError

GOOD_SECONDS = 24 * 3600
BAD_SECONDS = 5 * 60
FETCHES_PER_MINUTE = 10
MAX_URLS = 256
WAIT_SECONDS = 30.0  # a request waiting for another's fetch (itself bounded by its timeout)


class CertificateUnavailable(OpsbotError):
    """The signing certificate could not be fetched: a passing problem, worth SNS's retry (unlike a bad one)."""


@dataclass(frozen=True)
class Loaded:
    key: RSAPublicKey
    not_after: float  # unix seconds


@dataclass(frozen=True)
class _Entry:
    until: float  # clock() time
    key: RSAPublicKey | None
    error: OpsbotError | None


class CertificateCache:
    """`key(url)` for verified URLs only (the caller checks the URL first). `fetch` downloads and `load` reads a
    certificate; both raise Unauthorized or CertificateUnavailable. `clock` is monotonic seconds and `wall` unix
    seconds: tests move them."""

    def __init__(
        self,
        fetch: Callable[[str], bytes],
        load: Callable[[bytes], Loaded],
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        per_minute: int = FETCHES_PER_MINUTE,
        max_urls: int = MAX_URLS,
    ) -> None:
        self._fetch = fetch
        self._load = load
        self._clock = clock
        self._wall = wall
        self._per_minute = per_minute
        self._max_urls = max_urls
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._fetching: dict[str, Future[RSAPublicKey]] = {}
        self._recent: deque[float] = deque()  # when the fetches of the last minute started
        self._lock = threading.Lock()
        self.fetches = 0  # how many fetches were started (for tests and the curious)

    def key(self, url: str) -> RSAPublicKey:
        with self._lock:
            now = self._clock()
            entry = self._entries.get(url)
            if entry is not None and entry.until > now:
                self._entries.move_to_end(url)
                return _answer(entry)
            waiting = self._fetching.get(url)
            if waiting is None:
                self._take_a_fetch(now)
                mine: Future[RSAPublicKey] = Future()
                self._fetching[url] = mine
        if waiting is not None:
            try:
                return waiting.result(timeout=WAIT_SECONDS)
            except TimeoutError:
                raise CertificateUnavailable("the SNS signing certificate is still being fetched") from None
        return self._fetch_for_all(url, mine)

    def _take_a_fetch(self, now: float) -> None:
        while self._recent and self._recent[0] <= now - 60:
            self._recent.popleft()
        if len(self._recent) >= self._per_minute:
            raise CertificateUnavailable("too many new SNS signing certificates this minute")
        self._recent.append(now)
        self.fetches += 1

    def _fetch_for_all(self, url: str, future: Future[RSAPublicKey]) -> RSAPublicKey:
        """Fetch, remember the outcome (good or bad), and hand it to everyone waiting for this URL."""
        try:
            loaded = self._load(self._fetch(url))
        except (Unauthorized, CertificateUnavailable) as exc:
            entry = _Entry(until=self._clock() + BAD_SECONDS, key=None, error=exc)
        except BaseException as exc:  # a bug: not remembered, but the waiters must not hang
            with self._lock:
                del self._fetching[url]
            future.set_exception(exc)
            raise
        else:
            good_for = min(GOOD_SECONDS, loaded.not_after - self._wall())
            if good_for <= 0:  # SNS's own test messages outlive their certificate: dates are not checked
                good_for = GOOD_SECONDS
            entry = _Entry(until=self._clock() + good_for, key=loaded.key, error=None)
        with self._lock:
            self._entries[url] = entry
            self._entries.move_to_end(url)
            while len(self._entries) > self._max_urls:
                self._entries.popitem(last=False)
            del self._fetching[url]
        if entry.error is not None:
            future.set_exception(_again(entry.error))
        else:
            assert entry.key is not None
            future.set_result(entry.key)
        return _answer(entry)


def _answer(entry: _Entry) -> RSAPublicKey:
    if entry.key is not None:
        return entry.key
    assert entry.error is not None
    raise _again(entry.error)


def _again(error: OpsbotError) -> OpsbotError:
    """A fresh exception with the same one-line reason (one instance raised in many threads would pile up
    tracebacks)."""
    return type(error)(str(error))
