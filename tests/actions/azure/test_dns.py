"""The Traffic Manager switch through azure-mgmt-trafficmanager against the fake ARM: where a profile points, moving
it (enabled first, never nothing enabled), idempotence, and ARM's errors as one line."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from actions.azure.dns import AzureDns
from actions.dns.model import DnsTarget
from core.errors import ConfigError, ProviderAuthError, ProviderError, ResourceNotFound, TransientProviderError
from core.models import Cloud
from fakes.azure_arm import FakeArm
from fakes.azure_traffic import TrafficProfiles
from tests.actions.azure.conftest import PROD, STAGING, CountingThrottle

MakeDns = Callable[..., AzureDns]
TARGET = DnsTarget(cloud=Cloud.AZURE, zone=f"{PROD}/rg-web/web-tm", name="web-tm.trafficmanager.net")
ENDPOINTS = "/trafficmanagerprofiles/web-tm/"


@pytest.fixture
def dns(make_dns: MakeDns, traffic: TrafficProfiles) -> AzureDns:
    traffic.add_profile(PROD, "rg-web", "web-tm", {"web-prod": "Enabled", "web-dr": "Disabled"}, ttl=30)
    return make_dns()


def test_read_says_which_endpoint_takes_the_traffic_and_the_ttl(dns: AzureDns) -> None:
    state = dns.read(TARGET)

    assert state.pointing == ("web-prod",)
    assert state.weights == {"web-prod": 100, "web-dr": 0}
    assert state.ttl == 30
    assert state.detail == "Traffic Manager rg-web/web-tm: Priority routing, web-prod on, web-dr off, TTL 30 s"


def test_point_enables_the_place_first_then_disables_the_others(
    dns: AzureDns, traffic: TrafficProfiles, arm: FakeArm
) -> None:
    change = dns.point(TARGET, "web-dr")

    assert dns.settled(TARGET, change)
    assert traffic.enabled(PROD, "rg-web", "web-tm") == ["web-dr"]
    assert traffic.enabled_history == [("web-prod", "web-dr"), ("web-dr",)]  # never nothing enabled
    patches = [r.path for r in arm.requests_to(ENDPOINTS) if r.method == "PATCH"]
    assert patches == [
        f"/subscriptions/{PROD}/resourceGroups/rg-web/providers/Microsoft.Network/trafficmanagerprofiles/web-tm"
        f"/AzureEndpoints/{name}" for name in ("web-dr", "web-prod")
    ]  # fmt: skip
    first = dns.read(TARGET)
    assert first.pointing == ("web-dr",)
    assert "web-dr on (not Online)" in first.detail  # Azure probes a newly enabled endpoint before Online
    assert "web-dr on," in dns.read(TARGET).detail


def test_point_where_it_already_points_changes_nothing(dns: AzureDns, arm: FakeArm) -> None:
    change = dns.point(TARGET, "WEB-PROD")

    assert dns.settled(TARGET, change)
    assert [r for r in arm.requests_to(ENDPOINTS) if r.method != "GET"] == []
    assert dns.read(TARGET).pointing == ("web-prod",)


def test_point_disables_every_other_enabled_endpoint(make_dns: MakeDns, traffic: TrafficProfiles) -> None:
    traffic.add_profile(PROD, "rg-web", "web-tm", {"web-prod": "Enabled", "web-dr": "Enabled", "web-eu": "Enabled"},
                        routing="Weighted", weights={"web-prod": 3, "web-dr": 1, "web-eu": 1})  # fmt: skip
    dns = make_dns()
    assert dns.read(TARGET).weights == {"web-prod": 60, "web-dr": 20, "web-eu": 20}

    dns.point(TARGET, "web-eu")

    assert traffic.enabled(PROD, "rg-web", "web-tm") == ["web-eu"]
    assert dns.read(TARGET).weights == {"web-prod": 0, "web-dr": 0, "web-eu": 100}


def test_an_unknown_place_names_the_places_the_profile_has(dns: AzureDns, arm: FakeArm) -> None:
    with pytest.raises(ProviderError) as caught:
        dns.point(TARGET, "web-us")

    assert (
        str(caught.value) == "Azure rg-web/web-tm web-tm.trafficmanager.net: no place web-us; it has web-prod, web-dr"
    )
    assert [r for r in arm.requests_to(ENDPOINTS) if r.method != "GET"] == []


def test_a_missing_profile_is_named(make_dns: MakeDns, traffic: TrafficProfiles) -> None:
    with pytest.raises(ResourceNotFound) as caught:
        make_dns().read(TARGET)

    assert str(caught.value) == "Azure: Traffic Manager rg-web/web-tm (the profile) was not found in subscription prod."


def test_an_endpoint_gone_between_read_and_update_is_named(
    dns: AzureDns, traffic: TrafficProfiles, arm: FakeArm
) -> None:
    arm.fail(r"/web-tm/AzureEndpoints/web-dr$", 404, method="PATCH", code="NotFound", message="Endpoint gone.")

    with pytest.raises(ResourceNotFound, match=r"Traffic Manager rg-web/web-tm \(endpoint web-dr\) was not found"):
        dns.point(TARGET, "web-dr")
    assert traffic.enabled(PROD, "rg-web", "web-tm") == ["web-prod"]  # nothing disabled when enabling failed


@pytest.mark.parametrize(
    ("status", "kind", "message"),
    [
        (403, ProviderAuthError, "Azure: credentials refused for subscription prod"),
        (409, ProviderError, "Azure Traffic Manager rg-web/web-tm: endpoint web-dr was changed by someone else"),
        (412, ProviderError, "Azure Traffic Manager rg-web/web-tm: endpoint web-dr was changed by someone else"),
        (429, TransientProviderError, "Azure is throttling requests for subscription prod."),
        (503, TransientProviderError, "Azure answered 503 for subscription prod."),
    ],
)
def test_arm_errors_are_one_line(
    dns: AzureDns, arm: FakeArm, status: int, kind: type[ProviderError], message: str
) -> None:
    arm.fail(r"/AzureEndpoints/web-dr$", status, method="PATCH", retry_after="7", code="Conflict")

    with pytest.raises(kind) as caught:
        dns.point(TARGET, "web-dr")

    assert type(caught.value) is kind
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value) and "test-token" not in str(caught.value)
    if status == 429:
        assert isinstance(caught.value, TransientProviderError) and caught.value.retry_after == 7


def test_every_request_passes_the_throttle_of_its_subscription(make_dns: MakeDns, traffic: TrafficProfiles) -> None:
    traffic.add_profile(PROD, "rg-web", "web-tm", {"web-prod": "Enabled", "web-dr": "Disabled"})
    throttle = CountingThrottle()
    dns = make_dns(throttle=throttle)

    dns.point(TARGET, "web-dr")  # one read, two updates

    assert throttle.endpoints == [f"azure:{PROD}:*"] * 3


def test_a_zone_that_is_not_a_configured_profile_is_a_config_error(make_dns: MakeDns) -> None:
    dns = make_dns(subscriptions=[])
    with pytest.raises(ConfigError, match=f"subscription {PROD} is not configured"):
        dns.read(TARGET)
    with pytest.raises(ConfigError, match="<subscription>/<resource group>/<profile>"):
        dns.read(TARGET.model_copy(update={"zone": f"{STAGING}/web-tm"}))
