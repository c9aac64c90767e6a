"""`AzureDns`: the `DnsSwitch` for Azure Traffic Manager, on azure-mgmt-trafficmanager.

A target's zone is "<subscription>/<resource group>/<profile>" and its places are the profile's endpoint names.
Pointing at a place enables that endpoint and then disables every other one (`endpoints.update`, a PATCH of
`endpointStatus`): enabled first, so at no moment is every endpoint disabled and the name answers nothing.
Traffic Manager serves the change at once (no propagation to wait on), so a change is settled as soon as it is
made; resolvers may keep the old answer for the profile's `dnsConfig.ttl`, which `read` reports.

Who takes traffic follows the routing method: Priority sends it all to the enabled endpoint with the lowest
priority number (an Online one before one that is not), Weighted shares it by weight, the others spread it over
the enabled endpoints. The client is built like the scale-set clients (`actions.azure.clients`): no SDK retries,
timeouts, the throttle before each request, the ARM URL override."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import HttpResponseError
from azure.mgmt.trafficmanager import TrafficManagerManagementClient
from azure.mgmt.trafficmanager.models import Endpoint, EndpointProperties, Profile
from pydantic import HttpUrl

from actions.azure.clients import ClientFactory
from actions.azure.errors import translate
from actions.backend import NoThrottle, Throttle
from actions.dns.model import DnsState, DnsTarget
from core.cloud_config import AzureSubscription
from core.errors import ConfigError, OpsbotError, ProviderError
from core.models import Cloud

ENABLED, DISABLED = "Enabled", "Disabled"


@dataclass(frozen=True)
class Place:
    """One endpoint of the profile, as the switch needs it."""

    name: str
    kind: str  # the endpoint type in the URL: AzureEndpoints, ExternalEndpoints, NestedEndpoints
    enabled: bool
    online: bool
    weight: int
    priority: int


@dataclass(frozen=True)
class ProfileRef:
    """Where a profile lives: its subscription, resource group and name."""

    subscription: str
    resource_group: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.resource_group}/{self.name}"


def text(value: Any) -> str:
    """An SDK enum's wire value, or the string the SDK kept ("Enabled", not "EndpointStatus.ENABLED")."""
    return str(value.value if isinstance(value, Enum) else value or "")


def places_of(profile: Profile) -> list[Place]:
    """The profile's endpoints; the type comes from the endpoint's resource type (".../azureEndpoints")."""
    places = []
    endpoints = (profile.properties.endpoints if profile.properties else None) or []
    for endpoint in endpoints:
        props = endpoint.properties or EndpointProperties()
        kind = (endpoint.type or "azureEndpoints").rsplit("/", 1)[-1]
        places.append(
            Place(
                name=endpoint.name or "",
                kind=kind[:1].upper() + kind[1:],
                enabled=text(props.endpoint_status or ENABLED).lower() == ENABLED.lower(),
                online=text(props.endpoint_monitor_status).lower() == "online",
                weight=props.weight or 1,
                priority=props.priority or 1,
            )
        )
    return places


def shares(routing: str, places: list[Place]) -> dict[str, int]:
    """Each place's share of the traffic (0-100) under `routing` (see the module docstring)."""
    enabled = [p for p in places if p.enabled]
    result = {p.name: 0 for p in places}
    if not enabled:
        return result
    if routing.lower() == "priority":
        first = min(enabled, key=lambda p: (not p.online, p.priority))
        result[first.name] = 100
    elif routing.lower() == "weighted":
        total = sum(p.weight for p in enabled)
        result.update({p.name: round(100 * p.weight / total) for p in enabled})
    else:
        result.update({p.name: round(100 / len(enabled)) for p in enabled})
    return result


def status_of(place: Place) -> str:
    """ "web-dr on", "web-prod off", or "web-dr on (not Online)" while Azure probes it or it fails its probes."""
    if not place.enabled:
        return f"{place.name} off"
    return f"{place.name} on" if place.online else f"{place.name} on (not Online)"


