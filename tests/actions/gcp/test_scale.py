"""MIG resize: the operation, then members counted from listManagedInstances until the group is at its size."""

from __future__ import annotations

import re

import pytest

from actions.gcp import GcpBackend
from actions.provider import Resource
from core.errors import ProviderError, ProviderTimeout
from fakes.gcp_compute import FakeComputeApi
from tests.actions.gcp.conftest import PROJECT, ZONE_B, ZONE_C, MakeBackend
from tests.actions.helpers import StepClock

API_PROD = f"gcp:{PROJECT}:{ZONE_C}:mig/api-prod"


def _scale(backend: GcpBackend, count: int, timeout: float = 5.0) -> tuple[Resource, list[str]]:
    lines: list[str] = []
    result = backend.scale(backend.get(API_PROD), count, lines.append, timeout)
    return result, lines


def _running_counts(lines: list[str]) -> list[int]:
    return [int(m.group(1)) for line in lines if (m := re.fullmatch(r"api-prod: (\d+)/\d+ instances running", line))]


def test_scale_up_reports_members_as_they_come_up(fake: FakeComputeApi, backend: GcpBackend) -> None:
    fake.add_mig(PROJECT, ZONE_C, "api-prod", 4, labels={"env": "prod"})

    result, lines = _scale(backend, 8)

    assert (result.count, result.state) == (8, "running")
    assert result.hourly_cost == pytest.approx(8 * 0.067)
    assert lines[0] == "api-prod: resizing to 8"
    assert lines[-1] == "api-prod: 8/8 instances running"
    counts = _running_counts(lines)
    assert counts == sorted(counts) and len(counts) >= 3  # seen moving: 5/8, 6/8, ... 8/8
    assert fake.seen("/instanceGroupManagers/api-prod/resize", "POST")[0].query["size"] == "8"
    assert fake.seen("/operations/", "GET")
    assert [m.status for m in fake.members(PROJECT, ZONE_C, "api-prod")] == ["RUNNING"] * 8


def test_scale_down_waits_until_only_count_are_left(fake: FakeComputeApi, backend: GcpBackend) -> None:
    fake.add_mig(PROJECT, ZONE_C, "api-prod", 8)

    result, lines = _scale(backend, 3)

    assert (result.count, result.state) == (3, "running")
    assert lines[-1] == "api-prod: 3/3 instances running"
    assert len(fake.members(PROJECT, ZONE_C, "api-prod")) == 3
    assert backend.get(API_PROD).count == 3


def test_scale_to_zero_stops_the_group(fake: FakeComputeApi, backend: GcpBackend) -> None:
    fake.add_mig(PROJECT, ZONE_C, "api-prod", 2)

    result, _ = _scale(backend, 0)

    assert (result.count, result.state, result.hourly_cost) == (0, "stopped", 0.0)
    assert fake.members(PROJECT, ZONE_C, "api-prod") == []


def test_a_scale_timeout_says_how_far_it_got(fake: FakeComputeApi, make_backend: MakeBackend) -> None:
    fake.add_mig(PROJECT, ZONE_C, "api-prod", 4)
    fake.stall(PROJECT, ZONE_C, "api-prod")  # new members never leave STAGING

    with pytest.raises(ProviderTimeout) as caught:
        _scale(make_backend(clock=StepClock()), 8, timeout=0.3)

    assert str(caught.value) == "api-prod reached 4 of 8 instances in 0.3 s; check show api-prod"


def test_a_failed_resize_operation_is_reported(fake: FakeComputeApi, backend: GcpBackend) -> None:
    fake.add_mig(PROJECT, ZONE_C, "api-prod", 4)
    fake.fail_next_operation("QUOTA_EXCEEDED", "Quota 'CPUS' exceeded.  Limit: 24.0 in region europe-west1.")

    with pytest.raises(ProviderError, match=r"^GCP could not resize api-prod: Quota 'CPUS' exceeded"):
        _scale(backend, 20)

    assert backend.get(API_PROD).count == 4


def test_an_instance_cannot_be_scaled(fake: FakeComputeApi, backend: GcpBackend) -> None:
    fake.add_instance(PROJECT, ZONE_B, "api-1")
    single = backend.get(f"gcp:{PROJECT}:{ZONE_B}:instance/api-1")

    with pytest.raises(ProviderError, match=r"^api-1 is a single instance"):
        backend.scale(single, 3, lambda _line: None, 1.0)
