"""The embedded Redis saved in the data directory by one run and loaded by the next: what is kept, what
expires while no process runs, and the one line a run prints when it cannot keep anything."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import fakeredis
import pytest

from bot.embedded_state import EmbeddedState

Run = Callable[[Path], tuple[fakeredis.FakeRedis, EmbeddedState]]


@pytest.fixture
def run() -> Iterator[Run]:
    """A new process: its own empty in-memory Redis, with what the previous run saved loaded into it."""
    started: list[EmbeddedState] = []

    def _run(data: Path) -> tuple[fakeredis.FakeRedis, EmbeddedState]:
        conn = fakeredis.FakeRedis(server=fakeredis.FakeServer())
        state = EmbeddedState(data, conn)
        state.open()
        started.append(state)
        return conn, state

    yield _run
    for state in started:
        state.save()  # as each process does when it ends (a no-op for one that already did)


def test_every_kind_of_key_comes_back_with_its_expiry(tmp_path: Path, run: Run) -> None:
    conn, state = run(tmp_path)
    conn.set("opsbot:confirm:K7Q2M9", b'{"code": "K7Q2M9"}', ex=300)
    conn.hset("opsbot:sim:overlay", mapping={"web-prod": "20", "bin": b"\x00\xff"})
    conn.rpush("opsbot:metrics:execution", "1.5", "2.5")
    conn.sadd("opsbot:set", "a", "b")
    conn.zadd("opsbot:confirm-open", {"K7Q2M9": 1_800_000_000.5})
    state.save()
    again, second = run(tmp_path)
    assert second.note is None
    assert again.get("opsbot:confirm:K7Q2M9") == b'{"code": "K7Q2M9"}'
    assert 295_000 < again.pttl("opsbot:confirm:K7Q2M9") <= 300_000
    assert again.hgetall("opsbot:sim:overlay") == {b"web-prod": b"20", b"bin": b"\x00\xff"}
    assert again.lrange("opsbot:metrics:execution", 0, -1) == [b"1.5", b"2.5"]
    assert again.smembers("opsbot:set") == {b"a", b"b"}
    assert again.zrange("opsbot:confirm-open", 0, -1, withscores=True) == [(b"K7Q2M9", 1_800_000_000.5)]
    assert again.ttl("opsbot:sim:overlay") == -1


def test_a_key_that_expired_between_runs_stays_expired(tmp_path: Path, run: Run) -> None:
    conn, state = run(tmp_path)
    conn.set("opsbot:confirm:latest:console:shell", "K7Q2M9", px=50)
    conn.set("opsbot:kept", "1")
    state.save()
    deadline = time.time() + 0.06
    while time.time() < deadline:  # the 50 ms pass while no process runs
        time.sleep(0.01)
    again, _ = run(tmp_path)
    assert again.get("opsbot:confirm:latest:console:shell") is None
    assert again.get("opsbot:kept") == b"1"


def test_rq_bookkeeping_and_the_outbox_belong_to_the_run_that_wrote_them(tmp_path: Path, run: Run) -> None:
    conn, state = run(tmp_path)
    conn.sadd("rq:workers", "worker-of-a-finished-run")
    conn.xadd("opsbot:outbox:console", {"reply": "{}"})
    conn.set("opsbot:job-final:action-1", "1")
    state.save()
    again, _ = run(tmp_path)
    assert again.keys() == [b"opsbot:job-final:action-1"]


def test_a_second_run_at_the_same_time_starts_empty_and_says_why(tmp_path: Path, run: Run) -> None:
    conn, first = run(tmp_path)
    conn.set("opsbot:kept", "1")
    first.save()
    _, holder = run(tmp_path)
    busy, second = run(tmp_path)
    assert second.note is not None and second.note.startswith("Another opsbot is using the embedded state in ")
    assert busy.keys() == []
    busy.set("opsbot:lost", "1")
    second.save()  # keeps nothing: the file is the holder's
    holder.save()
    after, _ = run(tmp_path)
    assert after.keys() == [b"opsbot:kept"]


def test_an_unreadable_state_file_is_one_line_and_an_empty_start(tmp_path: Path, run: Run) -> None:
    (tmp_path / "embedded-redis.json").write_text('{"format": 1, "keys": [{"key": "%%%"')
    conn, state = run(tmp_path)
    assert state.note is not None and len(state.note.splitlines()) == 1
    assert "could not be read" in state.note and state.note.endswith("starting empty.")
    assert conn.keys() == []
    conn.set("opsbot:new", "1")
    state.save()  # the next save replaces the broken file
    again, fine = run(tmp_path)
    assert fine.note is None and again.get("opsbot:new") == b"1"
