"""The Azure backend against the fake ARM over HTTPS: a test CA (trustme), a credential that hands out the
token the fake expects, and a backend with short timeouts and polls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

import pytest
import trustme

from actions.azure import AzureBackend
from actions.azure.dns import AzureDns
from actions.azure.rollout import AzureRollouts
from actions.deploy.model import GroupChange, Strategy, VersionSpec
from core.cloud_config import AzureSubscription
from core.models import Cloud
from fakes.azure_arm import FakeArm, StaticToken
from fakes.azure_rollouts import RollingUpgrades
from fakes.azure_traffic import TrafficProfiles

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


class _Closing(Protocol):
    def close(self) -> None: ...


Made = TypeVar("Made", bound=_Closing)


def _made_against(kind: Callable[..., Made], arm: FakeArm, ca_path: str) -> Iterator[Callable[..., Made]]:
    """Yields a maker of `kind(subscriptions, **options)` against the fake ARM (the same CA, token and
    subscriptions as the backend; `overrides` replace any), then closes what it made."""
    made: list[Made] = []

    def make(**overrides: Any) -> Made:
        options: dict[str, Any] = {"arm_url": arm.url, "credential": StaticToken(), "timeout": 2.0,
                                   "connection_verify": ca_path}  # fmt: skip
        options.update(overrides)
        made.append(kind(options.pop("subscriptions", SUBSCRIPTIONS), **options))
        return made[-1]

    yield make
    for one in made:
        one.close()


@pytest.fixture
def make_rollouts(arm: FakeArm, ca_path: str) -> Iterator[Callable[..., AzureRollouts]]:
    """Scale-set rollouts against the fake ARM."""
    yield from _made_against(AzureRollouts, arm, ca_path)


# --- the scale set the rollout tests roll: web-dr in westeurope, four instances on v2.3 ---------------------------
GALLERY = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/images/providers/Microsoft.Compute"
    "/galleries/opsbot/images/web/versions/"
)
IMAGES = {"v2.3": GALLERY + "2.3.0", "v2.4": GALLERY + "2.4.0", "v2.5": GALLERY + "2.5.0"}
GROUP_ID = f"azure:{PROD}:rg-web:vmss/web-dr"
STEADY = Strategy(batch_percent=25, surge=0, min_healthy_percent=50, max_unhealthy_percent=20, warmup_seconds=0)


@pytest.fixture
def rolling(arm: FakeArm) -> RollingUpgrades:
    """The fake ARM's scale-set rolling upgrades (and what the deploy checks read)."""
    return RollingUpgrades(arm)


def seed(arm: FakeArm, rolling: RollingUpgrades, capacity: int = 4) -> None:
    arm.add_scale_set(PROD, "rg-web", "web-dr", capacity, size="Standard_D4s_v5")
    rolling.track(PROD, "rg-web", "web-dr", IMAGES["v2.3"])
    for image in IMAGES.values():
        rolling.capacity.add_image(image)


def change(
    version: str = "v2.4", strategy: Strategy = STEADY, *, size: int = 4, image: str | None = None
) -> GroupChange:
    return GroupChange(
        group_id=GROUP_ID, group="web-dr", cloud=Cloud.AZURE, region="westeurope", size=size, from_version="v2.3",
        to_version=version, to=VersionSpec(image=image or IMAGES[version]), strategy=strategy, expected_seconds=60,
    )  # fmt: skip


# --- Traffic Manager: the DNS switch against the fake ARM's profiles ----------------------------------------------
@pytest.fixture
def traffic(arm: FakeArm) -> TrafficProfiles:
    """The fake ARM's Traffic Manager profiles (endpoints probed for one profile read after being enabled)."""
    return TrafficProfiles(arm, probe_reads=1)


@pytest.fixture
def make_dns(arm: FakeArm, ca_path: str) -> Iterator[Callable[..., AzureDns]]:
    """Traffic Manager switches against the fake ARM."""
    yield from _made_against(AzureDns, arm, ca_path)
