"""The rolling-update half of the fake Compute Engine API (fakes/gcp_compute.py routes here): global instance
templates, zonal machine types, region quotas, and a MIG's `versions` + `updatePolicy` as
instanceGroupManagers.patch sets them.

Shapes and rules follow the Compute Engine v1 REST reference (InstanceGroupManager, InstanceGroupManagerVersion,
InstanceGroupManagerUpdatePolicy, ManagedInstance.instanceHealth, Region.quotas, MachineType) and the
"automatically apply VM configuration updates in a MIG" guide: an update is declared, not called - the patch
answers an Operation at once and the group converges on its own; at most two versions, exactly one of them
without a targetSize; a canary version's targetSize is fixed or a percent of the group; PROACTIVE replaces
outdated instances at most maxSurge + maxUnavailable at a time, OPPORTUNISTIC replaces none (only new instances
take the new template). Compute Engine never fails an update: an instance whose template fails its health check
reports instanceHealth UNHEALTHY and counts as unavailable, so the update stalls there.

The update moves one step per listManagedInstances read (deterministic, no sleeping): instances being recreated
come up after `status_reads` reads (the compute fake's `_read`), then the next batch starts. Instances are
recreated in place (same name), which is what replacementMethod RECREATE does; SUBSTITUTE would use new names.
The v1 API has no minReadySec (beta only), so the fake takes none.

Read from: cloud.google.com/compute/docs/instance-groups/rolling-out-updates-to-managed-instance-groups, the REST
reference pages of those resources, the gcloud `rolling-action start-update` reference (--canary-version,
--max-surge, --max-unavailable) and google-cloud-compute's own types (ManagedInstanceInstanceHealth
.DetailedHealthState: HEALTHY, UNHEALTHY, TIMEOUT, DRAINING, UNKNOWN)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

Json = dict[str, Any]
# guestCpus of the machine types every zone offers unless a test withdraws one.
MACHINE_CPUS: dict[str, int] = {
    "e2-medium": 2, "e2-standard-2": 2, "e2-standard-4": 4, "e2-standard-8": 8,
    "n2-standard-2": 2, "n2-standard-4": 4, "n2-standard-8": 8, "c3-standard-8": 8,
}  # fmt: skip
DEFAULT_QUOTAS: dict[str, tuple[float, float]] = {"CPUS": (240.0, 24.0), "N2_CPUS": (240.0, 0.0),
                                                  "C3_CPUS": (96.0, 0.0)}  # fmt: skip
_POLICY: Json = {"type": "OPPORTUNISTIC", "minimalAction": "REPLACE", "replacementMethod": "RECREATE",
                 "maxSurge": {"fixed": 1, "calculated": 1}, "maxUnavailable": {"fixed": 1, "calculated": 1},
                 "minReadySec": 0}  # fmt: skip


class HttpError(Exception):
    """An answer with Google's error body (the compute fake turns it into the HTTP response)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class FakeTemplate:
    name: str
    machine_type: str
    unhealthy: bool = False  # its instances fail their health check (a broken release)
    id: int = 0


@dataclass
class MigUpdate:
    """What a MIG is told to run: its versions (template URL, name, targetSize) and its update policy."""

    versions: list[Json]
    policy: Json = field(default_factory=lambda: dict(_POLICY))


class _Api(Protocol):  # what this half reads of fakes.gcp_compute.FakeComputeApi (which imports this module)
    url: str
    status_reads: int


class FakeMig(Protocol):  # fakes.gcp_compute.FakeMig
    name: str
    target_size: int
    machine_type: str
    update: MigUpdate


class FakeInstance(Protocol):  # fakes.gcp_compute.FakeInstance, a MIG member
    name: str
    status: str
    target: str | None
    reads_left: int
    deleting: bool
    template: str
    recreating: bool
    health: str | None


