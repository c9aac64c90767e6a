"""Reading one scope: every instance and zonal MIG of a project (aggregated lists, all zones) or of one zone.

Two listings per scope whatever its size - instances, then MIGs - each paged: a group's running count and machine
type come from its members in the instance listing, so there is no request per group."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from google.cloud import compute_v1

from actions.backend import Scope
from actions.gcp.api import GcpApi, Listing
from actions.gcp.autoscalers import Autoscalers
from actions.gcp.resources import instance_resource, mig_resource
from actions.provider import Resource

Zoned = tuple[str, compute_v1.Instance]
ZonedMig = tuple[str, compute_v1.InstanceGroupManager]


def list_instances(api: GcpApi, scope: Scope, page_size: int) -> Iterator[Zoned]:
    listing = Listing(lambda: api.clients.instances, compute_v1.AggregatedListInstancesRequest,
                      compute_v1.ListInstancesRequest, "instances")  # fmt: skip
    return api.in_scope(scope, page_size, listing)


def list_migs(api: GcpApi, scope: Scope, page_size: int) -> Iterator[ZonedMig]:
    listing = Listing(lambda: api.clients.migs, compute_v1.AggregatedListInstanceGroupManagersRequest,
                      compute_v1.ListInstanceGroupManagersRequest, "instance_group_managers")  # fmt: skip
    return api.in_scope(scope, page_size, listing)


def fetch_scope(api: GcpApi, scope: Scope, page_size: int, autoscalers: Autoscalers | None = None) -> list[Resource]:
    """Instances and MIGs; the autoscalers' bounds too, with a third listing only when some MIG has one."""
    project, env = scope.account, scope.environment
    instances = [instance_resource(project, zone, i, env) for zone, i in list_instances(api, scope, page_size)]
    running: Counter[tuple[str, str]] = Counter()
    example: dict[tuple[str, str], Resource] = {}
    for r in instances:
        if r.group is not None:
            example.setdefault((r.region, r.group), r)
            running[(r.region, r.group)] += r.state == "running"
    migs = list(list_migs(api, scope, page_size))
    sized = autoscalers.in_scope(scope, page_size) if autoscalers and any(m.status.autoscaler for _, m in migs) else {}
    groups = []
    for zone, mig in migs:
        member = example.get((zone, mig.name))
        size, labels = (member.size, member.tags) if member else ("", {})
        bounds = sized.get((zone, mig.name))
        groups.append(mig_resource(project, zone, mig, running[(zone, mig.name)], size, labels, env, bounds))
    return instances + groups
