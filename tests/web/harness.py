"""The dashboard served for real: `opsbot serve`'s Service with the app adapter, on a free 127.0.0.1 port, in a
thread of its own (its own event loop), so a test talks to it with httpx's ordinary client. Also what a signed-in
page does: sign in, read the live stream's events."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from bot.runtime import Runtime
from bot.serve import Service
from bot.web.adapter import AppAdapter
from bot.web.auth import sign_init_data

BOT_TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
OTHER_BOT_TOKEN = "654321:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


class Dashboard:
    """Started by `start()`, stopped by `stop()` (as SIGTERM would: Service.stop)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.adapter = AppAdapter(runtime)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._service: Service | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="dashboard-test")
        self.url = ""

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._service = Service(self.runtime, [self.adapter], host="127.0.0.1", port=0)
        self.url = f"http://127.0.0.1:{self._service.port}"
        running = asyncio.create_task(self._service.run())
        await self._service.started.wait()
        self._ready.set()
        await running

    def start(self) -> Dashboard:
        self._thread.start()
        assert self._ready.wait(30), "the dashboard did not start"
        return self

    def stop(self) -> None:
        if self._loop is not None and self._service is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._service.stop)
        self._thread.join(30)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)


def init_data(user_id: int, *, token: str = BOT_TOKEN, auth_date: float | None = None, **extra: str) -> str:
    """An initData query string as Telegram signs it for a Mini App opened by `user_id`."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "Test", "language_code": "en"}, separators=(",", ":")),
        "auth_date": str(int(auth_date if auth_date is not None else time.time())),
        **extra,
    }
    fields["hash"] = sign_init_data(fields, token)
    return urllib.parse.urlencode(fields)


def sign_in(client: httpx.Client, user_id: int) -> str:
    """Signs `client` in as Telegram user `user_id` (its cookie is kept); returns the session token."""
    answer = client.post("/app/api/session", json={"init_data": init_data(user_id)})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


@dataclass(frozen=True)
class SseEvent:
    event: str
    id: str
    data: str

    def json(self) -> object:
        return json.loads(self.data)


def events(response: httpx.Response) -> Iterator[SseEvent]:
    """The events of a text/event-stream response as they come (pings skipped)."""
    name, event_id, data = "message", "", list[str]()
    for line in response.iter_lines():
        if line == "":
            if data:
                yield SseEvent(name, event_id, "\n".join(data))
            name, data = "message", []
        elif line.startswith("event: "):
            name = line[7:]
        elif line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data.append(line[6:])


def next_event(stream: Iterator[SseEvent], kind: str) -> SseEvent:
    """The next event named `kind` (others are skipped); the read timeout of the client bounds the wait."""
    for event in stream:
        if event.event == kind:
            return event
    raise AssertionError(f"the stream ended before a {kind} event")