class FakeRollouts:
    def __init__(self, api: _Api) -> None:
        self._api = api
        self.templates: dict[tuple[str, str], FakeTemplate] = {}
        self.withdrawn: set[tuple[str, str]] = set()  # (zone, machine type) not offered there
        self.quotas: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}

    # -- seeding -----------------------------------------------------------------------------------------------
    def add_template(self, project: str, name: str, machine_type: str = "e2-standard-2", *,
                     unhealthy: bool = False) -> FakeTemplate:  # fmt: skip
        template = FakeTemplate(name, machine_type, unhealthy, len(self.templates) + 7_000_000_000_001)
        self.templates[(project, name)] = template
        return template

    def set_quota(self, project: str, region: str, metric: str, limit: float, usage: float) -> None:
        self.quotas.setdefault((project, region), dict(DEFAULT_QUOTAS))[metric] = (limit, usage)

    def url(self, project: str, name: str) -> str:
        return f"{self._api.url}/compute/v1/projects/{project}/global/instanceTemplates/{name}"

    def first_update(self, project: str, mig: FakeMig, template: str | None = None) -> MigUpdate:
        """A new MIG runs `template` or '<name>-template' (made with the MIG's machine type when no test made it)."""
        name = template or f"{mig.name}-template"
        if (project, name) not in self.templates:
            self.add_template(project, name, mig.machine_type)
        return MigUpdate([{"instanceTemplate": self.url(project, name)}])

    # -- reads -------------------------------------------------------------------------------------------------
    def template_json(self, project: str, name: str) -> Json:
        found = self.templates.get((project, name))
        if found is None:
            raise HttpError(404, f"The resource 'projects/{project}/global/instanceTemplates/{name}' was not found")
        return {"kind": "compute#instanceTemplate", "id": str(found.id), "name": name,
                "selfLink": self.url(project, name),
                "properties": {"machineType": found.machine_type, "labels": {}}}  # fmt: skip

    def machine_type_json(self, project: str, zone: str, name: str) -> Json:
        cpus = MACHINE_CPUS.get(name)
        if cpus is None or (zone, name) in self.withdrawn:
            raise HttpError(404, f"The resource 'projects/{project}/zones/{zone}/machineTypes/{name}' was not found")
        zone_url = f"{self._api.url}/compute/v1/projects/{project}/zones/{zone}"
        return {"kind": "compute#machineType", "name": name, "guestCpus": cpus, "memoryMb": cpus * 4096,
                "zone": zone, "selfLink": f"{zone_url}/machineTypes/{name}"}  # fmt: skip

    def region_json(self, project: str, zones: list[str], region: str) -> Json:
        if not any(z.rsplit("-", 1)[0] == region for z in zones):
            raise HttpError(404, f"The resource 'projects/{project}/regions/{region}' was not found")
        quotas = self.quotas.get((project, region), DEFAULT_QUOTAS)
        listed = [{"metric": m, "limit": limit, "usage": use} for m, (limit, use) in sorted(quotas.items())]
        return {"kind": "compute#region", "name": region, "status": "UP", "quotas": listed,
                "selfLink": f"{self._api.url}/compute/v1/projects/{project}/regions/{region}"}  # fmt: skip

    # -- the MIG's side ----------------------------------------------------------------------------------------
    def patch(self, project: str, mig: FakeMig, body: Json) -> MigUpdate:
        """Validate and apply a patch body (JSON merge: `versions` replaced whole, `updatePolicy` merged);
        returns the update it replaced, for an operation that ends in error to restore."""
        before = MigUpdate([dict(v) for v in mig.update.versions], dict(mig.update.policy))
        versions = [self._version(project, v) for v in body.get("versions", mig.update.versions)]
        policy = mig.update.policy | dict(body.get("updatePolicy") or {})
        _validate(versions, policy)
        for key in ("maxSurge", "maxUnavailable"):
            policy[key] = {"fixed": int(policy[key].get("fixed", 0)), "calculated": int(policy[key].get("fixed", 0))}
        mig.update = MigUpdate(versions, policy)
        return before

    def _version(self, project: str, version: Json) -> Json:
        template = str(version.get("instanceTemplate") or "")
        parts = template.rstrip("/").split("/")
        name = parts[-1]
        owner = parts[parts.index("projects") + 1] if "projects" in parts else project
        if "regions" in parts:
            raise HttpError(400, "Invalid value for field 'resource.versions[].instanceTemplate': regional "
                                 "instance templates are not served by this fake.")  # fmt: skip
        self.template_json(owner, name)  # 404 for a missing template, as the API answers the patch
        out: Json = {"instanceTemplate": self.url(owner, name)}
        if version.get("name"):
            out["name"] = version["name"]
        if version.get("targetSize"):
            out["targetSize"] = version["targetSize"]
        return out

    def desired(self, mig: FakeMig, members: Sequence[FakeInstance]) -> dict[str, str]:
        """Member name -> the template URL it should run: the targeted (canary) version's share, members already
        on it first, then the others in name order; everyone else on the version without a targetSize."""
        versions = mig.update.versions
        base = next(v for v in versions if "targetSize" not in v)["instanceTemplate"]
        want = {m.name: base for m in members}
        for version in (v for v in versions if "targetSize" in v):
            size = version["targetSize"]
            count = size.get("fixed", math.ceil(mig.target_size * size.get("percent", 0) / 100))
            ordered = sorted(members, key=lambda m: (m.template != version["instanceTemplate"], m.name))
            want.update({m.name: version["instanceTemplate"] for m in ordered[: int(count)]})
        return want

    def step(self, mig: FakeMig, members: Sequence[FakeInstance]) -> None:
        """One poll of a PROACTIVE update: finished recreations come up, then the next batch begins."""
        for member in members:
            if member.recreating and member.target is None:
                member.recreating = False
        if mig.update.policy.get("type") != "PROACTIVE":
            return
        want = self.desired(mig, members)
        budget = max(1, _fixed(mig.update.policy, "maxSurge") + _fixed(mig.update.policy, "maxUnavailable"))
        busy = sum(1 for m in members if m.recreating or (m.template == want[m.name] and self.health(m) == "UNHEALTHY"))
        outdated = [m for m in members if m.template != want[m.name] and not m.deleting]
        outdated.sort(key=lambda m: self.health(m) == "HEALTHY")  # the unavailable ones first, as the MIG does
        for member in outdated[: max(0, budget - busy)]:
            member.template, member.recreating = want[member.name], True
            member.status, member.target, member.reads_left = "STAGING", "RUNNING", self._api.status_reads

    def reached(self, mig: FakeMig, members: Sequence[FakeInstance]) -> bool:
        want = self.desired(mig, members)
        return all(m.template == want[m.name] and not m.recreating for m in members if not m.deleting)

    def health(self, member: FakeInstance) -> str | None:
        if member.status != "RUNNING" or member.recreating:
            return None
        if member.health is not None:
            return member.health
        template = next((t for t in self.templates.values() if member.template.endswith(f"/{t.name}")), None)
        return "UNHEALTHY" if template is not None and template.unhealthy else "HEALTHY"

    def managed_fields(self, project: str, mig: FakeMig, member: FakeInstance) -> Json:
        """What listManagedInstances adds for a member: its version and its health (once it runs)."""
        name = next((v.get("name") for v in mig.update.versions if v["instanceTemplate"] == member.template), None)
        out: Json = {"version": {"instanceTemplate": member.template} | ({"name": name} if name else {})}
        health = self.health(member)
        if health is not None:
            check = f"{self._api.url}/compute/v1/projects/{project}/global/healthChecks/{mig.name}-hc"
            out["instanceHealth"] = [{"healthCheck": check, "detailedHealthState": health}]
        return out

    def mig_fields(self, mig: FakeMig, members: Sequence[FakeInstance]) -> Json:
        """What a MIG's own record says of its update: versions, updatePolicy, status.versionTarget."""
        return {"instanceTemplate": mig.update.versions[0]["instanceTemplate"], "versions": mig.update.versions,
                "updatePolicy": mig.update.policy,
                "status": {"versionTarget": {"isReached": self.reached(mig, members)}}}  # fmt: skip


