"""`AzureBackend`: the `CloudBackend` for Azure subscriptions, on azure-mgmt-compute.

One scope per subscription (ARM lists a subscription across all locations, so region is "*"). Reads go
through `inventory`, changes through `operations`; every SDK error leaves as a `core.errors` type."""

from __future__ import annotations

from collections.abc import Sequence

from azure.core.credentials import TokenCredential

from actions.azure.clients import ClientFactory
from actions.azure.errors import azure_errors
from actions.azure.ids import AzureRef, parse_id
from actions.azure.inventory import fetch_subscription, read
from actions.azure.operations import Subject, scale, set_power
from actions.backend import NoThrottle, Scope, Throttle
from actions.provider import ProgressCallback, Resource
from actions.waiting import Wait
from core.cloud_config import AzureSubscription
from core.errors import ResourceNotFound
from core.models import Cloud


class AzureBackend:
    cloud = Cloud.AZURE

    def __init__(
        self,
        subscriptions: Sequence[AzureSubscription],
        *,
        arm_url: str | None = None,
        credential: TokenCredential | None = None,
        timeout: float = 10.0,
        poll_seconds: float = 2.0,
        throttle: Throttle = NoThrottle(),  # noqa: B008 - stateless default
        connection_verify: str | bool = True,
    ) -> None:
        self._subscriptions = {s.id: s for s in subscriptions}
        self._poll_seconds = poll_seconds
        self._clients = ClientFactory(
            arm_url=arm_url, credential=credential, timeout=timeout, throttle=throttle,
            connection_verify=connection_verify,
        )  # fmt: skip
        self._scopes = {
            s.id: Scope(cloud=Cloud.AZURE, account=s.id, region="*", label=f"Azure {s.name or s.id}",
                        environment=s.environment)
            for s in subscriptions
        }  # fmt: skip

    def scopes(self) -> Sequence[Scope]:
        return list(self._scopes.values())

    def scope_of(self, resource_id: str) -> Scope:
        ref = parse_id(resource_id)
        scope = self._scopes.get(ref.subscription)
        if scope is None:
            raise ResourceNotFound(f"Azure subscription {ref.subscription} is not configured.")
        return scope

    def fetch(self, scope: Scope) -> list[Resource]:
        subscription = self._subscription(scope.account)
        client = self._clients.client(subscription.id, scope.key)
        with azure_errors(self._label(subscription), "the subscription"):
            return fetch_subscription(client, scope, subscription.resource_groups)

    def get(self, resource_id: str) -> Resource:
        ref, scope = self._ref(resource_id)
        with azure_errors(self._label(self._subscription(ref.subscription)), ref.name):
            return read(self._clients.client(ref.subscription, scope.key), ref, scope)

    def set_power(self, resource: Resource, action: str, progress: ProgressCallback, timeout: float) -> Resource:
        ref, scope = self._ref(resource.id)
        wait, subject = Wait(timeout, self._poll_seconds), self._subject(ref, resource.name)
        return set_power(self._clients.client(ref.subscription, scope.key), ref, scope, action, subject, progress, wait)

    def scale(self, group: Resource, count: int, progress: ProgressCallback, timeout: float) -> Resource:
        ref, scope = self._ref(group.id)
        wait, subject = Wait(timeout, self._poll_seconds), self._subject(ref, group.name)
        result = scale(self._clients.client(ref.subscription, scope.key), ref, scope, count, subject, progress, wait)
        kept = {"min_count": group.min_count, "max_count": group.max_count, "limits_from": group.limits_from}
        return result.model_copy(update=kept)  # a scale changes no limit; the next refresh reads them again

    def close(self) -> None:
        self._clients.close()

    def _subject(self, ref: AzureRef, name: str) -> Subject:
        return Subject(self._label(self._subscription(ref.subscription)), name)

    def _ref(self, resource_id: str) -> tuple[AzureRef, Scope]:
        return parse_id(resource_id), self.scope_of(resource_id)

    def _subscription(self, subscription_id: str) -> AzureSubscription:
        subscription = self._subscriptions.get(subscription_id)
        if subscription is None:
            raise ResourceNotFound(f"Azure subscription {subscription_id} is not configured.")
        return subscription

    @staticmethod
    def _label(subscription: AzureSubscription) -> str:
        return subscription.name or subscription.id
