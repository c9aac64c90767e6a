"""Which resources their name does not name alone: members of an Auto Scaling group carry the group's Name tag,
two instances may share one, a volume is often called like its instance. A name means its group first, then what it
names first by kind (an instance before its volume), as the conversation resolves it; every other resource of that
name - and each of several it could mean equally - is told by its id too ("web-prod i-0abc123")."""

from __future__ import annotations

from collections.abc import Sequence

from actions.provider import Resource

KIND_RANK = {"group": 0, "database": 1, "load_balancer": 2, "instance": 3, "disk": 4}

_last: tuple[Sequence[Resource], frozenset[str]] = ((), frozenset())


def rank(resource: Resource) -> int:
    """What a shared name means first: a group, then a database, ..., a disk last."""
    return KIND_RANK.get(resource.kind, len(KIND_RANK))


def member_named_like_its_group(resource: Resource) -> bool:
    """An instance carrying its group's name: the name means the group (even when the group is not in view)."""
    return resource.kind == "instance" and resource.group is not None and resource.group == resource.name


def unclear_ids(resources: Sequence[Resource]) -> frozenset[str]:
    """The ids of the resources whose name means another one, or several equally. Computed once per inventory (a
    few milliseconds per 10,000 resources): the last inventory's answer is kept."""
    global _last
    known = _last
    if known[0] is resources:
        return known[1]
    by_name: dict[str, list[Resource]] = {}
    for r in resources:
        by_name.setdefault(r.name, []).append(r)
    unclear: set[str] = set()
    for same in by_name.values():
        if len(same) < 2:
            continue
        first = min(rank(r) for r in same)
        meant = [r for r in same if rank(r) == first]
        unclear.update(r.id for r in same if len(meant) > 1 or r is not meant[0])
    found = frozenset(unclear)
    _last = (resources, found)
    return found
