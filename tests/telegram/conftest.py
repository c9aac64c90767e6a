"""What `opsbot serve` assembles for Telegram (tests.chat_stack: Runtime with an in-process worker, Inbox, the
Deliverer and the HTTP app on a free port) with the Telegram adapter (python-telegram-bot), against the fake Bot
API on 127.0.0.1, in long-polling or webhook mode."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from bot.channels import ChannelAdapter
from bot.telegram.adapter import build_telegram_adapter
from bot.telegram.polling import LEASE_SECONDS, TRY_EVERY_SECONDS
from bot.telegram.webhook import SECRET_HEADER
from core.settings import Settings
from fakes.telegram_api import FakeTelegramAPI, SentMessage
from tests import chat_stack
from tests.chat_stack import ChatStack, log_lines, started  # noqa: F401  (log_lines: a fixture for the tests here)
from tests.eventually import eventually
from tests.serve_process import opsbot_serve  # noqa: F401 - a fixture, used through pytest (the replica tests)
from tests.telegram import updates
from workers.runner import InProcessWorker

TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # the shape BotFather gives
SECRET = "opsbot-webhook_Secret-42"
T = TypeVar("T")
PollLease = tuple[float, float]  # how long the polling lease lasts, and how often it is renewed and tried
DEFAULT_LEASE: PollLease = (LEASE_SECONDS, TRY_EVERY_SECONDS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# An alerting file that routes every alert to the known group, paging nobody for an hour.
TO_GROUP = {
    "timezone": "UTC",
    "routes": [{"name": "all", "channels": [f"telegram:{updates.KNOWN_GROUP}"], "escalation": "slow"}],
    "escalations": {"slow": {"steps": [{"notify": "channel"}, {"after": "1h", "notify": "dm"}]}},
    "schedules": {"primary": {"timezone": "UTC", "rotation": "daily", "handoff": "09:00", "start": "2026-01-05",
                              "people": ["alice"]}},
}  # fmt: skip


def policy_file(tmp_path: Path) -> Path:
    """The shipped policy, with its users known by the Telegram ids the tests use and one group named."""
    ids = {"alice": updates.ALICE, "bob": updates.BOB, "carol": updates.CAROL, "dave": updates.DAVE}
    identities = {name: [f"telegram:{user}"] for name, user in ids.items()}
    return chat_stack.policy_file(tmp_path, identities, {f"telegram:{updates.KNOWN_GROUP}": "ops group"})


class TelegramStack(ChatStack):
    """`opsbot serve`'s Service with the Telegram adapter, driven from the test's thread."""

    def __init__(
        self, settings: Settings, api: FakeTelegramAPI, port: int, *, worker: bool, lease: PollLease = DEFAULT_LEASE
    ) -> None:
        super().__init__(settings, worker=worker, port=port)
        self.api = api
        self.lease = lease
        self.webhook = settings.telegram_webhook_secret is not None
        self.late_worker: InProcessWorker | None = None

    def build_adapter(self) -> ChannelAdapter:
        seconds, every = self.lease
        return build_telegram_adapter(self.runtime, self.inbox, poll_lease_seconds=seconds, poll_every=every)

    def stop_workers(self) -> None:
        if self.late_worker is not None:
            self.late_worker.stop()
        super().stop_workers()

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
        """`what()`'s first truthy value; failing, it names what the bot had sent."""
        return eventually(what, timeout, "not seen", every=0.01, seen=lambda: self.api.calls("sendMessage"))

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
    def build(
        mode: str = "polling", *, worker: bool = True, lease: PollLease = DEFAULT_LEASE, **overrides: Any
    ) -> TelegramStack:
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
        merged = Settings(**{**settings.model_dump(), **values, **overrides})
        return TelegramStack(merged, api, port, worker=worker, lease=lease)

    yield from started(build)


@pytest.fixture(params=["polling", "webhook"])
def telegram(request: pytest.FixtureRequest, make_stack: StackFactory) -> TelegramStack:
    """The stack in both receiving modes: the tests that take it run twice."""
    return make_stack(str(request.param))
