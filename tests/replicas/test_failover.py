"""The replica delivering Slack's outbox dies or is stopped with a backlog of replies: the other replica delivers
the rest, each reply exactly once and in its conversation's order, and nothing is left pending in the delivery
group.

SIGKILL: the fake Slack takes each channel's first four messages and then answers 429 (come back in a minute), so
that nothing is on its way at the kill - a message Slack took but whose id was never stored would be sent again
by anyone. The other replica waits out the dead one's lease, claims its pending entries, and posts them; the
issue promises that within 10 s of the kill (the lease lives 5 s).

SIGTERM: the stopping replica drains for a bounded time at Slack's pace, gives up its lease, and exits; the other
takes over what is left at once."""

from __future__ import annotations

import time

import pytest
import redis

from core.models import ConversationRef, Reply
from core.outbox import Outbox
from fakes.slack_api import FakeSlackApi
from tests.eventually import eventually
from tests.replicas.cluster import Cluster, Replica, delivering, first_post_after, pending, posted_texts
from tests.serve_process import stop

CHANNELS = [f"C0LANE{n:02d}" for n in range(20)]
TAKEOVER_SECONDS = 10.0  # the promise after a SIGKILL


def replies(per_channel: int) -> dict[str, list[str]]:
    """What each channel must show, in order: a burst of replies the workers published."""
    return {channel: [f"reply {n} for {channel}" for n in range(per_channel)] for channel in CHANNELS}


def publish(connection: redis.Redis, wanted: dict[str, list[str]]) -> None:
    outbox = Outbox(connection)
    for n in range(max(len(texts) for texts in wanted.values())):
        for channel, texts in wanted.items():
            ref = ConversationRef(channel="slack", conversation_id=channel)
            outbox.publish(Reply(ref=ref, key=f"r-{channel}-{n}", text=texts[n]))


def two_replicas(cluster: Cluster, connection: redis.Redis) -> tuple[Replica, Replica]:
    """(the replica delivering Slack's outbox, the other one)."""
    replicas = [cluster.start_replica("serve-a"), cluster.start_replica("serve-b")]
    leader = eventually(lambda: delivering(connection), 30, "a replica delivering the Slack outbox")
    first = cluster.replica(leader)
    return first, next(r for r in replicas if r is not first)


def assert_each_once_in_order(fake: FakeSlackApi, wanted: dict[str, list[str]], connection: redis.Redis) -> None:
    eventually(lambda: pending(connection) == {"normal": 0, "urgent": 0}, 30, "nothing pending in the group",
               seen=lambda: pending(connection))  # fmt: skip
    for channel, texts in wanted.items():
        assert posted_texts(fake, channel) == texts, channel
    assert len(fake.messages) == sum(len(texts) for texts in wanted.values())


@pytest.mark.timeout(180)
@pytest.mark.serial  # a takeover bounded in seconds: parallel tests loading the machine would stretch it
def test_a_killed_delivering_replica_is_taken_over_within_ten_seconds_and_nothing_is_sent_twice(
    cluster: Cluster, fake_slack: FakeSlackApi, redis_conn: redis.Redis
) -> None:
    fake_slack.limit_channels(per_second=1 / 60, burst=4)  # four a channel, then 429 with a minute to wait
    victim, survivor = two_replicas(cluster, redis_conn)
    wanted = replies(per_channel=6)
    publish(redis_conn, wanted)

    def every_lane_refused() -> bool:  # each channel has had its four and a 429: nothing is on its way now
        refused = {call.body.get("channel") for call, _ in list(fake_slack.throttled)}
        return refused >= set(CHANNELS) and len(fake_slack.messages) == 4 * len(CHANNELS)

    eventually(every_lane_refused, 60, "four messages and a 429 in every channel",
               seen=lambda: f"{len(fake_slack.messages)} taken, {len(fake_slack.throttled)} refused")  # fmt: skip
    victim.process.kill()
    killed = time.monotonic()
    victim.process.communicate()
    fake_slack.limit_channels(per_second=1000, burst=1000)  # Slack takes everything again

    total = 6 * len(CHANNELS)
    fake_slack.wait_for(lambda: len(fake_slack.messages) >= total, timeout=60)
    resumed = first_post_after(fake_slack, killed)
    assert resumed is not None
    done = max(c.at for c in fake_slack.calls_to("chat.postMessage"))
    print(f"\nSIGKILL of {victim.name}: {survivor.name} posted again after {resumed - killed:.2f} s, "
          f"the last of the backlog after {done - killed:.2f} s")  # fmt: skip
    assert done - killed < TAKEOVER_SECONDS
    assert delivering(redis_conn) == survivor.name
    assert_each_once_in_order(fake_slack, wanted, redis_conn)


@pytest.mark.timeout(180)
@pytest.mark.serial
def test_a_stopped_delivering_replica_drains_and_the_other_delivers_the_rest(
    cluster: Cluster, fake_slack: FakeSlackApi, redis_conn: redis.Redis
) -> None:
    fake_slack.limit_channels(per_second=1.0, burst=4)  # Slack's own pace per channel
    stopping, survivor = two_replicas(cluster, redis_conn)
    wanted = replies(per_channel=15)  # at one a second, more than a drain of a few seconds sends
    publish(redis_conn, wanted)
    eventually(lambda: len(fake_slack.messages) >= 4 * len(CHANNELS), 60, "every channel's first burst")

    asked = len(fake_slack.messages)
    stop(stopping.process, grace=60)  # SIGTERM: it drains, then exits of its own accord
    exited = time.monotonic()
    assert stopping.process.returncode == 0
    drained, left = len(fake_slack.messages) - asked, 15 * len(CHANNELS) - len(fake_slack.messages)
    print(f"\nSIGTERM of {stopping.name}: {asked} delivered before, {drained} while draining, {left} left")
    assert drained > 0  # it went on delivering after the SIGTERM, at Slack's pace
    assert left > 0  # and the other replica had something to take over

    fake_slack.wait_for(lambda: len(fake_slack.messages) >= 15 * len(CHANNELS), timeout=60)
    resumed = first_post_after(fake_slack, exited)
    assert resumed is not None
    print(f"{survivor.name} posted again {resumed - exited:.2f} s after the other exited")
    assert delivering(redis_conn) == survivor.name
    assert_each_once_in_order(fake_slack, wanted, redis_conn)
