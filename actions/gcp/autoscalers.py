"""The autoscalers of a scope: which MIGs an autoscaler sizes, and its bounds (minNumReplicas, maxNumReplicas).

Compute Engine refuses a manual resize of a MIG whose autoscaler is on (412 conditionNotMet: "Resizing of
autoscaled managed instance groups is not allowed ..."), so opsbot reads the bounds with the inventory and plans
inside them. One paged listing per scope, and only when a MIG names an autoscaler (`status.autoscaler`); a fresh
read of one MIG gets its own autoscaler. An autoscaler whose mode is OFF sizes nothing."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import NamedTuple

import google.auth
from google.auth.credentials import Credentials
from google.cloud import compute_v1

from actions.backend import Scope
from actions.gcp.api import GcpApi, Listing
from actions.gcp.ids import GcpRef, last_part
from core.errors import ProviderAuthError

log = logging.getLogger(__name__)


class Bounds(NamedTuple):
    minimum: int
    maximum: int


Sized = dict[tuple[str, str], Bounds]  # (zone, MIG name) -> its autoscaler's bounds


class Autoscalers:
    """Built lazily with the backend's endpoint and credentials, like the other clients (`GcpApi`)."""

    def __init__(self, api: GcpApi, compute_url: str | None, credentials: Credentials | None) -> None:
        self._api, self._url, self._credentials = api, compute_url, credentials
        self._lock = threading.Lock()
        self._client: compute_v1.AutoscalersClient | None = None
        self._refused: set[str] = set()

    def client(self) -> compute_v1.AutoscalersClient:
        with self._lock:
            if self._client is None:
                credentials = self._credentials
                if credentials is None:
                    credentials, _ = google.auth.default()
                options = {"api_endpoint": self._url} if self._url else None
                self._client = compute_v1.AutoscalersClient(
                    credentials=credentials, client_options=options, transport="rest"
                )
            return self._client

    def in_scope(self, scope: Scope, page_size: int) -> Sized:
        """Every active autoscaler of the scope, by the MIG it sizes: one paged listing. Without permission to list
        them (compute.autoscalers.list) the MIGs come without limits, logged once; a resize then meets the 412."""
        try:
            return self._listed(scope, page_size)
        except ProviderAuthError as exc:
            if scope.key not in self._refused:
                self._refused.add(scope.key)
                log.warning("%s: autoscalers not readable (%s); MIGs listed without their limits", scope.label, exc)
            return {}

    def _listed(self, scope: Scope, page_size: int) -> Sized:
        listing = Listing(self.client, compute_v1.AggregatedListAutoscalersRequest, compute_v1.ListAutoscalersRequest,
                          "autoscalers")  # fmt: skip
        return _sized(a for _zone, a in self._api.in_scope(scope, page_size, listing, " autoscalers"))

    def of(self, endpoint: str, ref: GcpRef, mig: compute_v1.InstanceGroupManager) -> Bounds | None:
        """The bounds of the autoscaler that sizes `mig`, read fresh; None when none does."""
        if not mig.status.autoscaler:
            return None
        name = last_part(mig.status.autoscaler)

        def get() -> compute_v1.Autoscaler:
            return self.client().get(
                project=ref.project, zone=ref.zone, autoscaler=name, retry=None, timeout=self._api.timeout
            )

        return _sized([self._api.call(endpoint, ref.project, name, get)]).get((ref.zone, ref.name))


def _sized(autoscalers: Iterable[compute_v1.Autoscaler]) -> Sized:
    found: Sized = {}
    for autoscaler in autoscalers:
        policy = autoscaler.autoscaling_policy
        if policy.mode == "OFF" or not autoscaler.target:
            continue
        zone = last_part(autoscaler.zone) if autoscaler.zone else _zone_in(autoscaler.target)
        found[(zone, last_part(autoscaler.target))] = Bounds(policy.min_num_replicas, policy.max_num_replicas)
    return found


def _zone_in(url: str) -> str:
    parts = url.split("/")
    return parts[parts.index("zones") + 1] if "zones" in parts else ""
