"""A loopback Compute Engine fake per test (state changes are cheap to set up) and a backend on it built with the
real google-cloud-compute clients and anonymous credentials."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials

from actions.deploy.model import GroupChange, Strategy, VersionSpec
from actions.gcp import GcpBackend
from actions.gcp.rollout import GcpRollouts
from core.cloud_config import GcpProject
from core.models import Cloud
from fakes.gcp_compute import FakeComputeApi

PROJECT = "shop-prod-7"
ZONE_B, ZONE_C = "europe-west1-b", "europe-west1-c"

MakeBackend = Callable[..., GcpBackend]


class RecordingThrottle:
    def __init__(self) -> None:
        self.endpoints: list[str] = []

    def wait(self, endpoint: str) -> None:
        self.endpoints.append(endpoint)


@pytest.fixture
def fake() -> Iterator[FakeComputeApi]:
    api = FakeComputeApi().start()
    yield api
    api.stop()


@pytest.fixture
def make_backend(fake: FakeComputeApi) -> MakeBackend:
    def make(*projects: GcpProject, **options: Any) -> GcpBackend:
        defaults: dict[str, Any] = {"compute_url": fake.url, "timeout": 2.0, "poll_seconds": 0.01,
                                    "credentials": AnonymousCredentials()}  # type: ignore[no-untyped-call]  # fmt: skip
        return GcpBackend(projects or [GcpProject(id=PROJECT)], **(defaults | options))

    return make


@pytest.fixture
def backend(make_backend: MakeBackend) -> GcpBackend:
    return make_backend()


@pytest.fixture
def rollouts(fake: FakeComputeApi) -> GcpRollouts:
    """A rollout backend on the fake: real SDK clients, anonymous credentials, a patch operation polled at 10 ms."""
    return GcpRollouts([GcpProject(id=PROJECT)], compute_url=fake.url, throttle=RecordingThrottle(), timeout=2.0,
                       credentials=AnonymousCredentials(), poll_seconds=0.01)  # type: ignore[no-untyped-call]  # fmt: skip


def mig_change(group: str = "web-edge-prod", template: str = "web-v2-4", *, version: str = "v2.4", size: int = 4,
               zone: str = ZONE_B, **strategy: Any) -> GroupChange:  # fmt: skip
    """One group's part of a deploy to `template`, with a strategy quick to roll in tests (no warm-up)."""
    return GroupChange(
        group_id=f"gcp:{PROJECT}:{zone}:mig/{group}", group=group, cloud=Cloud.GCP, region=zone, size=size,
        from_version="v2.3", to_version=version, to=VersionSpec(instance_template=template),
        strategy=Strategy(**({"warmup_seconds": 0, "min_healthy_percent": 75} | strategy)), expected_seconds=60,
    )  # fmt: skip
