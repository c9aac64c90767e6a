"""Which resources a metric stream's scope stands for, from one inventory: an instance itself, a group's member
instances, or every instance of an environment ("environment:prod") or a cloud ("provider:aws")."""

from __future__ import annotations

from collections.abc import Sequence

from actions.provider import Resource
from core.models import Cloud

ENVIRONMENT = "environment:"
PROVIDER = "provider:"


class Scopes:
    """An index of one inventory; built once per inventory the poller sees, not per stream."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self._by_id = {r.id: r for r in resources}
        self._members: dict[tuple[str, str, str], list[Resource]] = {}
        self._environments: dict[str, list[Resource]] = {}
        self._clouds: dict[str, list[Resource]] = {}
        for r in resources:
            if r.kind != "instance":
                continue
            if r.group is not None:
                self._members.setdefault((r.cloud.value, r.region, r.group), []).append(r)
            self._environments.setdefault(r.environment, []).append(r)
            self._clouds.setdefault(r.cloud.value, []).append(r)

    def members(self, scope: str) -> tuple[Resource, ...] | str:
        """The resources whose values the stream combines, or the line saying why there are none."""
        if scope.startswith(ENVIRONMENT):
            name = scope.removeprefix(ENVIRONMENT)
            return tuple(self._environments.get(name, ())) or f"no instances in environment {name}"
        if scope.startswith(PROVIDER):
            name = scope.removeprefix(PROVIDER)
            if name not in {c.value for c in Cloud}:
                return f"no provider {name} (aws, azure or gcp)"
            return tuple(self._clouds.get(name, ())) or f"no instances on {name}"
        resource = self._by_id.get(scope)
        if resource is None:
            return f"no resource {scope}"
        if resource.kind != "group":
            return (resource,)
        members = self._members.get((resource.cloud.value, resource.region, resource.name), ())
        return tuple(members) or f"{resource.name} has no instances"
