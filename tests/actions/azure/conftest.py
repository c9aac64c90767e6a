"""The Azure backend against the fake ARM over HTTPS: a test CA (trustme), a credential that hands out the
token the fake expects, and a backend with short timeouts and polls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trustme

from actions.azure import AzureBackend
from core.cloud_config import AzureSubscription
from fakes.azure_arm import FakeArm, StaticToken

PROD = "11111111-1111-4111-8111-111111111111"
STAGING = "22222222-2222-4222-8222-222222222222"
SUBSCRIPTIONS = [AzureSubscription(id=PROD, name="prod"), AzureSubscription(id=STAGING, name="staging")]


class CountingThrottle:
    def __init__(self) -> None:
        self.endpoints: list[str] = []

    def wait(self, endpoint: str) -> None:
        self.endpoints.append(endpoint)


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_path(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("azure-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def arm(ca: trustme.CA) -> Iterator[FakeArm]:
    fake = FakeArm(ca, page_size=5)
    yield fake
    fake.close()


MakeBackend = Callable[..., AzureBackend]


@pytest.fixture
def make_backend(arm: FakeArm, ca_path: str) -> Iterator[MakeBackend]:
    made: list[AzureBackend] = []

    def make(**overrides: Any) -> AzureBackend:
        options: dict[str, Any] = {
            "arm_url": arm.url, "credential": StaticToken(), "timeout": 2.0, "poll_seconds": 0.02,
            "connection_verify": ca_path,
        }  # fmt: skip
        options.update(overrides)
        subscriptions = options.pop("subscriptions", SUBSCRIPTIONS)
        backend = AzureBackend(subscriptions, **options)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


@pytest.fixture
def backend(make_backend: MakeBackend) -> AzureBackend:
    return make_backend()
