"""Status, find, show and cost on a configured AWS account (boto3 against moto) tell only what the data shows: an
empty cache is "no data yet" with the reason, never "OK" or an age counted from 1970; an unreachable endpoint is
one line naming its regions; data that nobody refreshes is a warning on top; cost answers for the scope asked and
labels its list-price figure an estimate, apart from what Cost Explorer billed."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import boto3
import pytest
import redis
from google.auth.credentials import AnonymousCredentials

from actions.aws import AwsBackend
from actions.azure import AzureBackend
from actions.backend import Scope
from actions.gcp import GcpBackend
from actions.inventory.store import InventoryStore
from actions.multicloud import MultiCloud
from actions.resilience import Guard
from bot.runtime import Runtime
from conversation.replies import clock
from core.cloud_config import AzureSubscription, GcpProject
from core.models import Cloud
from core.settings import Settings
from fakes.azure_arm import StaticToken
from fakes.gcp_compute import FakeComputeApi
from tests.actions.aws import conftest as aws
from tests.actions.aws.conftest import OTHER_REGION, REGION, RoutedSession, World, aws_backend
from tests.conversation.conftest import speaker
from workers.inventory import InventoryRefresher

TEN_MINUTES = 600.0
SUB = "11111111-1111-4111-8111-111111111111"
moto_url, world, shared_session = aws.moto_url, aws.world, aws.shared_session  # moto's server and the account


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@dataclass
class Opsbot:
    """opsbot's chat side on the account, with no worker: the test decides what the cache holds."""

    runtime: Runtime
    redis: redis.Redis
    backend: AwsBackend

    def say(self, text: str) -> str:
        return speaker(self.runtime)(text)[0].text

    def refresh(self, *, routes: dict[str, str] | None = None, clock: Callable[[], float] = time.time) -> None:
        """What a worker does: read every region (some through `routes`, e.g. a closed port) into the cache,
        writing the times `clock` gives."""
        backend = self.backend if routes is None else aws_backend(RoutedSession(routes))
        store = InventoryStore(self.redis, clock=clock)
        guard = Guard(fail_max=50, attempts=1)
        InventoryRefresher([backend], store, guard, every_seconds=60.0).refresh_all(timeout=30.0)


@pytest.fixture
def opsbot(
    world: World, settings: Settings, redis_conn: redis.Redis, shared_session: boto3.Session
) -> Iterator[Opsbot]:
    backend = aws_backend(shared_session)
    provider = MultiCloud([backend], InventoryStore(redis_conn), Guard(), timeout_for=lambda _request: 30.0)
    # No worker will answer its request. The account is configured without a cost source (Cost Explorer's daily
    # history off): cost answers are the list-price estimate, with the inventory's month-to-date bill beside it.
    quick = settings.model_copy(
        update={"status_deadline_seconds": 0.1, "aws_accounts": [aws.ACCOUNT], "cost_explorer": False}
    )
    runtime = Runtime.build(quick, with_worker=False, provider=provider)
    yield Opsbot(runtime, redis_conn, backend)
    runtime.close()


def test_an_empty_cache_says_no_data_yet_and_never_ok(opsbot: Opsbot) -> None:
    text = opsbot.say("status")
    assert text.splitlines()[0] == "All clouds: no data yet.", text
    assert "! AWS prod eu-west-1, us-east-1: no data yet - no refresh attempted; is a worker running?" in text
    assert "OK" not in text and "$0.00" not in text and " h old" not in text
    nothing = "No data yet: nothing has been read from the clouds."
    assert opsbot.say("find web").startswith(nothing)  # not "nothing matches"
    assert opsbot.say("show web-prod").startswith(nothing)
    assert opsbot.say("cost this month").startswith(nothing)


