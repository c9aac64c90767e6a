"""Route 53 weighted records switched through boto3 against moto's server, behind a proxy that makes each change
PENDING for a few GetChange reads (as Route 53 does) and can answer with Route 53's own errors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from actions.aws.dns import UNCHANGED, AwsDns
from actions.dns.model import DnsTarget
from core.errors import ProviderAuthError, ProviderError, ResourceNotFound, TransientProviderError
from core.models import Cloud
from fakes.aws_route53 import AwsRoute53
from tests.actions.aws.conftest import ACCOUNT, REGION, CountingThrottle, RoutedSession

NAME = "www.example.com."


@pytest.fixture(scope="module")
def proxy(moto_url: str) -> Iterator[AwsRoute53]:
    with AwsRoute53(moto_url, pending_reads=2) as served:
        yield served


@pytest.fixture
def route53(moto_url: str) -> Any:
    return boto3.client("route53", region_name=REGION)  # straight to moto: the world as the test builds it


def _weighted(place: str, weight: int, **fields: Any) -> dict[str, Any]:
    record = {"Name": NAME, "Type": "A", "SetIdentifier": place, "Weight": weight} | fields
    return {"Action": "CREATE", "ResourceRecordSet": record}


@pytest.fixture
def zone(route53: Any, proxy: AwsRoute53) -> str:
    """A new hosted zone: www weighted web-prod 100 (with a health check) / web-dr 0, and records beside it."""
    proxy.clear()
    made = route53.create_hosted_zone(Name="example.com", CallerReference=str(uuid.uuid4()))
    zone_id = str(made["HostedZone"]["Id"]).removeprefix("/hostedzone/")
    check = route53.create_health_check(
        CallerReference=str(uuid.uuid4()),
        HealthCheckConfig={"Type": "HTTP", "IPAddress": "10.0.0.1", "Port": 80, "ResourcePath": "/health"},
    )["HealthCheck"]["Id"]
    changes = [
        _weighted("web-prod", 100, TTL=60, ResourceRecords=[{"Value": "10.0.0.1"}], HealthCheckId=check),
        _weighted("web-dr", 0, TTL=30, ResourceRecords=[{"Value": "10.0.1.1"}]),
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "api.example.com.", "Type": "A", "TTL": 300,
                                                   "ResourceRecords": [{"Value": "10.0.2.1"}]}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": NAME, "Type": "TXT", "TTL": 300,
                                                   "ResourceRecords": [{"Value": '"hello"'}]}},
    ]  # fmt: skip
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return zone_id


@pytest.fixture
def throttle() -> CountingThrottle:
    return CountingThrottle()


@pytest.fixture
def dns(proxy: AwsRoute53, throttle: CountingThrottle) -> AwsDns:
    session = RoutedSession({REGION: proxy.url})
    return AwsDns([ACCOUNT], throttle=throttle, timeout=5.0, session_factory=lambda _account: session)


def target(zone_id: str, name: str = NAME) -> DnsTarget:
    return DnsTarget(cloud=Cloud.AWS, zone=f"{ACCOUNT.name}/{zone_id}", name=name)


def records(route53: Any, zone_id: str) -> dict[str, dict[str, Any]]:
    listed = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {r["SetIdentifier"]: r for r in listed if "SetIdentifier" in r}


def test_read_says_which_place_takes_the_traffic(dns: AwsDns, zone: str, throttle: CountingThrottle) -> None:
    state = dns.read(target(zone))

    assert state.pointing == ("web-prod",)
    assert state.weights == {"web-prod": 100, "web-dr": 0}
    assert state.ttl == 60
    assert state.detail == "record www.example.com. A weighted: web-dr 0, web-prod 100"
    assert throttle.waits == [f"aws:{ACCOUNT.name}:{REGION}"]  # one request, through the throttle


def test_point_moves_every_weight_in_one_batch_and_keeps_the_records(
    dns: AwsDns, zone: str, proxy: AwsRoute53, route53: Any
) -> None:
    before = records(route53, zone)

    change = dns.point(target(zone, "WWW.example.com"), "web-dr")

    assert [dns.settled(target(zone), change) for _ in range(3)] == [False, False, True]  # PENDING, then INSYNC
    assert dns.read(target(zone)).pointing == ("web-dr",)
    after = records(route53, zone)
    assert {place: r["Weight"] for place, r in after.items()} == {"web-prod": 0, "web-dr": 100}
    for place in after:
        assert after[place] | {"Weight": 0} == before[place] | {"Weight": 0}  # addresses, TTL, health check kept
    assert len(proxy.batches) == 1 and proxy.batches[0].count("<Action>UPSERT</Action>") == 2


def test_pointing_where_it_points_changes_nothing(dns: AwsDns, zone: str, proxy: AwsRoute53) -> None:
    change = dns.point(target(zone), "web-prod")

    assert change == UNCHANGED
    assert dns.settled(target(zone), change) is True
    assert proxy.batches == []


def test_point_back_and_forth(dns: AwsDns, zone: str) -> None:
    there = dns.point(target(zone), "web-dr")
    back = dns.point(target(zone), "web-prod")

    assert there != back
    assert dns.read(target(zone)).weights == {"web-prod": 100, "web-dr": 0}


def test_alias_records_keep_their_alias(dns: AwsDns, route53: Any, proxy: AwsRoute53) -> None:
    made = route53.create_hosted_zone(Name="example.org", CallerReference=str(uuid.uuid4()))
    zone_id = str(made["HostedZone"]["Id"]).removeprefix("/hostedzone/")
    alias = {"HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": "web-prod-123.us-east-1.elb.amazonaws.com.",
             "EvaluateTargetHealth": True}  # fmt: skip
    changes = [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "app.example.org.", "Type": "A", "SetIdentifier": place,
                                                   "Weight": weight, "AliasTarget": alias | {"DNSName": dns_name}}}
        for place, weight, dns_name in [("web-prod", 1, alias["DNSName"]), ("web-dr", 0, "web-dr-9.elb.aws.")]
    ]  # fmt: skip
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    app = target(zone_id, "app.example.org")

    dns.point(app, "web-dr")

    after = records(route53, zone_id)
    assert after["web-dr"]["AliasTarget"]["DNSName"] == "web-dr-9.elb.aws."
    assert after["web-prod"]["AliasTarget"]["DNSName"] == alias["DNSName"]
    assert dns.read(app).pointing == ("web-dr",) and dns.read(app).ttl is None


def test_an_unknown_place_names_the_places_there_are(dns: AwsDns, zone: str, proxy: AwsRoute53) -> None:
    with pytest.raises(ProviderError) as raised:
        dns.point(target(zone), "web-eu")

    assert str(raised.value) == f"AWS Route 53 {zone} www.example.com.: no place web-eu; it has web-dr, web-prod"
    assert proxy.batches == []


def test_a_name_without_weighted_records_says_what_to_create(dns: AwsDns, zone: str) -> None:
    with pytest.raises(ProviderError, match=r"no weighted A records named api\.example\.com\.; create one per place"):
        dns.read(target(zone, "api.example.com."))


def test_an_unknown_zone(dns: AwsDns, zone: str) -> None:
    with pytest.raises(ResourceNotFound) as raised:
        dns.read(target("Z0000000000MISSING"))

    assert str(raised.value) == (
        f"AWS Route 53 Z0000000000MISSING: no such hosted zone in account {ACCOUNT.name}; check the zone id"
    )


def test_an_unknown_change(dns: AwsDns, zone: str) -> None:
    with pytest.raises(ResourceNotFound, match="Route 53 does not know that change"):
        dns.settled(target(zone), "C0000000000000")


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (400, "Throttling", "Rate exceeded"),
        (400, "PriorRequestNotComplete", "The request was rejected because Route 53 was still processing a prior "
                                          "request."),
        (503, "ServiceUnavailable", "Service Unavailable"),
    ],
)  # fmt: skip
def test_busy_route53_is_retried_later(
    dns: AwsDns, zone: str, proxy: AwsRoute53, status: int, code: str, message: str
) -> None:
    proxy.fail(status, code, message, on="change")

    with pytest.raises(TransientProviderError) as raised:
        dns.point(target(zone), "web-dr")

    assert str(raised.value) == f"AWS Route 53 {zone} is busy ({code}); will retry"
    assert dns.read(target(zone)).pointing == ("web-prod",)  # nothing moved; the next try does it
    assert dns.settled(target(zone), dns.point(target(zone), "web-dr")) is False


def test_access_denied_names_the_zone_and_what_to_check(dns: AwsDns, zone: str, proxy: AwsRoute53) -> None:
    proxy.fail(403, "AccessDenied", "User: arn:aws:iam::123456789012:user/bot is not authorized", on="change")

    with pytest.raises(ProviderAuthError) as raised:
        dns.point(target(zone), "web-dr")

    assert str(raised.value) == (
        f"AWS Route 53 {zone}: ChangeResourceRecordSets denied for account {ACCOUNT.name} - check that "
        "AWS_PROFILE / the AWS credentials may use Route 53 on this zone"
    )


def test_a_refused_batch_says_why(dns: AwsDns, zone: str, proxy: AwsRoute53) -> None:
    proxy.fail(400, "InvalidChangeBatch", "[Tried to create resource record set but it already exists]", on="change")

    with pytest.raises(ProviderError) as raised:
        dns.point(target(zone), "web-dr")

    assert type(raised.value) is ProviderError
    assert str(raised.value) == (
        f"AWS Route 53 {zone} www.example.com.: Route 53 refused ChangeResourceRecordSets: "
        "[Tried to create resource record set but it already exists]"
    )


def test_a_zone_without_its_account(dns: AwsDns) -> None:
    with pytest.raises(ProviderError, match="give the zone as <account>/<hosted zone id>"):
        dns.read(DnsTarget(cloud=Cloud.AWS, zone="Z0123", name=NAME))
    with pytest.raises(ProviderError, match="account staging is not configured"):
        dns.read(DnsTarget(cloud=Cloud.AWS, zone="staging/Z0123", name=NAME))


def test_a_wildcard_name(dns: AwsDns, zone: str, route53: Any) -> None:
    changes = [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "*.example.com.", "Type": "A", "SetIdentifier": place,
                                                   "Weight": weight, "TTL": 60, "ResourceRecords": [{"Value": ip}]}}
        for place, weight, ip in [("web-prod", 0, "10.0.0.1"), ("web-dr", 7, "10.0.1.1")]
    ]  # fmt: skip
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})

    dns.point(target(zone, "*.example.com"), "web-prod")

    assert dns.read(target(zone, "*.example.com")).weights == {"web-prod": 100, "web-dr": 0}
    listed = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    assert sorted(r["Name"] for r in listed if r.get("SetIdentifier")) == ["*.example.com."] * 2 + [NAME] * 2
