"""One `ComputeManagementClient` per subscription, configured the way the layer above expects.

The SDK's own retries are off (`retry_total=0`): `actions.multicloud` retries with backoff and jitter and runs
the circuit breaker, and two retry loops stacked would multiply the wait. Every request, every page and every
poll of a long-running operation passes the throttle first (the custom-hook policy sees each one) and has
connection and read timeouts."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.pipeline import PipelineRequest
from azure.mgmt.compute import ComputeManagementClient

from actions.backend import Throttle


@dataclass(kw_only=True)
class ClientFactory:
    """Builds clients lazily (and the default credential with them) and keeps one per subscription."""

    arm_url: str | None
    credential: TokenCredential | None  # None: DefaultAzureCredential, built with the first client
    timeout: float
    throttle: Throttle
    connection_verify: str | bool
    _clients: dict[str, ComputeManagementClient] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def token_credential(self) -> TokenCredential:
        """The configured credential, or DefaultAzureCredential built on first use."""
        if self.credential is None:
            from azure.identity import DefaultAzureCredential  # imported late: it is slow and may never be needed

            self.credential = DefaultAzureCredential()
        return self.credential

    def client(self, subscription_id: str, scope_key: str) -> ComputeManagementClient:
        with self._lock:
            client = self._clients.get(subscription_id)
            if client is None:
                client = self._build(subscription_id, scope_key)
                self._clients[subscription_id] = client
            return client

    def _build(self, subscription_id: str, scope_key: str) -> ComputeManagementClient:
        return ComputeManagementClient(self.token_credential(), subscription_id, **self.options(scope_key))

    def options(self, scope_key: str) -> dict[str, Any]:
        """What every ARM client is built with (Compute here, Monitor in `actions.azure.metrics`): no SDK retries,
        the timeouts, the throttle before each request, the endpoint override."""
        throttle = self.throttle

        def before_request(_request: PipelineRequest[Any]) -> None:
            throttle.wait(scope_key)

        options: dict[str, Any] = {
            "retry_total": 0,
            "connection_timeout": self.timeout,
            "read_timeout": self.timeout,
            "connection_verify": self.connection_verify,
            "raw_request_hook": before_request,
        }
        if self.arm_url:
            options["base_url"] = self.arm_url.rstrip("/")
        return options

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
