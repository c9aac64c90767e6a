"""What `opsbot serve` assembles for Telegram, on the real test Redis: Runtime (in-process worker) + Inbox +
the Telegram adapter (python-telegram-bot) + the Deliverer + the HTTP app under uvicorn on a free port -
against the fake Bot API on 127.0.0.1, in long-polling or webhook mode."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import yaml

from bot.channels import ChannelAdapter
from bot.inbox import Inbox
from bot.runtime import Runtime
from bot.serve import Service
from bot.telegram.adapter import build_telegram_adapter
from bot.telegram.webhook import SECRET_HEADER
from core.settings import Settings
from fakes.telegram_api import FakeTelegramAPI, SentMessage
from tests.telegram import updates
from workers.runner import InProcessWorker

TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # the shape BotFather gives
SECRET = "opsbot-webhook_Secret-42"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def policy_file(tmp_path: Path) -> Path:
    """The shipped policy, with its users known by the Telegram ids the tests use and one group named."""
    policy = yaml.safe_load(Path("policies/default.yaml").read_text(encoding="utf-8"))
    ids = {"alice": updates.ALICE, "bob": updates.BOB, "carol": updates.CAROL, "dave": updates.DAVE}
    for name, user in ids.items():
        policy["users"][name]["identities"] = [f"telegram:{user}"]
    policy["conversations"][f"telegram:{updates.KNOWN_GROUP}"] = {"name": "ops group"}
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")  # roles: lowest first
    return path


class TelegramStack:
    """`opsbot serve`'s Service with the Telegram adapter, on its own event loop thread, driven from the
    test's thread."""

    def __init__(self, settings: Settings, api: FakeTelegramAPI, port: int, *, worker: bool) -> None:
        self.settings = settings
        self.api = api
        self.webhook = settings.telegram_webhook_secret is not None
        self.runtime = Runtime.build(settings, with_worker=worker)
        self.inbox = Inbox(self.runtime.conversation, self.runtime.outbox)
        self.url = f"http://127.0.0.1:{port}"
        self._port = port
        self.late_worker: InProcessWorker | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="telegram-stack", daemon=True)
        self.adapter: ChannelAdapter
        self.service: Service
        self._serving: asyncio.Task[None]
        self.http = httpx.Client(timeout=10)

    def start(self) -> TelegramStack:
        self._thread.start()
        self.run(self._start())
        return self

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=30)

    async def _start(self) -> None:
        self.adapter = build_telegram_adapter(self.runtime, self.inbox)
        self.service = Service(self.runtime, [self.adapter], host="127.0.0.1", port=self._port)
        self._serving = asyncio.create_task(self.service.run())
        started = asyncio.create_task(self.service.started.wait())
        await asyncio.wait({started, self._serving}, return_when=asyncio.FIRST_COMPLETED)
        if self._serving.done():
            started.cancel()
            self._serving.result()  # it failed to start: raise why

    def stop(self) -> None:
        self.http.close()
        # The workers need not outlive the Service: stopping both at once halves a test's teardown.
        workers = threading.Thread(target=self._stop_workers, name="telegram-stack-workers")
        workers.start()
        self.run(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        workers.join(timeout=10)

    def _stop_workers(self) -> None:
        if self.late_worker is not None:
            self.late_worker.stop()
        self.runtime.close()

    async def _stop(self) -> None:
        self.service.stop()
        if not self._serving.done():
            await self._serving

    def start_worker(self) -> None:
        """For a stack built without one: jobs queued so far start running now."""
        self.late_worker = InProcessWorker(self.runtime.conversation.services.workers)
        self.late_worker.start()

    # -- what Telegram would send --------------------------------------------------------------------
    def send(self, update: updates.Update) -> None:
        """Deliver an update the way this stack receives them: getUpdates, or a POST to the webhook."""
        if not self.webhook:
            self.api.push_update(update)
            return
        response = self.post({**update, "update_id": self.api.next_update_id()})
        assert response.status_code == 200, response.text

    def post(self, body: updates.Update | bytes, secret: str | None = SECRET) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        return self.http.post(self.url + "/telegram/webhook", content=raw, headers=headers)

    # -- what the test waits for ---------------------------------------------------------------------
    def wait_for(self, what: Callable[[], T | None], timeout: float = 15.0) -> T:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = what()
            if found:
                return found
            time.sleep(0.01)
        raise AssertionError(f"not seen within {timeout} s; sent so far: {self.api.calls('sendMessage')}")

    def reply(self, chat: int, starts: str = "", after: int = 0) -> SentMessage:
        """The first message sent into `chat` after the first `after` ones whose text starts with `starts`."""
        return self.wait_for(lambda: next((m for m in self.api.messages(chat)[after:]
                                           if m.history[0].startswith(starts)), None))  # fmt: skip

    def shows(self, chat: int, message_id: int, starts: str) -> SentMessage:
        """Until that message's current text starts with `starts`."""

        def current() -> SentMessage | None:
            return next((m for m in self.api.messages(chat) if m.message_id == message_id
                         and m.text.startswith(starts)), None)  # fmt: skip

        return self.wait_for(current)

    def say(self, words: str, *, user: int = updates.ALICE, chat: int | None = None) -> SentMessage:
        """Send a text and wait for the bot's first answer to it."""
        target = user if chat is None else chat
        seen = len(self.api.messages(target))
        self.send(updates.text(words, user=user, chat=chat))
        return self.reply(target, after=seen)

    def settled(self) -> None:
        """Until every reply produced so far has gone out to the fake."""
        self.wait_for(lambda: self.run(self._idle()) or None, timeout=20)

    async def _idle(self) -> bool:
        await asyncio.sleep(0.05)  # handlers started by now have published what they had
        return all(deliverer.idle() for deliverer in self.service.deliverers)


@pytest.fixture
def api() -> Iterator[FakeTelegramAPI]:
    with FakeTelegramAPI(TOKEN) as fake:
        yield fake


StackFactory = Callable[..., TelegramStack]


@pytest.fixture
def make_stack(settings: Settings, api: FakeTelegramAPI, tmp_path: Path) -> Iterator[StackFactory]:
    stacks: list[TelegramStack] = []

    def _make(mode: str = "polling", *, worker: bool = True, **overrides: Any) -> TelegramStack:
        values: dict[str, Any] = {
            "policy": policy_file(tmp_path),
            "telegram_token": TOKEN,
            "telegram_api_url": api.url,
            "incident_channels": [f"telegram:{updates.INCIDENT_GROUP}"],
            "sim_step_seconds": 0.02,
        }
        port = free_port()
        if mode == "webhook":  # the public URL is where the stack listens: the fake only records it
            values |= {"telegram_webhook_secret": SECRET, "public_url": f"http://127.0.0.1:{port}"}
        stack = TelegramStack(Settings(**{**settings.model_dump(), **values, **overrides}), api, port, worker=worker)
        stacks.append(stack.start())
        return stack

    yield _make
    for stack in stacks:
        stack.stop()


@pytest.fixture(params=["polling", "webhook"])
def telegram(request: pytest.FixtureRequest, make_stack: StackFactory) -> TelegramStack:
    """The stack in both receiving modes: the tests that take it run twice."""
    return make_stack(str(request.param))
