"""Several replicas of `opsbot serve` on one Redis and one bot: exactly one long-polls Telegram at a time (the fake
Bot API, like Telegram, ends one of two concurrent long polls with 409 Conflict, and sees none), the others stand by,
ready; when the poller stops another takes over - at once after a clean stop, within the lease's time after a kill -
and no update is handled twice, not even the batch a killed poller fetched and never confirmed."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import httpx
import pytest
import redis

from bot.delivery import GROUP
from core.leases import PREFIX
from fakes.telegram_api import FakeTelegramAPI
from tests.eventually import eventually
from tests.serve_process import OpsbotServe
from tests.telegram import updates
from tests.telegram.conftest import TOKEN, StackFactory, policy_file

LEASE_KEY = f"{PREFIX}telegram-poll:{TOKEN.split(':')[0]}"
OFTEN = (5.0, 0.2)  # the shipped lease of 5 s (a stalled test machine keeps it), renewed and tried every 0.2 s
TOPICS = ["scale", "status", "failover", "cost", "alerts", "search"]


def holder(redis_conn: redis.Redis) -> str | None:
    raw = redis_conn.get(LEASE_KEY)
    return raw.decode() if isinstance(raw, bytes) else None


def ask(api: FakeTelegramAPI, topics: list[str]) -> None:
    """alice asks for the help of each topic, one update each, fetched by the poller as one batch."""
    api.push_batch([updates.text(f"help {topic}") for topic in topics])


def answered(api: FakeTelegramAPI, topics: list[str], timeout: float = 15.0) -> list[str]:
    """Waits until every topic asked has its answer in alice's chat; returns every answer's first word."""

    def firsts() -> list[str]:
        return [m.history[0].split(":", 1)[0] for m in api.messages(updates.ALICE)]

    eventually(lambda: set(topics) <= set(firsts()), timeout, f"answers to help {topics}", seen=firsts)
    return firsts()


def test_one_replica_polls_the_other_stands_by_ready_and_each_update_is_handled_once(
    make_stack: StackFactory, api: FakeTelegramAPI, redis_conn: redis.Redis, log_lines: pytest.LogCaptureFixture
) -> None:
    first = make_stack(lease=OFTEN, replica_name="replica-a")
    eventually(lambda: holder(redis_conn) == "replica-a", what="replica-a holding the polling lease")
    second = make_stack(lease=OFTEN, replica_name="replica-b")
    ask(api, TOPICS)
    assert sorted(answered(api, TOPICS)) == sorted(TOPICS)  # each once, whichever replica delivered it
    assert api.conflicts() == []  # never two pollers at once, over dozens of the standby's tries
    assert holder(redis_conn) == "replica-a"
    for stack in (first, second):  # the standby serves /readyz as ready: it only waits to take over
        assert stack.http.get(stack.url + "/readyz").status_code == 200
    taken = [r.getMessage() for r in log_lines.records if "polling taken over" in r.getMessage()]
    assert taken == ["telegram: polling taken over by replica-a"]


def test_a_clean_stop_hands_polling_over_at_once(
    make_stack: StackFactory, api: FakeTelegramAPI, redis_conn: redis.Redis
) -> None:
    # A lease of 60 s: the standby can only poll within the test's bound if the stopping replica released it.
    first = make_stack(lease=(60.0, 0.2), replica_name="replica-a")
    eventually(lambda: holder(redis_conn) == "replica-a", what="replica-a holding the polling lease")
    second = make_stack(lease=(60.0, 0.2), replica_name="replica-b")
    ask(api, TOPICS[:2])
    answered(api, TOPICS[:2])
    first.stop()
    eventually(lambda: holder(redis_conn) == "replica-b", 15, "replica-b taking the polling lease")
    ask(api, TOPICS[2:])
    assert sorted(answered(api, TOPICS)) == sorted(TOPICS)
    second.settled()
    assert len(api.messages(updates.ALICE)) == len(TOPICS)
    assert api.conflicts() == []


def test_a_killed_poller_is_replaced_and_the_batch_it_never_confirmed_is_not_handled_twice(
    make_stack: StackFactory, api: FakeTelegramAPI, redis_conn: redis.Redis, redis_url: str, tmp_path: Path,
    opsbot_serve: OpsbotServe, log_lines: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """replica-a is an `opsbot serve` process with the shipped lease (5 s), SIGKILLed after handling a batch whose
    offset it never got to confirm; replica-b, in this process, takes over and is given that batch again."""
    killed = opsbot_serve.start(
        {"OPSBOT_TELEGRAM_TOKEN": TOKEN, "OPSBOT_TELEGRAM_API_URL": api.url, "OPSBOT_REDIS_URL": redis_url,
         "OPSBOT_POLICY": str(policy_file(tmp_path)), "OPSBOT_DATA_DIR": str(tmp_path / "data-a"),
         "OPSBOT_SIM_RESOURCES": "2000", "OPSBOT_REPLICA_NAME": "replica-a"},
        "--no-worker",
    )  # fmt: skip
    eventually(lambda: "opsbot_telegram_poll_leader 1.0" in httpx.get(killed.url + "/metrics").text,
               what="replica-a polling, by its metric")  # fmt: skip
    standby = make_stack(replica_name="replica-b")
    eventually(lambda: "opsbot_telegram_poll_leader 0.0" in standby.http.get(standby.url + "/metrics").text,
               what="replica-b standing by (same process metrics: it has not taken over)")  # fmt: skip
    api.lose_confirmations(True)  # replica-a dies, as far as Telegram knows, before confirming what it fetched
    ask(api, TOPICS[:3])
    answered(api, TOPICS[:3])
    # Its answers acknowledged in the outbox too: what a replica killed mid-delivery leaves is the outbox's tests' part.
    eventually(lambda: standby.runtime.outbox.group_caught_up("telegram", GROUP), what="the answers acknowledged")
    killed.process.kill()
    killed.process.communicate(timeout=10)  # its stderr closed
    api.lose_confirmations(False)
    eventually(lambda: holder(redis_conn) == "replica-b", 15, "replica-b taking the polling lease")
    ask(api, TOPICS[3:])  # served after the unconfirmed batch, which replica-b fetches first
    assert sorted(answered(api, TOPICS)) == sorted(TOPICS)
    standby.settled()
    assert len(api.messages(updates.ALICE)) == len(TOPICS)  # not one answer twice
    assert _dropped(log_lines) == 3  # the batch came again, and was dropped as already handled
    assert api.conflicts() == []
    assert _killed_by_signal(killed.process)


def _dropped(log_lines: pytest.LogCaptureFixture) -> int:
    return sum("already handled" in r.getMessage() for r in log_lines.records if r.levelno == logging.INFO)


def _killed_by_signal(process: subprocess.Popen[str]) -> bool:
    return process.returncode is not None and process.returncode < 0


def test_a_poller_that_finds_its_lease_taken_stops_polling_at_once(
    make_stack: StackFactory, api: FakeTelegramAPI, redis_conn: redis.Redis, log_lines: pytest.LogCaptureFixture
) -> None:
    """As after a pause longer than the lease (a stalled VM): another replica holds it now, so this one stops
    before its next long poll could end the other's; it takes over again only once the lease is free."""
    make_stack(lease=OFTEN, replica_name="replica-a")
    eventually(lambda: holder(redis_conn) == "replica-a", what="replica-a holding the polling lease")
    redis_conn.set(LEASE_KEY, "replica-z", px=1500)  # replica-z's, for 1.5 s, and never renewed
    eventually(lambda: _logged(log_lines, "telegram: replica-a stops polling: the lease is held by replica-z"),
               what="replica-a stopping")  # fmt: skip
    eventually(lambda: holder(redis_conn) == "replica-a", what="replica-a polling again once replica-z's lease ran out")
    ask(api, TOPICS[:1])
    answered(api, TOPICS[:1])
    assert [r.getMessage() for r in log_lines.records if "polling taken over" in r.getMessage()] == [
        "telegram: polling taken over by replica-a"
    ] * 2


def _logged(log_lines: pytest.LogCaptureFixture, line: str) -> bool:
    return any(r.getMessage() == line for r in log_lines.records)