def _fixed(policy: Json, key: str) -> int:
    return int((policy.get(key) or {}).get("fixed", 0))


def _validate(versions: list[Json], policy: Json) -> None:
    """The 400s Compute Engine answers to an update it cannot carry out."""
    if not 1 <= len(versions) <= 2:
        raise HttpError(400, "Invalid value for field 'resource.versions': a managed instance group can have at "
                             "most 2 versions.")  # fmt: skip
    if sum("targetSize" not in v for v in versions) != 1:
        raise HttpError(400, "Invalid value for field 'resource.versions': exactly one version must leave "
                             "targetSize unset.")  # fmt: skip
    for version in versions:
        percent = version.get("targetSize", {}).get("percent")
        if percent is not None and not 0 <= int(percent) <= 100:
            raise HttpError(400, f"Invalid value for field 'resource.versions[].targetSize.percent': '{percent}'.")
    if policy.get("type") not in ("PROACTIVE", "OPPORTUNISTIC"):
        raise HttpError(400, f"Invalid value for field 'resource.updatePolicy.type': '{policy.get('type')}'.")
    if _fixed(policy, "maxSurge") < 0 or _fixed(policy, "maxUnavailable") < 0:
        raise HttpError(400, "Invalid value for field 'resource.updatePolicy.maxSurge': must not be negative.")
    if policy.get("type") == "PROACTIVE" and _fixed(policy, "maxSurge") == 0 == _fixed(policy, "maxUnavailable"):
        raise HttpError(400, "Invalid value for field 'resource.updatePolicy.maxUnavailable': '0'. "
                             "Fixed updatePolicy.maxUnavailable has to be positive if maxSurge is 0.")  # fmt: skip
