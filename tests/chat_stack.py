"""What the Slack and Telegram test stacks share: `opsbot serve`'s Service with one chat adapter (the Deliverer, the
HTTP app under uvicorn on 127.0.0.1) over a Runtime on the real test Redis, run on an event loop thread of its own
and driven from the test's thread; the shipped policy with the platform's test users; the fixture factory that
stops every stack a test made; and the log capture of the tests that post hostile requests.

Each platform's conftest adds only what is its own: how its adapter is built, what the platform would send, and
what a test waits for."""

from __future__ import annotations

import asyncio
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import httpx
import pytest
import yaml

from bot.channels import ChannelAdapter
from bot.inbox import Inbox
from bot.runtime import Runtime
from bot.serve import Service
from core.settings import Settings

T = TypeVar("T")
P = ParamSpec("P")
S = TypeVar("S", bound="ChatStack")


class ChatStack(ABC):
    """The running stack. A platform's stack says how its adapter is built (`build_adapter`, called on the
    stack's loop) and adds what that platform would send."""

    def __init__(self, settings: Settings, *, worker: bool = True, port: int = 0) -> None:
        self.settings = settings
        self.runtime = Runtime.build(settings, with_worker=worker)
        self.inbox = Inbox(self.runtime.conversation, self.runtime.outbox)
        self.url = ""
        self.http = httpx.Client(timeout=10)
        self.adapter: ChannelAdapter
        self.service: Service
        self._port = port
        self._serving: asyncio.Task[None] | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=type(self).__name__, daemon=True)

    @abstractmethod
    def build_adapter(self) -> ChannelAdapter: ...

    def start(self: S) -> S:
        self._thread.start()
        self.run(self._start())
        return self

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """`work` on the stack's loop; its result here."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=30)

    async def _start(self) -> None:
        self.adapter = self.build_adapter()
        self.service = Service(self.runtime, [self.adapter], host="127.0.0.1", port=self._port)
        self.url = f"http://127.0.0.1:{self.service.port}"
        self._serving = asyncio.create_task(self.service.run())
        started = asyncio.create_task(self.service.started.wait())
        await asyncio.wait({started, self._serving}, return_when=asyncio.FIRST_COMPLETED)
        if self._serving.done():
            started.cancel()
            await self._serving  # raises what kept it from starting

    def stop(self) -> None:
        self.http.close()
        # The workers need not outlive the Service: stopping both at once halves a test's teardown.
        workers = threading.Thread(target=self.stop_workers, name=f"{type(self).__name__}-workers")
        workers.start()
        if self._thread.is_alive():
            self.run(self._stop())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop.close()
        workers.join(timeout=10)

    def stop_workers(self) -> None:
        self.runtime.close()

    async def _stop(self) -> None:
        if self._serving is None:
            return
        if not self._serving.done():
            self.service.stop()
        await asyncio.gather(self._serving, return_exceptions=True)  # a failed start was reported by start()


def started(build: Callable[P, S]) -> Iterator[Callable[P, S]]:
    """For a `make_stack` fixture: `build`, made to start each stack it builds; every one is stopped after the
    test, a stack that failed to start too."""
    stacks: list[S] = []

    def make(*args: P.args, **kwargs: P.kwargs) -> S:
        stack = build(*args, **kwargs)
        stacks.append(stack)
        return stack.start()

    yield make
    for stack in stacks:
        stack.stop()


def policy_file(tmp_path: Path, identities: dict[str, list[str]], conversations: dict[str, str] | None = None) -> Path:
    """The shipped policy, with its users known by the platform ids the tests use (`identities`: user ->
    "slack:U061F7AUR"...) and the conversations named (`conversations`: "telegram:-100..." -> name)."""
    policy = yaml.safe_load(Path("policies/default.yaml").read_text(encoding="utf-8"))
    for name, ids in identities.items():
        policy["users"][name]["identities"] = ids
    for conversation, name in (conversations or {}).items():
        policy["conversations"][conversation] = {"name": name}
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")  # roles: lowest first
    return path


@pytest.fixture
def log_lines(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Records of our loggers and uvicorn's (which does not propagate to the root logger)."""
    uvicorn = logging.getLogger("uvicorn")
    uvicorn.addHandler(caplog.handler)
    caplog.set_level(logging.INFO)
    yield caplog
    uvicorn.removeHandler(caplog.handler)


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing was logged as an error, and no record carries a traceback."""
    assert [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
