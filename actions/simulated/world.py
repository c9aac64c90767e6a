"""One version of the simulated world: the seeded base with the Redis overlay applied, indexed for lookups.
Building a view copies the base indexes and touches only the overlaid resources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from actions.provider import Resource
from actions.simulated.inventory import generate_inventory
from core.errors import ResourceNotFound


@dataclass(frozen=True)
class WorldView:
    version: int
    by_id: Mapping[str, Resource]  # in inventory order; resources added later come last
    by_name: Mapping[str, Resource]
    members: Mapping[str, tuple[Resource, ...]]  # group name -> its instances

    @property
    def resources(self) -> tuple[Resource, ...]:
        return tuple(self.by_id.values())

    def find(self, key: str) -> Resource:
        """By id, else by name (what people type)."""
        found = self.by_id.get(key) or self.by_name.get(key)
        if found is None:
            raise ResourceNotFound(f"no resource called {key}")
        return found

    def members_of(self, group: Resource) -> tuple[Resource, ...]:
        return self.members.get(group.name, ())


@lru_cache(maxsize=4)
def base_view(seed: int, size: int) -> WorldView:
    """The generated inventory, shared by every provider in the process (it never changes)."""
    resources = generate_inventory(seed, size)
    members: dict[str, list[Resource]] = {}
    for resource in resources:
        if resource.group is not None:
            members.setdefault(resource.group, []).append(resource)
    return WorldView(
        version=0,
        by_id={r.id: r for r in resources},
        by_name={r.name: r for r in resources},
        members={group: tuple(items) for group, items in members.items()},
    )


def apply_overlay(base: WorldView, version: int, overlay: Mapping[str, Resource | None]) -> WorldView:
    """The base with `overlay` (id -> new resource, or None when removed) applied."""
    by_id, by_name = dict(base.by_id), dict(base.by_name)
    touched: set[str] = set()
    for resource_id, new in overlay.items():
        old = by_id.pop(resource_id, None) if new is None else by_id.get(resource_id)
        if old is not None:
            by_name.pop(old.name, None)
            touched.add(old.group or "")
        if new is not None:
            by_id[resource_id] = new
            by_name[new.name] = new
            touched.add(new.group or "")
    members = dict(base.members)
    for group in touched - {""}:
        ids = [m.id for m in base.members.get(group, ())]
        ids += [rid for rid, new in overlay.items() if new is not None and new.group == group]
        current = (by_id.get(rid) for rid in dict.fromkeys(ids))
        members[group] = tuple(m for m in current if m is not None and m.group == group)
    return WorldView(version=version, by_id=by_id, by_name=by_name, members=members)
