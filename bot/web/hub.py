"""One reader of Redis for every open live stream of this process: a thread that waits (XREAD BLOCK) on the change
feed and on the reply streams of the identities that have a page open, and hands each entry to the pages it
concerns. One connection and one thread however many phones watch, so the number of open pages is bounded by the
caps below, not by Redis connections or the default thread pool."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import redis

from bot.web.replies import stream_key
from core import changes
from core.errors import OpsbotError

log = logging.getLogger(__name__)

PER_USER = 5  # open pages per signed-in identity
OVERALL = 500  # open pages per process
QUEUE = 1000  # events waiting for one page; a page that falls this far behind is closed (it reconnects)
BLOCK_MS = 250  # how long one read waits: a page opened meanwhile is read from within this


class TooMany(OpsbotError):
    """No room for another live stream; `str()` is the one line answered (503)."""


@dataclass(frozen=True)
class Event:
    kind: Literal["change", "reply"]
    id: str  # the entry id in its stream
    topic: changes.Topic | None = None
    reply: dict[str, Any] | None = None


@dataclass(eq=False)
class Listener:
    identity: str
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Event | None] = field(default_factory=lambda: asyncio.Queue(QUEUE))

    def hand(self, event: Event | None) -> None:
        """On the listener's loop: queue `event` (None: stop); a page too far behind is stopped instead."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)


def entry_order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class Hub:
    def __init__(self, connection: redis.Redis, *, per_user: int = PER_USER, overall: int = OVERALL) -> None:
        self.connection = connection
        self.per_user = per_user
        self.overall = overall
        self._listeners: list[Listener] = []
        self._cursors: dict[str, str] = {}  # identity -> the last reply entry read
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dashboard-live", daemon=True)
        self._thread.start()

    def stop(self, *, wait: bool = True) -> None:
        """Ends every open stream (the pages reconnect to another replica) and the reader; `wait`: until the reader
        has finished its last read (blocking: not on the event loop)."""
        self._stopping.set()
        with self._lock:
            listeners, self._listeners = self._listeners, []
        for listener in listeners:
            _post(listener, None)
        if wait and self._thread is not None:
            self._thread.join(timeout=2)

    def join(self, identity: str, reply_cursor: str) -> Listener:
        """A new listener for `identity`'s page, or TooMany. Called on the event loop; reads nothing. The
        identity's replies are read on from `reply_cursor` unless another page of theirs is open already: then
        the page reads what came before that one's cursor itself (`replies.since`), and drops what it had."""
        with self._lock:
            if self._stopping.is_set():
                raise TooMany("opsbot is restarting: reconnect in a moment.")
            if len(self._listeners) >= self.overall:
                raise TooMany("Too many open dashboards.")
            if sum(1 for other in self._listeners if other.identity == identity) >= self.per_user:
                raise TooMany(f"Too many open dashboards for you (at most {self.per_user}): close one.")
            listener = Listener(identity, asyncio.get_running_loop())
            self._listeners.append(listener)
            self._cursors.setdefault(identity, reply_cursor)
            return listener

    def leave(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)
            if not any(other.identity == listener.identity for other in self._listeners):
                self._cursors.pop(listener.identity, None)

    def open_streams(self) -> Counter[str]:
        with self._lock:
            return Counter(listener.identity for listener in self._listeners)

    def _run(self) -> None:
        feed: str | None = None
        while not self._stopping.is_set():
            try:
                if feed is None:
                    feed = changes.latest(self.connection)
                feed = self._read_once(feed)
            except redis.RedisError as exc:
                log.warning("dashboard live updates: Redis read failed (%s); retrying", type(exc).__name__)
                self._stopping.wait(1.0)

    def _read_once(self, feed: str) -> str:
        with self._lock:
            streams: dict[str, str] = {changes.FEED: feed}
            streams.update({stream_key(i): c for i, c in self._cursors.items()})
        answer = cast(
            list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]] | None,
            self.connection.xread(streams, count=500, block=BLOCK_MS),  # type: ignore[arg-type]
        )
        for stream, entries in answer or ():
            name = stream.decode()
            if not entries:
                continue
            newest = entries[-1][0].decode()
            if name == changes.FEED:
                feed = newest
                self._dispatch(None, [self._change(i, f) for i, f in entries])
            else:
                identity = name.removeprefix(stream_key(""))
                with self._lock:
                    if identity in self._cursors:
                        self._cursors[identity] = newest
                events = [Event("reply", i.decode(), reply=json.loads(f[b"r"])) for i, f in entries]
                self._dispatch(identity, events)
        return feed

    @staticmethod
    def _change(entry_id: bytes, fields: dict[bytes, bytes]) -> Event | None:
        try:
            topic = changes.Topic(fields.get(b"t", b"").decode())
        except ValueError:
            return None  # an entry of a newer version of opsbot
        return Event("change", entry_id.decode(), topic=topic)

    def _dispatch(self, identity: str | None, events: Sequence[Event | None]) -> None:
        with self._lock:
            listeners = [x for x in self._listeners if identity is None or x.identity == identity]
        for listener in listeners:
            for event in events:
                if event is not None:
                    _post(listener, event)


def _post(listener: Listener, event: Event | None) -> None:
    with contextlib.suppress(RuntimeError):  # its loop is closed: the page is gone
        listener.loop.call_soon_threadsafe(listener.hand, event)
