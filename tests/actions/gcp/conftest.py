"""A loopback Compute Engine fake per test (state changes are cheap to set up) and a backend on it built with the
real google-cloud-compute clients and anonymous credentials."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials

from actions.gcp import GcpBackend
from core.cloud_config import GcpProject
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
