"""GET /app/api/events: the dashboard's live stream (Server-Sent Events). At connect the whole board, then a
`section` event when a topic of the change feed changes (at once; changes within COALESCE_SECONDS after it make
one more build per topic) and a `reply` event for each reply to this identity's own app conversation; `: ping`
keeps proxies from closing an idle stream. Each event's id is "<change feed id>_<reply stream id>": a reconnecting
page sends it back as Last-Event-ID and gets the replies it missed (the board it gets first is current anyway)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from bot.web.hub import Event, Hub, Listener, entry_order
from bot.web.replies import last_id, since
from core import changes
from core.web_sessions import Session

COALESCE_SECONDS = 0.1
PING_SECONDS = 20.0

BuildBoard = Callable[[Session], Awaitable[str]]  # the whole board's JSON
BuildSection = Callable[[Session, str], Awaitable[Any]]  # one section's JSON-ready value


def frame(event: str | None, event_id: str | None, data: str) -> bytes:
    head = (f"event: {event}\n" if event else "") + (f"id: {event_id}\n" if event_id else "")
    return (head + "".join(f"data: {line}\n" for line in data.split("\n")) + "\n").encode()


def parse_resume(value: str | None) -> tuple[str | None, str | None]:
    """(feed id, reply id) of a Last-Event-ID this stream gave; (None, None) for anything else."""
    feed, _, reply = (value or "").partition("_")
    try:
        entry_order(feed)
        entry_order(reply)
    except ValueError:
        return None, None
    return feed, reply


class LiveStream:
    """One page's stream: joined to the hub before anything is read, so nothing falls between."""

    def __init__(self, hub: Hub, session: Session, board: BuildBoard, section: BuildSection) -> None:
        self._hub = hub
        self._session = session
        self._board = board
        self._section = section
        self._listener: Listener | None = None
        self.feed = "0-0"
        self.reply = "0-0"

    async def open(self, resume: str | None) -> None:
        """Raises hub.TooMany when there is no room."""
        connection = self._hub.connection
        feed, reply = parse_resume(resume)
        identity = self._session.identity
        if reply is None:
            feed, reply = await asyncio.gather(
                asyncio.to_thread(changes.latest, connection), asyncio.to_thread(last_id, connection, identity)
            )
        self.feed, self.reply = feed or "0-0", reply or "0-0"
        self._listener = self._hub.join(identity, self.reply)

    async def events(self) -> AsyncIterator[bytes]:
        listener = self._listener
        assert listener is not None
        try:
            yield frame("board", self._id(), await self._board(self._session))
            missed = await asyncio.to_thread(since, self._hub.connection, self._session.identity, self.reply)
            for entry_id, reply in missed:
                self.reply = entry_id
                yield frame("reply", self._id(), json.dumps(reply))
            while True:
                try:
                    first = await asyncio.wait_for(listener.queue.get(), PING_SECONDS)
                except TimeoutError:
                    yield b": ping\n\n"
                    continue
                if first is None:
                    return
                async for chunk in self._after(first, listener):
                    yield chunk
        finally:  # also when the client goes away: Starlette cancels this generator then
            self._hub.leave(listener)

    async def _after(self, first: Event, listener: Listener) -> AsyncIterator[bytes]:
        """`first` and what follows it: each reply at once; the sections of the topics changed by `first` and by
        whatever was queued with it at once, then those changed again within COALESCE_SECONDS once each at the end
        of that window (a burst of changes costs two builds per topic, and the first change waits for nothing)."""
        topics: list[str] = []
        for event in [first, *_queued(listener)]:
            if (reply := self._take(event, topics)) is not None:
                yield reply
        if not topics:
            return
        for chunk in await self._sections(topics):
            yield chunk
        again: list[str] = []
        deadline = asyncio.get_running_loop().time() + COALESCE_SECONDS
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                later = await asyncio.wait_for(listener.queue.get(), left)
            except TimeoutError:
                break
            if later is None:
                listener.hand(None)  # the stop is seen by the caller's next read, after these sections
                break
            if (reply := self._take(later, again)) is not None:
                yield reply
        for chunk in await self._sections(again):
            yield chunk

    def _take(self, event: Event, topics: list[str]) -> bytes | None:
        """A reply's frame (None when the page has it already); a change adds its topic to `topics`."""
        if event.kind == "reply" and event.reply is not None:
            if entry_order(event.id) <= entry_order(self.reply):  # read already when the page opened
                return None
            self.reply = event.id
            return frame("reply", self._id(), json.dumps(event.reply))
        if event.topic is not None:
            self.feed = max(self.feed, event.id, key=entry_order)
            if event.topic.value not in topics:
                topics.append(event.topic.value)
        return None

    async def _sections(self, topics: list[str]) -> list[bytes]:
        frames = []
        for name in topics:
            value = await self._section(self._session, name)
            frames.append(frame("section", self._id(), json.dumps({"name": name, "value": value})))
        return frames

    def _id(self) -> str:
        return f"{self.feed}_{self.reply}"


def _queued(listener: Listener) -> list[Event]:
    """The events waiting in the listener's queue now, without waiting; a stop among them is handed back."""
    waiting: list[Event] = []
    while not listener.queue.empty():
        event = listener.queue.get_nowait()
        if event is None:
            listener.hand(None)
            break
        waiting.append(event)
    return waiting
