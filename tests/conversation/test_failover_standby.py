"""`fail over web-prod to dr` means "to web-prod's standby", wherever the standby is: on a configured account a
standby is often not tagged as dr (here it has no environment label, so it counts as prod, in another zone). A
destination that names another place is still refused, in one line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from google.auth.credentials import AnonymousCredentials

from actions.gcp import GcpBackend
from audit.log import AuditEvent
from bot.runtime import Runtime
from core.cloud_config import GcpProject
from core.models import Reply
from core.settings import Settings
from fakes.gcp_compute import FakeComputeApi
from tests.conversation.conftest import Say, button, outbox_after, runtime_on, speaker

PROJECT, ZONE, DR_ZONE = "shop-prod-7", "europe-west1-b", "europe-west4-a"
CARD = "web-prod (GCP europe-west1-b) -> web-dr (GCP europe-west4-a): web-dr 0 -> 3 instances"


class Account:
    def __init__(self, gcp: FakeComputeApi, runtime: Runtime) -> None:
        self.gcp, self.runtime = gcp, runtime

    def say(self, text: str = "", *, user: str = "alice", press: str | None = None) -> list[Reply]:
        return speaker(self.runtime)(text, user=user, press=press)


@pytest.fixture
def account(settings: Settings, redis_conn: redis.Redis) -> Iterator[Account]:
    gcp = FakeComputeApi(page_size=20).start()
    gcp.add_mig(PROJECT, ZONE, "web-prod", 3, labels={"env": "prod", "opsbot-standby": "web-dr"})
    gcp.add_mig(PROJECT, DR_ZONE, "web-dr", 0)  # no environment label: prod, as far as opsbot can tell
    google = GcpBackend(
        [GcpProject(id=PROJECT, zones=[ZONE, DR_ZONE])], compute_url=gcp.url, credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        timeout=1.0, poll_seconds=0.02,
    )  # fmt: skip
    try:
        with runtime_on([google], settings, redis_conn) as (runtime, _provider):
            yield Account(gcp, runtime)
    finally:
        gcp.stop()


@pytest.mark.parametrize(
    "text",
    [
        "fail over web-prod to dr",  # the README's own example
        "fail over web-prod to the standby",
        "fail over web-prod to disaster recovery",
        "activate dr for web-prod",
        "fail over web-prod to web-dr",
        "fail over web-prod to gcp",  # where the standby really is
    ],
)
def test_dr_means_the_standby_wherever_it_is(account: Account, text: str) -> None:
    [card] = account.say(text)
    assert card.kind == "confirm" and card.text.startswith(f"Failover: {CARD}"), card.text
    assert "Critical (failover in prod): needs approval by an admin other than alice." in card.text


def test_an_admin_approves_and_the_standby_takes_over(account: Account) -> None:
    [card] = account.say("fail over web-prod to dr")
    assert account.say(press=button([card], "Approve"), user="carol") == []
    texts = [r.text for r in outbox_after(account.runtime)]
    assert any("web-dr (GCP europe-west4-a) runs 3 instances" in t for t in texts), texts
    assert len(account.gcp.members(PROJECT, DR_ZONE, "web-dr")) == 3


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("fail over web-prod to azure", "web-prod fails over to web-dr (gcp europe-west4-a), not to azure."),
        ("fail over web-prod to staging", "web-prod fails over to web-dr (gcp europe-west4-a), not to staging."),
        ("fail over web-prod to us-east-1", "web-prod fails over to web-dr (gcp europe-west4-a), not to us-east-1."),
    ],
)
def test_another_place_is_refused_in_one_line_and_audited(account: Account, text: str, refusal: str) -> None:
    [answer] = account.say(text)
    assert (answer.kind, answer.text) == ("error", refusal)
    closing = account.runtime.conversation.services.audit.records()[-1]
    assert (closing.event, closing.outcome) == (AuditEvent.REFUSED, refusal)


def test_on_the_demo_world_dr_still_finds_the_standby(say: Say) -> None:
    [card] = say("fail over web-prod to dr")
    assert "web-prod (AWS us-east-1) -> web-dr (Azure westeurope)" in card.text
    [several] = say("fail over to the standby")
    assert several.text == (
        "Several could fail over to standby (api-prod, gallery-prod, web-prod). Say which: fail over web-prod to dr"
    )
    [elsewhere] = say("fail over web-prod to gcp")
    assert elsewhere.text == "web-prod fails over to web-dr (azure westeurope), not to gcp."