def test_a_first_refresh_in_flight_says_when_it_started(opsbot: Opsbot, redis_conn: redis.Redis) -> None:
    started = time.time() - 30
    scope = Scope(cloud=Cloud.AWS, account="prod", region=REGION, label=f"AWS prod {REGION}")
    InventoryStore(redis_conn, clock=lambda: started).begin(scope)
    text = opsbot.say("status")
    assert f"! AWS prod us-east-1: no data yet - first refresh running (started {clock(started)})" in text, text
    assert "! AWS prod eu-west-1: no data yet - no refresh attempted" in text


def test_an_unreachable_endpoint_is_one_line_naming_its_regions(opsbot: Opsbot) -> None:
    closed = _closed_port()
    opsbot.refresh(routes={REGION: closed, OTHER_REGION: closed})
    text = opsbot.say("status")
    assert text.splitlines()[0] == "All clouds: no data yet.", text
    assert "! AWS prod eu-west-1, us-east-1: no data yet - did not answer; will retry" in text
    assert text.count("did not answer") == 1 and "AWS prod eu-west-1: AWS prod" not in text
    assert "AWS: no data yet" in text and "old" not in text


def test_one_unreachable_region_leaves_no_ok_and_a_partial_cost(opsbot: Opsbot) -> None:
    opsbot.refresh(routes={OTHER_REGION: _closed_port()})
    text = opsbot.say("status")
    first, *rest = text.splitlines()
    assert first.startswith("All clouds: 1 problem. at least $"), text
    assert "! AWS prod eu-west-1: no data yet - did not answer; will retry" in rest
    assert any(line.startswith("AWS: 6 up, 0 stopped, 0 degraded - data ") for line in rest), text
    found = opsbot.say("find web")
    assert found.startswith("5 of 5:") and "! AWS prod eu-west-1: no data yet" in found  # groups and members
    assert found.splitlines()[-1].startswith("Data ") and found.endswith(" s old.")
    assert opsbot.say("find api-eu").startswith("Nothing matches in the data read so far.")


def test_fresh_data_says_ok_and_every_read_shows_its_age(opsbot: Opsbot) -> None:
    opsbot.refresh()
    status = opsbot.say("status")
    assert status.startswith("All clouds: OK. $"), status
    shown = opsbot.say("show web-prod")
    assert shown.startswith("web-prod: running. AWS group, us-east-1, prod.")
    assert shown.splitlines()[-1].startswith("Data ") and shown.endswith(" s old.")
    assert opsbot.say("find db").splitlines()[-1].startswith("Data ")
    assert opsbot.say("cost this month").splitlines()[-1].startswith("Data ")


def test_a_stale_cache_with_no_worker_is_a_warning_on_top(opsbot: Opsbot) -> None:
    read_at = time.time() - TEN_MINUTES
    opsbot.refresh(clock=lambda: read_at)  # the last worker stopped ten minutes ago
    text = opsbot.say("status")
    warning, verdict, *_ = text.splitlines()
    assert warning == (
        f"WARNING: AWS prod eu-west-1, us-east-1: data 10 min old - no refresh attempted since {clock(read_at)}; "
        "is a worker running?"
    ), text
    assert verdict.startswith("All clouds: 1 problem. $") and "OK" not in text
    found = opsbot.say("find web")
    assert found.startswith("WARNING: AWS prod eu-west-1, us-east-1: data 10 min old") and found.endswith(
        "Data 10 min old."
    )


def test_stale_data_of_a_failing_source_names_the_failure(opsbot: Opsbot) -> None:
    opsbot.refresh(clock=lambda: time.time() - TEN_MINUTES)
    closed = _closed_port()
    opsbot.refresh(routes={REGION: closed, OTHER_REGION: closed})
    warning = opsbot.say("status").splitlines()[0]
    assert warning.startswith("WARNING: AWS prod eu-west-1, us-east-1: data 10 min old - refresh failing since ")
    assert warning.endswith(": did not answer; will retry")