def state_of(profile: Profile, where: str) -> DnsState:
    props = profile.properties
    routing = text(props.traffic_routing_method) if props else ""
    ttl = props.dns_config.ttl if props and props.dns_config else None
    places = places_of(profile)
    weights = shares(routing, places)
    statuses = ", ".join(status_of(p) for p in places)
    detail = f"Traffic Manager {where}: {routing or 'unknown'} routing, {statuses or 'no endpoints'}, TTL {ttl} s"
    return DnsState(pointing=tuple(p for p, w in weights.items() if w > 0), weights=weights, ttl=ttl, detail=detail)


class AzureDns:
    cloud = Cloud.AZURE

    def __init__(
        self,
        subscriptions: Sequence[AzureSubscription],
        *,
        arm_url: HttpUrl | str | None = None,
        throttle: Throttle = NoThrottle(),  # noqa: B008 - stateless default
        timeout: float = 10.0,
        credential: TokenCredential | None = None,
        connection_verify: str | bool = True,
    ) -> None:
        self._subscriptions = {s.id.lower(): s for s in subscriptions}
        self._factory = ClientFactory(
            arm_url=str(arm_url) if arm_url else None,
            credential=credential,
            timeout=timeout,
            throttle=throttle,
            connection_verify=connection_verify,
        )
        self._clients: dict[str, TrafficManagerManagementClient] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    # --- DnsSwitch ------------------------------------------------------------------------------------------
    def read(self, target: DnsTarget) -> DnsState:
        where = self._where(target)
        return state_of(self._profile(where), where.label)

    def point(self, target: DnsTarget, place: str) -> str:
        where = self._where(target)
        places = places_of(self._profile(where))
        chosen = next((p for p in places if p.name.lower() == place.lower()), None)
        if chosen is None:
            have = ", ".join(p.name for p in places) or "no endpoints"
            raise ProviderError(f"Azure {where.label} {target.name}: no place {place}; it has {have}")
        changes = [(chosen, ENABLED)] if not chosen.enabled else []
        changes += [(p, DISABLED) for p in places if p is not chosen and p.enabled]
        client = self._client(where.subscription)
        for endpoint, status in changes:  # the chosen one first: traffic always has somewhere to go
            body = Endpoint(properties=EndpointProperties(endpoint_status=status))
            with self._errors(where, f"endpoint {endpoint.name}"):
                client.endpoints.update(where.resource_group, where.name, endpoint.kind, endpoint.name, body)
        return f"{where.label}/{chosen.name}"

    def settled(self, target: DnsTarget, change: str) -> bool:
        """Traffic Manager answers with the new endpoints as soon as the update returns."""
        return True

    # --- plumbing -------------------------------------------------------------------------------------------
    def _where(self, target: DnsTarget) -> ProfileRef:
        parts = target.zone.split("/")
        if len(parts) != 3 or not all(parts):
            raise ConfigError(
                f"Azure Traffic Manager {target.zone}: the zone must be <subscription>/<resource group>/<profile>"
            )
        if parts[0].lower() not in self._subscriptions:
            raise ConfigError(f"Azure Traffic Manager {target.zone}: subscription {parts[0]} is not configured; "
                              "add it to the Azure subscriptions")  # fmt: skip
        return ProfileRef(*parts)

    def _profile(self, where: ProfileRef) -> Profile:
        with self._errors(where, "the profile"):
            return self._client(where.subscription).profiles.get(where.resource_group, where.name)

    @contextmanager
    def _errors(self, where: ProfileRef, what: str) -> Iterator[None]:
        """SDK failures as one line naming the profile; a conflict says someone else is changing it."""
        account = self._subscriptions[where.subscription.lower()]
        label = account.name or account.id
        try:
            yield
        except OpsbotError:
            raise
        except HttpResponseError as exc:
            if exc.status_code in (409, 412):
                raise ProviderError(f"Azure Traffic Manager {where.label}: {what} was changed by someone else at "
                                    "the same time; read where it points and try again") from exc  # fmt: skip
            raise translate(exc, label, f"Traffic Manager {where.label} ({what})") from exc
        except Exception as exc:
            raise translate(exc, label, f"Traffic Manager {where.label} ({what})") from exc

    def _client(self, subscription: str) -> TrafficManagerManagementClient:
        with self._lock:
            client = self._clients.get(subscription.lower())
            if client is None:
                options = self._factory.options(f"azure:{subscription}:*")
                client = TrafficManagerManagementClient(self._factory.token_credential(), subscription, **options)
                self._clients[subscription.lower()] = client
            return client
