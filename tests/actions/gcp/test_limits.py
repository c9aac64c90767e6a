"""A MIG's autoscaler, through google-cloud-compute against the fake: its bounds come with the inventory (one
autoscaler listing per scope, none when no MIG has one), a plan outside them or a resize it would refuse is
stopped before any confirmation, and a resize sent anyway gets Compute Engine's own 412 refusal."""

from __future__ import annotations

import pytest

from actions.gcp import GcpBackend
from actions.planning import operation
from core.cloud_config import GcpProject
from core.errors import ProviderError
from core.models import ActionName, ActionRequest, Cloud
from fakes.gcp_compute import FakeComputeApi
from tests.actions.gcp.conftest import PROJECT, ZONE_B, ZONE_C, MakeBackend

API_PROD = f"gcp:{PROJECT}:{ZONE_C}:mig/api-prod"


@pytest.fixture
def autoscaled(fake: FakeComputeApi) -> FakeComputeApi:
    fake.add_mig(PROJECT, ZONE_C, "api-prod", 3, labels={"env": "prod"})
    fake.add_autoscaler(PROJECT, ZONE_C, "api-prod", 2, 10)
    fake.add_mig(PROJECT, ZONE_B, "batch-prod", 2, labels={"env": "prod"})
    return fake


def _request(action: ActionName, count: int | None = None) -> ActionRequest:
    return ActionRequest(
        action=action, resource_id=API_PROD, resource_name="api-prod", cloud=Cloud.GCP, region=ZONE_C,
        environment="prod", desired_count=count, requested_by="alice",
    )  # fmt: skip


def test_the_inventory_carries_the_autoscalers_bounds(autoscaled: FakeComputeApi, backend: GcpBackend) -> None:
    groups = {r.name: r for r in backend.fetch(backend.scopes()[0]) if r.kind == "group"}
    api = groups["api-prod"]
    assert (api.min_count, api.max_count, api.limits_from) == (2, 10, "autoscaler")
    assert (groups["batch-prod"].min_count, groups["batch-prod"].max_count) == (None, None)
    assert len(autoscaled.seen("/aggregated/autoscalers")) == 1  # one listing for the scope, not one per group
    fresh = backend.get(API_PROD)
    assert (fresh.min_count, fresh.max_count) == (2, 10)


def test_zonal_scopes_list_their_zones_autoscalers(autoscaled: FakeComputeApi, make_backend: MakeBackend) -> None:
    backend = make_backend(GcpProject(id=PROJECT, zones=[ZONE_C]))
    [api] = [r for r in backend.fetch(backend.scopes()[0]) if r.kind == "group"]
    assert (api.min_count, api.max_count) == (2, 10)
    assert autoscaled.seen(f"/zones/{ZONE_C}/autoscalers") and not autoscaled.seen("/aggregated/")


def test_no_autoscaler_no_extra_listing(fake: FakeComputeApi, backend: GcpBackend) -> None:
    fake.add_mig(PROJECT, ZONE_B, "batch-prod", 2)
    backend.fetch(backend.scopes()[0])
    assert not fake.seen("autoscalers")


def test_an_autoscaler_turned_off_sizes_nothing(autoscaled: FakeComputeApi, backend: GcpBackend) -> None:
    autoscaled.add_autoscaler(PROJECT, ZONE_C, "api-prod", 2, 10, mode="OFF")
    api = backend.get(API_PROD)
    assert (api.min_count, api.max_count, api.limits_from) == (None, None, None)
    assert backend.scale(api, 4, lambda _line: None, 5.0).count == 4


def test_plans_are_refused_before_any_confirmation(autoscaled: FakeComputeApi, backend: GcpBackend) -> None:
    api = backend.get(API_PROD)
    refusals = {}
    for count in (20, 1, 5):
        with pytest.raises(ProviderError) as refused:
            operation(_request(ActionName.SCALE, count), api)
        refusals[count] = str(refused.value)
    assert refusals[20] == (
        "api-prod's maximum is 10 (autoscaler): ask for 10 or less, or raise the maximum in GCP first"
    )
    assert refusals[1].startswith("api-prod's minimum is 2 (autoscaler): ask for 2 or more")
    assert refusals[5] == (
        "api-prod is sized by its autoscaler (2-10): change the autoscaler's minimum or maximum in GCP instead"
    )
    with pytest.raises(ProviderError, match="it cannot go to 0"):
        operation(_request(ActionName.SHUTDOWN), api)
    assert not autoscaled.seen("/resize")


def test_a_resize_sent_anyway_gets_compute_engines_refusal(autoscaled: FakeComputeApi, backend: GcpBackend) -> None:
    api = backend.get(API_PROD)
    with pytest.raises(ProviderError) as refused:
        backend.scale(api, 5, lambda _line: None, 5.0)
    assert str(refused.value).startswith("GCP: Resizing of autoscaled managed instance groups is not allowed.")
    assert len(autoscaled.members(PROJECT, ZONE_C, "api-prod")) == 3


def test_without_permission_for_autoscalers_the_migs_still_come(
    autoscaled: FakeComputeApi, backend: GcpBackend
) -> None:
    autoscaled.fail("/aggregated/autoscalers", 403, times=5)
    groups = {r.name: r for r in backend.fetch(backend.scopes()[0]) if r.kind == "group"}
    assert groups["api-prod"].count == 3 and groups["api-prod"].max_count is None
