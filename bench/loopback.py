"""What the end-to-end benchmarks share: their Redis, a real `opsbot serve` process pointed at a stand-in platform
on 127.0.0.1 (a Slack Web API that notes arrivals, `SlackSink`), and a policy without rate limits (a benchmark sends
hundreds of messages a minute)."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Self

import httpx
import redis
import yaml
from aiohttp import web

from policies.loader import DEFAULT_POLICY

START_SECONDS = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_redis(default_url: str) -> str | None:
    """OPSBOT_BENCH_REDIS_URL (else `default_url`) with that database FLUSHED, or None when no Redis answers."""
    url = os.environ.get("OPSBOT_BENCH_REDIS_URL", default_url)
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.RedisError:
        return None
    return url


def policy_without_rate_limits(
    tmp: Path,
    identities: dict[str, list[str]] | None = None,
    groups: dict[str, str] | None = None,
    default_role: str | None = None,
) -> Path:
    """The shipped policy minus its rate limits, with `identities` given to the named users and the `groups`
    ("telegram:-100...": name) added to its conversations, so that opsbot answers there. `default_role` lets
    everyone unlisted in with that role (the shipped policy lets strangers read nothing)."""
    data = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    data.pop("rate_limits", None)
    if default_role is not None:
        data["default_role"] = default_role
    for user, ids in (identities or {}).items():
        data["users"][user]["identities"] = ids
    for conversation, name in (groups or {}).items():
        data.setdefault("conversations", {})[conversation] = {"name": name}
    path = tmp / "policy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")  # roles stay lowest first
    return path


class ServeProcess:
    """`opsbot serve` in its own process until the block ends (then SIGTERM); entering waits for /readyz and
    returns the base URL."""

    def __init__(self, tmp: Path, redis_url: str, channel_env: dict[str, str], *, port: int | None = None) -> None:
        self.port = port or free_port()
        self._env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")},
            "OPSBOT_REDIS_URL": redis_url,
            "OPSBOT_DATA_DIR": str(tmp / "data"),
            "OPSBOT_HTTP_PORT": str(self.port),
            **channel_env,
        }
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        command = [sys.executable, "-c", "from bot.cli import main; main()", "serve"]
        self._process = subprocess.Popen(command, env=self._env, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    return base
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("opsbot serve did not become ready")

    def __exit__(self, *_exc: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


class FirstArrivals:
    """A stand-in platform API on its own thread and loop (as the platform is elsewhere) that notes when each
    conversation got each of its messages. Subclasses route requests to `answer` and call `arrived`."""

    route = "/{method}"

    def __init__(self, name: str) -> None:
        self.port = free_port()
        self._arrivals: dict[str, list[float]] = {}
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._runner: web.AppRunner | None = None

    def start(self) -> Self:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def first(self, conversation: str | int, timeout: float = 60.0) -> float:
        """Monotonic time of the first message into `conversation`."""
        return self.nth(conversation, 0, timeout)

    def nth(self, conversation: str | int, index: int, timeout: float = 60.0) -> float:
        """Monotonic time of message number `index` (0 for the first) into `conversation`."""
        key = str(conversation)
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._arrivals.get(key, ())) > index, timeout):
                raise TimeoutError(f"no message #{index} in {key} within {timeout} s")
            return self._arrivals[key][index]

    def arrived(self, conversation: str | int) -> None:
        at = time.monotonic()
        with self._cond:
            self._arrivals.setdefault(str(conversation), []).append(at)
            self._cond.notify_all()

    async def answer(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post(self.route, self.answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()


class SlackSink(FirstArrivals):
    """A Slack Web API that answers auth.test (as `bot_user_id`) and chat.postMessage, each post noted by `posted`:
    as an arrival into its channel, unless a subclass says otherwise."""

    route = "/api/{method}"

    def __init__(self, name: str, bot_user_id: str) -> None:
        super().__init__(name)
        self.url = f"http://127.0.0.1:{self.port}/api/"
        self._bot_user_id = bot_user_id
        self._ts = itertools.count(1)

    def posted(self, channel: str, raw: str) -> None:
        self.arrived(channel)

    async def answer(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "auth.test":
            return web.json_response({"ok": True, "team_id": "T1", "user_id": self._bot_user_id, "bot_id": "B1"})
        if method != "chat.postMessage":
            return web.json_response({"ok": True})
        raw = await request.text()
        channel = str(json.loads(raw).get("channel"))
        self.posted(channel, raw)
        return web.json_response({"ok": True, "channel": channel, "ts": f"{1_700_000_000 + next(self._ts)}.000100"})
