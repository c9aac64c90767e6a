"""The real `opsbot serve`, killed (SIGKILL) with a backlog of alert cards for two incident channels, then started
again: every card reaches the fake Slack (which keeps Slack's pace, and refuses everything with 429 around the
kill, so that no message is half-way then) exactly once - as a card, or counted in a digest - each is reported to
its escalation (audited as delivered), and `opsbot outbox stats` shows nothing pending and nothing dead."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from audit.log import AuditEvent, AuditLog
from bot.cli_outbox import outbox_app
from core.models import ConversationRef, Reply
from core.outbox import Outbox
from fakes.slack_api import FakeSlackApi
from tests.delivery.recording import cards_received
from tests.eventually import eventually
from tests.serve_process import OpsbotServe, slack_environment, stop
from tests.slack.conftest import policy_file

CHANNELS = ("C0INCIDENT1", "C0INCIDENT2")
PER_CHANNEL = 1_000


@pytest.fixture
def environment(tmp_path: Path, redis_url: str, fake_slack: FakeSlackApi) -> dict[str, str]:
    return slack_environment(tmp_path, redis_url, fake_slack.url, policy_file(tmp_path))


@pytest.mark.timeout(400)  # its waits' own bounds come first, with what was missing
# Known problem: with other tests loading the machine, some of the 2,000 delivery reports never reach the audit
# (the cards themselves all arrive, exactly once). Seen in about half the parallel runs; to be found (issue 17).
@pytest.mark.serial
def test_a_killed_serve_leaves_nothing_behind_for_the_next(
    opsbot_serve: OpsbotServe, fake_slack: FakeSlackApi, redis_conn: redis.Redis, environment: dict[str, str],
    tmp_path: Path,
) -> None:  # fmt: skip
    fake_slack.limit_channels(per_second=1.0, burst=4)  # Slack's own pace per channel
    first = opsbot_serve.start(environment).process
    outbox = Outbox(redis_conn)
    cards = [
        Reply(ref=ConversationRef(channel="slack", conversation_id=channel), key=f"alert-{n}.n-{channel}",
              text=f"FIRING\nALERT {n} CRIT svc-{n}: problem {n}")
        for n in range(1, PER_CHANNEL + 1) for channel in CHANNELS
    ]  # fmt: skip
    for card in cards:  # as the workers publish them in a storm
        outbox.publish(card)
    eventually(lambda: len(fake_slack.messages) >= 8, 60, "the first cards")  # each channel's burst
    # Slack stops taking messages (429, come back in a minute), so that nothing is on its way at the kill.
    fake_slack.fail_next("chat.postMessage", 100_000, retry_after=60)
    refused = len(fake_slack.throttled)

    def both_refused() -> bool:  # each channel's lane has had a 429 back: nothing is on its way now
        return {call.body.get("channel") for call, _ in fake_slack.throttled[refused:]} >= set(CHANNELS)

    eventually(both_refused, 60, "a send refused with 429 in each channel")
    first.kill()
    first.communicate()
    assert cards_received(fake_slack) < len(cards)
    fake_slack.fail_next("chat.postMessage", 0)

    second = opsbot_serve.start(environment).process
    eventually(lambda: cards_received(fake_slack) >= len(cards), 60, "every card delivered")

    def reported() -> set[str]:
        records = AuditLog(tmp_path / "data").records()
        return {r.what.rpartition(" ")[2] for r in records if r.event is AuditEvent.ALERT_DELIVERY and r.params["ok"]}

    # Two thousand fsync'd audit records; the log is read twice a second.
    wanted = {c.key for c in cards}
    eventually(lambda: reported() >= wanted, 180, "every card reported to its escalation", every=0.5,
               seen=lambda: f"{len(wanted - reported())} unreported")  # fmt: skip
    assert cards_received(fake_slack) == len(cards)  # exactly once: nothing more came while the reports were written
    stop(second, grace=60)

    stats = CliRunner().invoke(outbox_app, ["stats"], env=environment)  # `opsbot outbox stats`
    rows = {line.split()[0]: line.split()[1:] for line in stats.output.splitlines()[1:]}
    assert rows["slack"] == ["0", "0", "0", "-"]  # nothing pending, nothing dead, the lease released
