"""The Cloud DNS switch through the real google-cloud-dns client against the loopback Cloud DNS fake: reading
where a name points, pointing it (one change, idempotent), waiting for the change to be done, and every failure
as one line naming the zone and the name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.auth.credentials import AnonymousCredentials

from actions.dns.model import DnsSwitch, DnsTarget
from actions.gcp.dns import GcpDns
from core.cloud_config import GcpProject
from core.errors import ProviderAuthError, ProviderError, ResourceNotFound, TransientProviderError
from core.models import Cloud
from fakes.gcp_dns import FakeCloudDns
from tests.actions.gcp.conftest import PROJECT, RecordingThrottle

ZONE, NAME = "shop-zone", "www.shop.example."
PRIMARY, STANDBY = ("203.0.113.10",), ("198.51.100.20", "198.51.100.21")


@pytest.fixture
def fake() -> Iterator[FakeCloudDns]:
    api = FakeCloudDns(pending_reads=2, page_size=3).start()
    api.set_record(PROJECT, ZONE, "shop.example.", ["ns1.example."], record_type="NS", ttl=21600)
    for n in range(4):  # other names, before and after it
        api.set_record(PROJECT, ZONE, f"a{n}.shop.example.", [f"192.0.2.{n}"])
    api.set_record(PROJECT, ZONE, NAME, list(PRIMARY), ttl=300)
    api.set_record(PROJECT, ZONE, "z.shop.example.", list(STANDBY))
    yield api
    api.stop()


@pytest.fixture
def throttle() -> RecordingThrottle:
    return RecordingThrottle()


@pytest.fixture
def switch(fake: FakeCloudDns, throttle: RecordingThrottle) -> DnsSwitch:
    return GcpDns([GcpProject(id=PROJECT)], dns_url=fake.url, throttle=throttle, timeout=2.0,
                  credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]  # fmt: skip


def target(zone: str = f"{PROJECT}/{ZONE}", **changes: object) -> DnsTarget:
    fields: dict[str, object] = {"cloud": Cloud.GCP, "zone": zone, "name": NAME, "ttl": 60,
                                 "places": {"web-prod": PRIMARY, "web-dr": STANDBY}}  # fmt: skip
    return DnsTarget.model_validate(fields | changes)


def test_read_names_the_place_the_record_set_matches(switch: DnsSwitch, throttle: RecordingThrottle) -> None:
    state = switch.read(target())
    assert state.pointing == ("web-prod",)
    assert state.weights == {"web-prod": 100, "web-dr": 0}
    assert state.ttl == 300
    assert state.detail == f"record {NAME} A 300 s: 203.0.113.10"
    assert throttle.endpoints and set(throttle.endpoints) == {f"gcp:{PROJECT}:dns"}


def test_read_of_data_that_is_no_place_points_nowhere(switch: DnsSwitch, fake: FakeCloudDns) -> None:
    fake.set_record(PROJECT, ZONE, NAME, ["192.0.2.99"])
    assert switch.read(target()).pointing == ()
    fake.zones[(PROJECT, ZONE)].rrsets.pop((NAME, "A"))
    state = switch.read(target())
    assert (state.pointing, state.ttl, state.detail) == ((), None, f"no A record {NAME}")


def test_read_asks_for_the_name_and_type_only(switch: DnsSwitch, fake: FakeCloudDns) -> None:
    switch.read(target())
    assert [(r.path, r.query) for r in fake.requests] == [
        (f"/dns/v1/projects/{PROJECT}/managedZones/{ZONE}/rrsets", {"name": NAME, "type": "A", "prettyPrint": "false"})
    ]
    assert switch.read(target(record_type="AAAA")).detail == f"no AAAA record {NAME}"


def test_point_replaces_the_record_set_in_one_change_settled_when_done(switch: DnsSwitch, fake: FakeCloudDns) -> None:
    change = switch.point(target(), "web-dr")
    [post] = fake.posts()
    assert post.path == f"/dns/v1/projects/{PROJECT}/managedZones/{ZONE}/changes"
    assert fake.record(PROJECT, ZONE, NAME) == {"kind": "dns#resourceRecordSet", "name": NAME, "type": "A",
                                                "ttl": 60, "rrdatas": list(STANDBY)}  # fmt: skip
    assert [switch.settled(target(), change) for _ in range(3)] == [False, False, True]
    state = switch.read(target())
    assert (state.pointing, state.ttl) == (("web-dr",), 60)


def test_pointing_where_it_points_changes_nothing(switch: DnsSwitch, fake: FakeCloudDns) -> None:
    first = switch.point(target(), "web-dr")
    again = switch.point(target(), "web-dr")
    assert len(fake.posts()) == 1
    assert again != first
    assert switch.settled(target(), again)


def test_same_data_with_another_ttl_is_changed(switch: DnsSwitch, fake: FakeCloudDns) -> None:
    switch.point(target(), "web-prod")
    assert len(fake.posts()) == 1
    assert fake.record(PROJECT, ZONE, NAME)["ttl"] == 60  # type: ignore[index]


def test_point_creates_a_missing_record_set(switch: DnsSwitch, fake: FakeCloudDns) -> None:
    fake.zones[(PROJECT, ZONE)].rrsets.pop((NAME, "A"))
    switch.point(target(), "web-prod")
    assert fake.record(PROJECT, ZONE, NAME)["rrdatas"] == list(PRIMARY)  # type: ignore[index]


def test_unknown_place_names_the_places_it_has(switch: DnsSwitch, fake: FakeCloudDns) -> None:
    with pytest.raises(ProviderError) as caught:
        switch.point(target(), "web-eu")
    assert str(caught.value) == f"GCP {PROJECT}/{ZONE} {NAME}: no place web-eu; it has web-prod, web-dr"
    assert fake.requests == []


def test_a_record_changed_meanwhile_is_a_conflict_not_overwritten(switch: DnsSwitch, fake: FakeCloudDns) -> None:
    fake.race(PROJECT, ZONE, NAME, ["192.0.2.77"])
    with pytest.raises(ProviderError) as caught:
        switch.point(target(), "web-dr")
    assert str(caught.value) == (f"GCP {PROJECT}/{ZONE} {NAME}: someone changed the record set meanwhile; "
                                 "read it and try again.")  # fmt: skip
    assert fake.record(PROJECT, ZONE, NAME)["rrdatas"] == ["192.0.2.77"]  # type: ignore[index]
    switch.point(target(), "web-dr")  # again: it reads the other writer's record set and replaces it
    assert switch.read(target()).pointing == ("web-dr",)


def test_a_record_deleted_meanwhile_is_a_conflict(switch: DnsSwitch, fake: FakeCloudDns) -> None:
    fake.race(PROJECT, ZONE, NAME, None)  # the deletion names a record set that is gone: Google's 404 notFound
    with pytest.raises(ProviderError, match="someone changed the record set meanwhile"):
        switch.point(target(), "web-dr")
    fake.fail("/changes", 412)
    with pytest.raises(ProviderError, match="someone changed the record set meanwhile"):
        switch.point(target(), "web-dr")


def test_a_record_added_by_someone_else_conflicts(switch: DnsSwitch, fake: FakeCloudDns) -> None:
    fake.zones[(PROJECT, ZONE)].rrsets.pop((NAME, "A"))
    fake.race(PROJECT, ZONE, NAME, ["192.0.2.77"])  # created between our read and our change: 409 alreadyExists
    with pytest.raises(ProviderError, match="someone changed the record set meanwhile"):
        switch.point(target(), "web-dr")


def test_unknown_zone(switch: DnsSwitch) -> None:
    with pytest.raises(ResourceNotFound) as caught:
        switch.read(target(zone=f"{PROJECT}/old-zone"))
    assert str(caught.value) == f"GCP {PROJECT}/old-zone {NAME}: no managed zone old-zone; check the target's zone."


def test_unknown_change(switch: DnsSwitch) -> None:
    with pytest.raises(ResourceNotFound, match=f"^GCP {PROJECT}/{ZONE} {NAME}: Cloud DNS has no change 42"):
        switch.settled(target(), "42")


def test_zone_of_a_project_not_managed_or_malformed(switch: DnsSwitch, fake: FakeCloudDns) -> None:
    with pytest.raises(ResourceNotFound, match="project other-proj is not one opsbot manages"):
        switch.read(target(zone="other-proj/shop-zone"))
    with pytest.raises(ProviderError, match="'<project>/<managed zone>'"):
        switch.read(target(zone="shop-zone"))
    assert fake.requests == []


def test_refused_credentials(switch: DnsSwitch, fake: FakeCloudDns) -> None:
    fake.fail("/rrsets", 403)
    with pytest.raises(ProviderAuthError) as caught:
        switch.read(target())
    assert str(caught.value).startswith(f"GCP {PROJECT}/{ZONE} {NAME}: credentials refused for project {PROJECT}")


def test_throttled_and_server_errors_are_transient(switch: DnsSwitch, fake: FakeCloudDns) -> None:
    fake.fail("/rrsets", 429, retry_after="3")
    with pytest.raises(TransientProviderError) as caught:
        switch.read(target())
    assert str(caught.value) == f"GCP {PROJECT}/{ZONE} {NAME}: GCP is throttling project {PROJECT}; try again shortly."
    assert caught.value.retry_after == 3
    fake.fail("/changes/", 503)
    change = switch.point(target(), "web-dr")
    with pytest.raises(TransientProviderError, match=f"answered 503 for project {PROJECT}"):
        switch.settled(target(), change)
    assert [switch.settled(target(), change) for _ in range(3)] == [False, False, True]


def test_unreachable_cloud_is_transient(fake: FakeCloudDns) -> None:
    fake.stop()
    switch = GcpDns([GcpProject(id=PROJECT)], dns_url=fake.url, timeout=1.0,
                    credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]  # fmt: skip
    with pytest.raises(TransientProviderError, match=f"^GCP {PROJECT}/{ZONE} {NAME}: GCP did not answer"):
        switch.read(target())