def test_cost_answers_for_the_scope_asked(opsbot: Opsbot, world: World) -> None:
    world.seed_costs([{"ResultsByTime": [{"TimePeriod": {"Start": "2026-12-01", "End": "2026-12-06"},
                                          "Groups": [{"Keys": ["Amazon Elastic Compute Cloud - Compute"],
                                                      "Metrics": {"UnblendedCost": {"Amount": "100.0",
                                                                                    "Unit": "USD"}}}]}]}])  # fmt: skip
    opsbot.refresh()
    store = InventoryStore(opsbot.redis)
    InventoryRefresher([opsbot.backend], store, Guard(), every_seconds=60.0).refresh_billing()
    everything = opsbot.say("cost this month")
    assert everything.startswith("Cost this month: $") and " - estimate from list prices." in everything
    assert "AWS prod billed so far (Cost Explorer, " in everything  # the bill, apart from the estimate
    staging = opsbot.say("cost of staging")
    assert staging.startswith("Cost this month, staging: $"), staging
    assert "AWS prod billed so far, whole account (Cost Explorer" in staging  # Cost Explorer is per account
    hourly = {line.split("(")[1].split("/h")[0] for line in (everything, staging)}
    assert len(hourly) == 2  # a different figure: the environment, not the account
    assert opsbot.say("cost of api-eu").startswith("Cost this month, api-eu: $")
    assert opsbot.say("cost this month in eu-west-1").splitlines()[0].startswith("Cost this month, eu-west-1: $")


def test_refused_credentials_in_every_zone_are_one_line(settings: Settings, redis_conn: redis.Redis) -> None:
    project, zones = "shop-prod-7", ["europe-west1-b", "europe-west1-c"]
    api = FakeComputeApi(page_size=20).start()
    google = GcpBackend([GcpProject(id=project, zones=zones)], compute_url=api.url,
                        credentials=AnonymousCredentials(), timeout=1.0, poll_seconds=0.02)  # type: ignore[no-untyped-call]  # fmt: skip
    store = InventoryStore(redis_conn)
    runtime = Runtime.build(settings, with_worker=False, provider=MultiCloud([google], store, Guard(), lambda _r: 30.0))
    try:
        api.fail("/compute", 401, times=100)
        InventoryRefresher([google], store, Guard(attempts=1), every_seconds=60.0).refresh_all()
        text = speaker(runtime)("status")
    finally:
        runtime.close()
        api.stop()
    lines = text[0].text.splitlines()
    refused = [line for line in lines if "credentials refused" in line]
    assert len(refused) == 1, lines  # not once per zone
    assert refused[0].startswith("! GCP shop-prod-7 europe-west1-b, europe-west1-c: no data yet - credentials refused")
    assert "GCP: credentials" not in refused[0]  # the cloud is named once


def test_azure_and_google_cloud_at_closed_ports_say_no_data_yet_with_why(
    settings: Settings, redis_conn: redis.Redis
) -> None:
    closed = _closed_port()
    azure = AzureBackend([AzureSubscription(id=SUB, name="shop")], arm_url=closed.replace("http:", "https:"),
                         credential=StaticToken(), timeout=1.0, poll_seconds=0.02)  # fmt: skip
    google = GcpBackend([GcpProject(id="shop-prod-7", zones=["europe-west1-b"])], compute_url=closed,
                        credentials=AnonymousCredentials(), timeout=1.0, poll_seconds=0.02)  # type: ignore[no-untyped-call]  # fmt: skip
    store = InventoryStore(redis_conn)
    provider = MultiCloud([azure, google], store, Guard(), lambda _r: 30.0)
    runtime = Runtime.build(settings, with_worker=False, provider=provider)
    try:
        InventoryRefresher([azure, google], store, Guard(attempts=1), every_seconds=60.0).refresh_all()
        said = speaker(runtime)("status")
    finally:
        runtime.close()
        azure.close()
    lines = said[0].text.splitlines()
    assert lines[0] == "All clouds: no data yet.", lines
    assert "! Azure shop: no data yet - did not answer for subscription shop (unreachable or timed out)." in lines
    assert "! GCP shop-prod-7 europe-west1-b: no data yet - did not answer for project shop-prod-7" in lines[2]
    assert {"Azure: no data yet", "GCP: no data yet"} <= set(lines)
