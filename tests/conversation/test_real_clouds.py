"""A whole opsbot on real cloud SDKs: Azure (azure-mgmt-compute over https) and Google Cloud (google-cloud-compute)
against the loopback fakes, with the inventory cache refreshed by the worker side. What an on-call engineer
sees: status with each cloud's data age, a change confirmed and carried out on the cloud, a hung or failing
cloud marked as such without holding the reply up."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
import trustme
from google.auth.credentials import AnonymousCredentials

from actions.azure import AzureBackend
from actions.gcp import GcpBackend
from actions.inventory.store import InventoryStore
from actions.multicloud import MultiCloud
from actions.resilience import Guard
from bot.runtime import Runtime
from core.cloud_config import AzureSubscription, GcpProject
from core.models import Reply
from core.settings import Settings
from fakes.azure_arm import FakeArm, StaticToken
from fakes.gcp_compute import FakeComputeApi
from tests.conversation.conftest import button, outbox_after, speaker
from tests.eventually import eventually

SUB, RG = "11111111-1111-4111-8111-111111111111", "shop"
PROJECT, ZONE = "shop-prod-7", "europe-west1-b"


class Clouds:
    def __init__(self, arm: FakeArm, gcp: FakeComputeApi, runtime: Runtime, provider: MultiCloud) -> None:
        self.arm, self.gcp, self.runtime, self.provider = arm, gcp, runtime, provider

    def say(self, text: str = "", *, user: str = "alice", press: str | None = None) -> list[Reply]:
        return speaker(self.runtime)(text, user=user, press=press)

    def refresh(self) -> None:
        assert self.runtime.refresher is not None
        self.runtime.refresher.refresh_all()
        self.provider.freshen(max_age=3600, deadline=0.1)  # load what was written


@pytest.fixture
def clouds(settings: Settings, redis_conn: redis.Redis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clouds]:
    ca = trustme.CA()
    ca_path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    arm = FakeArm(ca, page_size=20)
    arm.add_vm(SUB, RG, "db-prod", size="Standard_D4s_v5", tags={"environment": "prod"})
    arm.add_scale_set(SUB, RG, "web-dr", 0, tags={"environment": "dr"})
    gcp = FakeComputeApi(page_size=20).start()
    gcp.add_mig(PROJECT, ZONE, "api-prod", 3, labels={"env": "prod", "opsbot-standby": "web-dr"})
    gcp.seed_instances(PROJECT, ZONE, 30, prefix="batch", labels={"env": "staging"})
    azure = AzureBackend(
        [AzureSubscription(id=SUB, name="shop")], arm_url=arm.url, credential=StaticToken(), timeout=1.0,
        poll_seconds=0.02, connection_verify=str(ca_path),
    )  # fmt: skip
    google = GcpBackend(
        [GcpProject(id=PROJECT, zones=[ZONE])], compute_url=gcp.url,
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        timeout=1.0, poll_seconds=0.02,
    )  # fmt: skip
    guard = Guard(fail_max=3, reset_seconds=0.5, attempts=2, backoff_first=0.01, backoff_max=0.05)
    provider = MultiCloud([azure, google], InventoryStore(redis_conn), guard, timeout_for=lambda _request: 30.0)
    # Refreshed every 2 s: status finds data older than 3 s and asks for fresher.
    fast = settings.model_copy(update={"status_deadline_seconds": 1.0, "inventory_refresh_seconds": 2.0})
    runtime = Runtime.build(fast, with_worker=True, provider=provider)
    world = Clouds(arm, gcp, runtime, provider)
    world.refresh()
    yield world
    runtime.close()
    azure.close()
    gcp.stop()
    arm.close()


def test_status_shows_every_cloud_with_the_age_of_its_data(clouds: Clouds) -> None:
    text = clouds.say("status")[0].text
    assert "Azure: 1 up, 0 stopped, 0 degraded - data" in text
    assert "GCP: 33 up, 0 stopped, 0 degraded - data" in text
    assert "unreachable" not in text


def test_a_scale_is_confirmed_then_carried_out_on_the_cloud(clouds: Clouds) -> None:
    asked = clouds.say("scale api prod to 5")
    assert asked[0].text.startswith("Scale: api-prod (GCP europe-west1-b): 3 -> 5 instances")
    clouds.say(press=button(asked, "Confirm"))
    texts = [r.text for r in outbox_after(clouds.runtime)]
    assert any(t.startswith("Done: api-prod is at 5 instances") for t in texts), texts
    assert any("api-prod: " in t and "/5 instances running" in t for t in texts), texts
    assert len(clouds.gcp.members(PROJECT, ZONE, "api-prod")) == 5
    assert "5 instances" in clouds.say("show api-prod")[0].text  # shown before the next scheduled refresh


def test_stopping_a_vm_deallocates_it_through_the_poller(clouds: Clouds) -> None:
    asked = clouds.say("stop db-prod")
    assert asked[0].text.startswith("Stop: db-prod (Azure westeurope): running -> stopped")
    clouds.say(press=button(asked, "Approve"), user="carol")  # a stop in prod needs an admin other than alice
    texts = [r.text for r in outbox_after(clouds.runtime)]
    assert any(t.startswith("Done: db-prod is stopped") for t in texts), texts
    assert clouds.arm.power(SUB, RG, "db-prod") == "deallocated"


def test_failover_from_google_cloud_to_an_azure_standby_needs_an_admin(clouds: Clouds) -> None:
    asked = clouds.say("fail over api-prod to dr")
    assert "api-prod (GCP europe-west1-b) -> web-dr (Azure westeurope): web-dr 0 -> 3 instances" in asked[0].text
    clouds.say(press=button(asked, "Approve"), user="carol")
    texts = [r.text for r in outbox_after(clouds.runtime)]
    assert any("web-dr (Azure westeurope) runs 3 instances" in t for t in texts), texts


def test_a_hung_cloud_does_not_hold_status_past_its_deadline(clouds: Clouds) -> None:
    clouds.gcp.hang("/compute", 30.0, times=1000)
    store = clouds.provider.store
    store.clock = lambda: time.time() + 3.1  # the data is now old enough for status to ask for fresher
    first = clouds.say("status")[0].text  # asks for fresh data; Azure answers, Google Cloud hangs
    # The last good data, still shown: status answered while Google Cloud's refresh hung (once that refresh
    # gives up, two 1 s timeouts later, status says "unreachable").
    assert "Azure: 1 up" in first and "GCP: 33 up" in first
    eventually(lambda: any(s.error for s in store.states().values()), 20, "the hang recorded")  # timeouts, retried
    text = clouds.say("status")[0].text
    assert "GCP: unreachable since" in text and "showing data from" in text, text
    assert "Azure: 1 up, 0 stopped, 0 degraded - data" in text


def test_refused_credentials_are_named_once_in_one_line(clouds: Clouds) -> None:
    clouds.arm.fail("virtualMachines|virtualMachineScaleSets", 401, times=None)
    clouds.refresh()
    text = clouds.say("status")[0].text
    problem = next(line for line in text.splitlines() if line.startswith("! Azure API"))
    assert "credentials refused" in problem and "test-token" not in text
    assert "Traceback" not in text


def test_a_503_storm_opens_the_breaker_then_it_closes_again(clouds: Clouds) -> None:
    clouds.gcp.fail("/compute", 503, times=6)
    clouds.refresh()  # 2 attempts, both 503
    clouds.refresh()  # 2 more: the third failure opens the breaker
    clouds.refresh()  # refused at once by the open breaker
    assert clouds.provider.guard.state(f"gcp:{PROJECT}:{ZONE}") == "open"
    assert "is failing; calls paused" in clouds.say("status")[0].text
    clouds.gcp.fail("/compute", 503, times=0)  # after the breaker's reset time, the next call is a trial

    def closed_after_a_refresh() -> bool:
        clouds.refresh()
        return clouds.provider.guard.state(f"gcp:{PROJECT}:{ZONE}") == "closed"

    eventually(closed_after_a_refresh, 20, "the breaker closed again", every=0.05)
    assert "unreachable" not in clouds.say("status")[0].text
