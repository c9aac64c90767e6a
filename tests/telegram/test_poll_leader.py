"""The polling leader when Redis stops answering: a holder cannot know whether its lease still stands, so it stops
polling when the last renewal runs out - by its own clock, while Redis is still silent, before another replica
could take the lease - and polls again once Redis answers and the lease is its own again. On a Redis of the test's
own (a real redis-server, paused with SIGSTOP: a hung server, not a refused connection)."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator

import pytest
import redis

from bot.telegram.polling import PollLeader
from core.leases import Lease
from tests.delivery.recording import until
from tests.eventually import eventually


@pytest.fixture
def own_redis() -> Iterator[tuple[redis.Redis, subprocess.Popen[bytes]]]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is needed (make test installs it)"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    connection = redis.Redis(port=port)
    try:
        eventually(lambda: _answers(connection), 10, "redis-server started")
        yield connection, process
    finally:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)
        connection.close()


def _answers(connection: redis.Redis) -> bool:
    try:
        return bool(connection.ping())
    except redis.RedisError:
        return False


def test_a_holder_whose_redis_hangs_stops_polling_when_its_lease_runs_out(
    own_redis: tuple[redis.Redis, subprocess.Popen[bytes]],
) -> None:
    connection, server = own_redis
    events: list[str] = []

    async def start_polling() -> None:
        events.append("polling")

    async def stop_polling() -> None:
        events.append("stopped")

    async def scenario() -> None:
        leader = PollLeader(Lease(connection, "telegram-poll:1", "replica-a", ttl_seconds=1.0), start_polling,
                            stop_polling, every=0.2)  # fmt: skip
        leader.start()
        try:
            await until(lambda: events == ["polling"], "polling")
            server.send_signal(signal.SIGSTOP)  # renewals now wait for an answer that does not come
            await until(lambda: events[-1:] == ["stopped"], "polling stopped while Redis hangs")
            assert leader.running()  # still taking part: it takes over again when it can
            server.send_signal(signal.SIGCONT)
            await until(lambda: events[-1:] == ["polling"], "polling again once Redis answers")
        finally:
            await leader.close()

    asyncio.run(scenario())
    assert events[:3] == ["polling", "stopped", "polling"]
    assert events[-1] == "stopped"  # close() stops polling
    assert connection.get("opsbot:lease:telegram-poll:1") is None  # and releases the lease
