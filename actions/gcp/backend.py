"""`CloudBackend` for Google Cloud: Compute Engine instances and zonal managed instance groups (MIGs).

One scope per configured (project, zone); a project without zones is one scope read with aggregated lists
(every zone in one paged listing). The clients use the REST transport, so `compute_url` can point them at any
Compute Engine endpoint (a private one, or a loopback fake in tests)."""

from __future__ import annotations

from collections.abc import Sequence

from google.auth.credentials import Credentials

from actions.backend import NoThrottle, Scope, Throttle
from actions.gcp.api import GcpApi
from actions.gcp.autoscalers import Autoscalers
from actions.gcp.groups import get_mig
from actions.gcp.groups import scale as scale_mig
from actions.gcp.ids import parse_id
from actions.gcp.inventory import fetch_scope
from actions.gcp.power import get_instance
from actions.gcp.power import set_power as power
from actions.provider import ProgressCallback, Resource
from actions.waiting import SYSTEM_CLOCK, Clock, Wait
from core.cloud_config import GcpProject
from core.errors import ProviderError, ResourceNotFound
from core.models import Cloud


class GcpBackend:
    cloud = Cloud.GCP

    def __init__(
        self,
        projects: Sequence[GcpProject],
        *,
        compute_url: str | None = None,
        credentials: Credentials | None = None,
        timeout: float = 10.0,
        poll_seconds: float = 2.0,
        throttle: Throttle | None = None,
        page_size: int = 500,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._projects = {p.id: p for p in projects}
        self._api = GcpApi(compute_url, credentials, timeout, throttle or NoThrottle())
        self._autoscalers = Autoscalers(self._api, compute_url, credentials)
        self._poll, self._clock = poll_seconds, clock
        self._page_size = page_size  # maxResults of every list request (the API's own maximum is 500)

    def scopes(self) -> list[Scope]:
        return [scope for project in self._projects.values() for scope in _scopes(project)]

    def scope_of(self, resource_id: str) -> Scope:
        ref = parse_id(resource_id)
        project = self._projects.get(ref.project)
        if project is None or (project.zones and ref.zone not in project.zones):
            raise ResourceNotFound(f"GCP: {ref.name} is in a project or zone opsbot does not manage.")
        return next(s for s in _scopes(project) if s.region in (ref.zone, "*"))

    def fetch(self, scope: Scope) -> list[Resource]:
        return fetch_scope(self._api, scope, self._page_size, self._autoscalers)

    def get(self, resource_id: str) -> Resource:
        ref, scope = parse_id(resource_id), self.scope_of(resource_id)
        if ref.kind == "mig":
            return get_mig(self._api, scope.key, ref, scope.environment, self._page_size, self._autoscalers)
        return get_instance(self._api, scope.key, ref, scope.environment)

    def set_power(self, resource: Resource, action: str, progress: ProgressCallback, timeout: float) -> Resource:
        ref, scope = parse_id(resource.id), self.scope_of(resource.id)
        if ref.kind != "instance":
            raise ProviderError(f"{resource.name} is an instance group: scale it instead.")
        return power(self._api, scope.key, ref, action, progress, self._wait(timeout), scope.environment)

    def scale(self, group: Resource, count: int, progress: ProgressCallback, timeout: float) -> Resource:
        ref, scope = parse_id(group.id), self.scope_of(group.id)
        if ref.kind != "mig":
            raise ProviderError(f"{group.name} is a single instance: start or stop it instead.")
        return scale_mig(self._api, scope.key, ref, group, count, progress, self._wait(timeout), self._page_size)

    def _wait(self, timeout: float) -> Wait:
        return Wait(timeout, self._poll, clock=self._clock)


def _scopes(project: GcpProject) -> list[Scope]:
    def scope(region: str) -> Scope:
        label = f"GCP {project.id}" + (f" {region}" if region != "*" else "")
        return Scope(cloud=Cloud.GCP, account=project.id, region=region, label=label, environment=project.environment)

    return [scope(zone) for zone in project.zones] or [scope("*")]
