"""What stops a MIG rolling update from starting, read from Compute Engine before anything changes.

Two reads run side by side (a deploy's whole validation has about 2 s for every group in three clouds): the
template's chain (instanceTemplates.get -> machineTypes.get in the group's zone -> regions.get for the CPU quota
the surge needs) and the group's health (listManagedInstances). Each problem is one line naming Google Cloud, the
group and the fix. The quota read is the family's own metric where the region lists one (N2_CPUS for n2-*), else
CPUS - as Compute Engine counts them (E2 and N1 count against CPUS)."""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import google.auth
from google.auth.credentials import Credentials
from google.cloud import compute_v1

from actions.deploy.model import GroupChange, Strategy
from actions.gcp.api import GcpApi
from actions.gcp.groups import managed_instances
from actions.gcp.ids import GcpRef, last_part
from core.errors import ProviderError, ResourceNotFound

BAD_HEALTH = frozenset({"UNHEALTHY", "TIMEOUT", "DRAINING"})  # out of service
FAILING = frozenset({"UNHEALTHY", "TIMEOUT"})  # a health check answered badly, or not at all


def named(group: str, exc: ProviderError) -> str:
    """An error's line with the group in it: "GCP web-edge-prod: credentials refused for project ..."."""
    return f"GCP {group}: {str(exc).removeprefix('GCP: ')}"


class CheckClients:
    """The clients only the checks use, built on first use like the backend's own (same endpoint, credentials)."""

    def __init__(self, compute_url: str | None, credentials: Credentials | None) -> None:
        self._url, self._credentials = compute_url, credentials
        self._lock = threading.Lock()
        self._built: tuple[compute_v1.InstanceTemplatesClient, compute_v1.MachineTypesClient,
                           compute_v1.RegionsClient] | None = None  # fmt: skip

    def get(self) -> tuple[compute_v1.InstanceTemplatesClient, compute_v1.MachineTypesClient,
                           compute_v1.RegionsClient]:  # fmt: skip
        with self._lock:
            if self._built is None:
                credentials = self._credentials or google.auth.default()[0]
                options = {"api_endpoint": self._url} if self._url else None
                self._built = (
                    compute_v1.InstanceTemplatesClient(
                        credentials=credentials, client_options=options, transport="rest"
                    ),
                    compute_v1.MachineTypesClient(credentials=credentials, client_options=options, transport="rest"),
                    compute_v1.RegionsClient(credentials=credentials, client_options=options, transport="rest"),
                )
            return self._built


def unavailable(size: int, strategy: Strategy) -> int:
    """maxUnavailable: what min_healthy_percent lets go out of service at once, at most one batch."""
    keep = math.ceil(size * strategy.min_healthy_percent / 100)
    batch = max(1, math.ceil(size * strategy.batch_percent / 100))
    return max(0, min(size - keep, batch))


def healthy(member: compute_v1.ManagedInstance) -> bool:
    """Running, not being changed, and no health check saying otherwise (no health check: running is healthy)."""
    states = {h.detailed_health_state for h in member.instance_health}
    return member.instance_status == "RUNNING" and member.current_action == "NONE" and not states & BAD_HEALTH


def template_path(reference: str, project: str) -> tuple[str, str]:
    """(project, name) of an instance template given by name, partial path or URL."""
    parts = reference.rstrip("/").split("/")
    owner = parts[parts.index("projects") + 1] if "projects" in parts[:-1] else project
    return owner, parts[-1]


def check_change(api: GcpApi, clients: CheckClients, endpoint: str, ref: GcpRef, change: GroupChange,
                 page_size: int) -> list[str]:  # fmt: skip
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="gcp-check") as pool:
        template = pool.submit(_template_lines, api, clients, endpoint, ref, change)
        health = pool.submit(_health_lines, api, endpoint, ref, change, page_size)
        return template.result() + health.result()


def _template_lines(api: GcpApi, clients: CheckClients, endpoint: str, ref: GcpRef, change: GroupChange) -> list[str]:
    group, zone, reference = change.group, ref.zone, change.to.instance_template or ""
    owner, name = template_path(reference, ref.project)
    if not reference or "/regions/" in reference:
        return [f"GCP: {group} takes a global instance template; {change.to_version} names "
                f"'{reference or 'none'}': give instance_template a global template's name"]  # fmt: skip
    templates, machine_types, regions = clients.get()
    try:
        found = api.call(endpoint, owner, f"instance template {name}", lambda: templates.get(
            project=owner, instance_template=name, retry=None, timeout=api.timeout))  # fmt: skip
    except ResourceNotFound:
        fix = f"create it, or fix versions.{change.to_version}.gcp.instance_template in the release manifest"
        return [f"GCP: instance template {name} for {group} was not found in project {owner}: {fix}"]
    except ProviderError as exc:
        return [named(group, exc)]
    machine = last_part(found.properties.machine_type)
    try:
        offered = api.call(endpoint, ref.project, f"machine type {machine}", lambda: machine_types.get(
            project=ref.project, zone=zone, machine_type=machine, retry=None, timeout=api.timeout))  # fmt: skip
    except ResourceNotFound:
        return [f"GCP: machine type {machine} (template {name}) is not offered in {zone}, where {group} runs: "
                "make the template with a machine type the zone offers"]  # fmt: skip
    except ProviderError as exc:
        return [named(group, exc)]
    return _quota_lines(api, regions, endpoint, ref, change, machine, offered.guest_cpus)


def _quota_lines(api: GcpApi, regions: compute_v1.RegionsClient, endpoint: str, ref: GcpRef, change: GroupChange,
                 machine: str, cpus: int) -> list[str]:  # fmt: skip
    need = change.strategy.surge * cpus
    if need == 0:
        return []
    region = ref.zone.rsplit("-", 1)[0]
    try:
        found = api.call(endpoint, ref.project, f"region {region}", lambda: regions.get(
            project=ref.project, region=region, retry=None, timeout=api.timeout))  # fmt: skip
    except ProviderError as exc:
        return [named(change.group, exc)]
    quotas = {q.metric: q for q in found.quotas}
    quota = quotas.get(f"{machine.split('-')[0].upper()}_CPUS") or quotas.get("CPUS")
    if quota is None or quota.usage + need <= quota.limit:
        return []
    free = max(0, int(quota.limit - quota.usage))
    return [f"GCP: {change.group} needs {need} {quota.metric} in {region} for its surge "
            f"({change.strategy.surge} x {machine}), {free} of {int(quota.limit)} free: "
            "ask Google for more quota or lower the surge"]  # fmt: skip


def _health_lines(api: GcpApi, endpoint: str, ref: GcpRef, change: GroupChange, page_size: int) -> list[str]:
    lines, strategy = [], change.strategy
    try:
        members = managed_instances(api, endpoint, ref, page_size)
    except ProviderError as exc:
        return [named(change.group, exc)]
    size, up = len(members), sum(1 for m in members if healthy(m))
    keep = math.ceil(size * strategy.min_healthy_percent / 100)
    if up < keep:
        lines.append(f"GCP: {change.group} has {up} of {size} instances healthy, fewer than the "
                     f"{strategy.min_healthy_percent}% it keeps in service: repair it first (or lower "
                     "min_healthy_percent in the release manifest)")  # fmt: skip
    if size and strategy.surge == 0 and unavailable(size, strategy) == 0:
        lines.append(f"GCP: {change.group} cannot roll with surge 0 while keeping {strategy.min_healthy_percent}% "
                     "in service: allow a surge or lower min_healthy_percent in the release manifest")  # fmt: skip
    return lines
