"""A thousand Slack events spread over two `opsbot serve` replicas (and an `opsbot worker`), with some sent again
as Slack's retries to the OTHER replica (3 s after the first delivery, as Slack retries one it had no answer to in
time): every command is answered exactly once, and each conversation's answers arrive in the order its commands
were sent.

Each conversation (a direct message channel) talks to one replica, as a load balancer keeps a client's connection:
Slack gives no order between two deliveries in flight at once, so two replicas taking one conversation's events at
the same moment could answer them in either order. What is checked is the rest of the way: replies published by
both replicas into one outbox, delivered by the replica holding the delivery lease, in each conversation's order."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis

from fakes.slack_api import FakeSlackApi
from tests.eventually import eventually
from tests.replicas.cluster import Cluster, SlackEvents, delivering, pending, posted_texts
from tests.slack.conftest import ALICE, direct

CONVERSATIONS = 25
PER_CONVERSATION = 40  # Slack's pace is about one message a second per channel: ~40 s for the whole run
RETRY_EVERY = 7  # every 7th event comes again, as Slack's retry, to the other replica
SLACK_TIMEOUT = 3.0  # Slack retries a delivery it has had no answer to for 3 s: never sooner
_NOT_FOUND = re.compile(r"I can't find '([^']+)'")


def command(conversation: int, n: int) -> tuple[str, str]:
    """The n-th command of a conversation and how its answer is recognised: a help, a status, or a show of a name
    that does not exist (the answer names it, so each answer says which command it is for)."""
    if n % 10 == 3:
        return "help", "help"
    if n % 10 == 7:
        return "status of web-prod", "status"
    name = f"q{conversation:02d}x{n:03d}"
    return f"show {name}", name


def recognised(text: str) -> str:
    found = _NOT_FOUND.search(text)
    if found:
        return found.group(1)
    if text.startswith("web-prod:"):
        return "status"
    if text.startswith("Try: status"):
        return "help"
    return text


def first_difference(answers: list[str], wanted: list[str]) -> str:
    same = [a == w for a, w in zip(answers, wanted, strict=False)]
    at = same.index(False) if False in same else len(same)
    return f"answer {at} is {answers[at : at + 3]}, wanted {wanted[at : at + 3]} ({len(answers)} answers)"


def channel(conversation: int) -> str:
    return f"D0REPLICA{conversation:02d}"


@pytest.mark.timeout(300)  # its waits' own bounds come first, with what was missing
@pytest.mark.serial  # three processes and a thousand requests: parallel tests beside it would time out
def test_a_thousand_events_over_two_replicas_are_each_answered_once_in_order(
    cluster: Cluster, slack_events: SlackEvents, fake_slack: FakeSlackApi, redis_conn: redis.Redis
) -> None:
    replicas = [cluster.start_replica("serve-a"), cluster.start_replica("serve-b")]
    cluster.start_worker()
    eventually(lambda: delivering(redis_conn), 30, "a replica delivering the Slack outbox")

    def talk(conversation: int) -> None:
        first, other = replicas[conversation % 2], replicas[(conversation + 1) % 2]
        retries: list[tuple[float, dict[str, Any]]] = []  # (when Slack would send it again, the event)

        def retry_due(until: float) -> None:  # as if Slack had not seen these answered in time: elsewhere
            while retries and retries[0][0] <= until:
                due, event = retries.pop(0)
                time.sleep(max(0.0, due - time.monotonic()))  # Slack's own schedule, not a wait for a result
                slack_events.send(other, event, retry=1)

        for n in range(PER_CONVERSATION):
            retry_due(time.monotonic())
            event = direct(command(conversation, n)[0], user=ALICE, channel=channel(conversation))
            slack_events.send(first, event)
            if n % RETRY_EVERY == 0:
                retries.append((time.monotonic() + SLACK_TIMEOUT, event))
        retry_due(float("inf"))

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as senders:
        list(senders.map(talk, range(CONVERSATIONS)))
    total = CONVERSATIONS * PER_CONVERSATION
    fake_slack.wait_for(lambda: len(fake_slack.messages) >= total, timeout=180)
    print(f"\n{total} replies ({slack_events.retries} retries sent) in {time.monotonic() - began:.1f} s")
    # Everything read from the outbox has been settled: nothing could still come after the count above.
    eventually(lambda: pending(redis_conn) == {"normal": 0, "urgent": 0}, 30, "nothing pending in the group",
               seen=lambda: pending(redis_conn))  # fmt: skip

    for conversation in range(CONVERSATIONS):
        answers = [recognised(text) for text in posted_texts(fake_slack, channel(conversation))]
        wanted = [command(conversation, n)[1] for n in range(PER_CONVERSATION)]
        assert answers == wanted, f"{channel(conversation)}: {first_difference(answers, wanted)}"
    assert len(fake_slack.messages) == total
