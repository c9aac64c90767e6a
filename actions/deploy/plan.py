"""From "deploy web v2.4 to prod" to exactly what rolls where: one `GroupChange` per group of the environment that
does not run the version yet, in the manifest's order, with its size, what it runs now, its strategy and how
long it should take. The preview shows it and the confirmation binds to it (`DeployRequest.params_hash`), so
everything a person agrees to is decided here, before any cloud is touched."""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from actions.deploy.manifest import version_named
from actions.deploy.model import (
    DeployKind,
    DeployRequest,
    Environment,
    GroupChange,
    GroupRef,
    Manifest,
    PacedRollouts,
    RolloutBackend,
    Service,
    Strategy,
    Version,
)
from actions.provider import Resource
from actions.wording import CLOUD_LABELS
from core.errors import ProviderError
from core.models import Cloud

# How long a new instance takes to boot and pass its first health check, per cloud (typical figures).
BOOT_SECONDS: MappingProxyType[Cloud, int] = MappingProxyType({Cloud.AWS: 90, Cloud.AZURE: 120, Cloud.GCP: 60})
EMPTY_GROUP_SECONDS = 5  # a group at 0 instances: only its model (template, image) changes
# What to write in the manifest for a version that says nothing for a cloud.
_SPEC_HINT = MappingProxyType(
    {
        Cloud.AWS: "aws: {launch_template: ..., template_version: ...}",
        Cloud.AZURE: "azure: image: ...",
        Cloud.GCP: "gcp: instance_template: ...",
    }
)


def plan_deploy(
    manifest: Manifest,
    *,
    kind: DeployKind,
    service: str,
    environment: str,
    version: str,
    groups: Mapping[str, Resource],
    running: Mapping[str, str | None],
    requested_by: str,
    rollback_of: int | None = None,
    freeze_override: str | None = None,
    backends: Mapping[Cloud, RolloutBackend] | None = None,
) -> DeployRequest:
    """The request rolling `service`'s `environment` to `version` (a rollback: back to it). `groups` is the
    inventory by name; `running` says what each group runs now (a group not in it: its `Resource.version`);
    `backends`: a backend that keeps a pace of its own (PacedRollouts) says how long its groups take.
    Raises ProviderError with one line: an unknown service, environment or version, a group the inventory does
    not have, a version that says nothing for a group's cloud, or nothing to do."""
    spec = _service(manifest, service)
    env = _environment(spec, service, environment)
    name = version_named(spec, version)
    if name is None:
        newest = list(spec.versions)[-1]
        raise ProviderError(f"{service} has no version {version} in the release manifest: the newest is {newest}")
    changes = []
    for ref in env.groups:
        resource = groups.get(ref.group)
        if resource is None:
            raise ProviderError(
                f"{ref.group} ({service} {environment} in the release manifest) is not in the inventory: "
                "check its name there, or that its cloud account is configured"
            )
        current = running.get(ref.group, resource.version)
        if current != name:
            changes.append(_change(ref, env, resource, current, name, spec.versions[name]))
    if not changes:
        raise ProviderError(f"{service} {environment} already runs {name} everywhere")
    changes = [_paced(change, backends) for change in changes]
    return DeployRequest(
        kind=kind,
        service=service,
        environment=environment,
        version=name,
        groups=tuple(changes),
        rollback_of=rollback_of,
        freeze_override=freeze_override,
        requested_by=requested_by,
    )


def _paced(change: GroupChange, backends: Mapping[Cloud, RolloutBackend] | None) -> GroupChange:
    """`change` with its backend's own estimate of its length, when the backend keeps a pace of its own."""
    backend = backends.get(change.cloud) if backends is not None else None
    if not isinstance(backend, PacedRollouts):
        return change
    return change.model_copy(update={"expected_seconds": backend.expected_seconds(change)})


def _service(manifest: Manifest, service: str) -> Service:
    if (spec := manifest.services.get(service)) is None:
        known = ", ".join(manifest.services) or "none"
        raise ProviderError(f"No service {service} in the release manifest: it has {known}")
    return spec


def _environment(spec: Service, service: str, environment: str) -> Environment:
    if (env := spec.environments.get(environment)) is None:
        known = ", ".join(spec.environments)
        raise ProviderError(f"{service} has no environment {environment} in the release manifest: it has {known}")
    return env


def _change(
    ref: GroupRef, env: Environment, resource: Resource, current: str | None, name: str, version: Version
) -> GroupChange:
    to = version.spec_for(resource.cloud)
    if to is None:
        label = CLOUD_LABELS[resource.cloud]
        hint = _SPEC_HINT[resource.cloud]
        raise ProviderError(
            f"{name} says nothing for {label}, where {ref.group} runs: add {hint} under versions.{name} "
            "in the release manifest"
        )
    strategy = ref.strategy or env.strategy
    size = resource.count or 0
    return GroupChange(
        group_id=resource.id,
        group=ref.group,
        cloud=resource.cloud,
        region=resource.region,
        size=size,
        from_version=current,
        to_version=name,
        to=to,
        strategy=strategy,
        expected_seconds=expected_seconds(size, strategy, resource.cloud),
    )


def expected_seconds(size: int, strategy: Strategy, cloud: Cloud) -> int:
    """How long rolling `size` instances should take: batches of `batch_percent` (at least one instance), each
    booting and warming up; a Google canary is a batch of its own first. A group at 0 instances: a few seconds."""
    if size <= 0:
        return EMPTY_GROUP_SECONDS
    batch = max(1, math.ceil(size * strategy.batch_percent / 100))
    batches = math.ceil(size / batch) + (1 if strategy.canary_percent and cloud is Cloud.GCP else 0)
    return batches * (BOOT_SECONDS[cloud] + strategy.warmup_seconds)


def changes_between(service: Service, from_version: str | None, to_version: str) -> tuple[list[str], str | None]:
    """The changelog between what runs and what comes, newest first: the versions after `from_version` up to
    `to_version` (going back, a rollback: the versions it undoes); `to_version`'s own when what runs is not
    known. And the service's compare URL filled with the two versions' commits (their names when they have
    none), or None."""
    names = list(service.versions)
    if to_version not in service.versions:
        return [], None
    to_index = names.index(to_version)
    if from_version not in service.versions:
        return list(service.versions[to_version].changes), None
    from_index = names.index(from_version)
    low, high = sorted((from_index, to_index))
    lines = [line for name in reversed(names[low + 1 : high + 1]) for line in service.versions[name].changes]
    url = service.compare_url
    if url is None or from_index == to_index:
        return lines, None
    return lines, url.replace("{from}", _ref(service, from_version)).replace("{to}", _ref(service, to_version))


def _ref(service: Service, name: str) -> str:
    return service.versions[name].commit or name
