"""A seeded, deterministic multi-cloud inventory: the same seed gives the same resources in every process
(only `random.Random(seed)` and sha256 are used, never `hash()`)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from actions.provider import Resource
from actions.simulated.groups import group_id, group_state, instance_id, mean_cpu, member_names
from actions.simulated.prices import (
    DATABASE_PRICES,
    DISK_SIZES_GB,
    DISK_TYPES,
    ENVIRONMENTS,
    INSTANCE_PRICES,
    LOAD_BALANCER_PRICES,
    REGIONS,
    hourly_price,
)
from core.models import Cloud

TEAMS = {
    "web": "frontend", "api": "platform", "db": "data", "worker": "platform", "billing": "payments",
    "payments": "payments", "checkout": "payments", "search": "discovery", "gallery": "media", "media": "media",
    "rsvp": "guests", "guestlist": "guests", "booking": "vendors", "vendor": "vendors", "notify": "messaging",
    "chat": "messaging", "auth": "identity", "report": "data", "etl": "data", "cache": "platform",
}  # fmt: skip
RANDOM_SERVICES = tuple(s for s in TEAMS if s not in ("web", "api", "db", "worker"))
OWNERS = ("ana", "bruno", "chloe", "dmitri", "eva", "farid", "grace", "hiro", "ines", "jonas", "kemi", "lena")
CLOUDS = (Cloud.AWS, Cloud.AZURE, Cloud.GCP)
# The release each fixed service's groups run at first: what the shipped release manifest (actions/deploy)
# calls the version running now, so the demo can deploy the next one and roll back to this.
INITIAL_VERSIONS = {"web": "v2.3", "api": "v5.1"}


@dataclass(frozen=True)
class _GroupSpec:
    name: str
    service: str
    cloud: Cloud
    region: str
    environment: str
    size: str
    count: int
    standby: str | None = None
    limits: tuple[int, int] | None = None  # (min, max); None: the default for its environment (see `_limits`)


# Groups that tests, demos and the docs rely on: keep their names, numbers and limits stable. The docs scale
# web-prod to 20 and 30, take web-prod, api-prod and web-staging to 0, fail web-prod over to web-dr, and the help
# tests scale web-staging to a new size per example.
FIXED_GROUPS = (
    _GroupSpec("web-prod", "web", Cloud.AWS, "us-east-1", "prod", "m5.2xlarge", 12, "web-dr", (0, 40)),
    _GroupSpec("api-prod", "api", Cloud.GCP, "europe-west1", "prod", "n2-standard-4", 8, "api-dr", (0, 20)),
    _GroupSpec("web-dr", "web", Cloud.AZURE, "westeurope", "dr", "Standard_D8s_v5", 0, limits=(0, 40)),
    _GroupSpec("api-dr", "api", Cloud.GCP, "asia-east1", "dr", "n2-standard-4", 0, limits=(0, 20)),
    _GroupSpec("web-staging", "web", Cloud.AWS, "us-east-1", "staging", "m6i.2xlarge", 3, limits=(0, 100)),
    _GroupSpec("api-staging", "api", Cloud.GCP, "europe-west1", "staging", "n2-standard-2", 2, limits=(0, 10)),
    _GroupSpec("web-edge-prod", "web", Cloud.GCP, "us-central1", "prod", "n2-standard-4", 6, limits=(2, 12)),
    _GroupSpec("web-canary", "web", Cloud.AWS, "us-west-2", "prod", "m5.xlarge", 2, limits=(2, 6)),
    _GroupSpec("web-preview", "web", Cloud.AZURE, "northeurope", "staging", "Standard_D2s_v5", 2, limits=(0, 4)),
    _GroupSpec("worker-prod", "worker", Cloud.AWS, "us-west-2", "prod", "c5.2xlarge", 10, limits=(0, 20)),
    _GroupSpec("worker-staging", "worker", Cloud.AWS, "us-west-2", "staging", "m5.large", 2, limits=(0, 10)),
)
# Who sets a group's limits on each cloud, as replies name it.
LIMITS_FROM = {Cloud.AWS: "Auto Scaling group", Cloud.AZURE: "autoscale setting", Cloud.GCP: "managed instance group"}


def _limits(spec: _GroupSpec) -> tuple[int, int]:
    """A seeded group's (min, max): prod keeps at least one instance and may double; a standby takes a failover."""
    if spec.limits is not None:
        return spec.limits
    if spec.environment == "prod":
        return min(1, spec.count), max(40, spec.count * 2)
    return 0, 40 if spec.environment == "dr" else 20


# name, region, environment, size, role
FIXED_VMS = (
    ("db-prod", "westeurope", "prod", "Standard_E8s_v5", "database-primary"),
    ("db-staging", "westeurope", "staging", "Standard_D4s_v5", "database-primary"),
    ("db-dr", "northeurope", "dr", "Standard_E8s_v5", "database-replica"),
)

# Weighted pools for the loose resources (an entry repeated n times is n times as likely).
_ENV_POOL = ("prod",) * 10 + ("staging",) * 7 + ("dr",) * 3
_INSTANCE_STATES = ("running",) * 17 + ("stopped",) * 2 + ("degraded",)
_DISK_STATES = ("in-use",) * 7 + ("available",) * 3
_DATABASE_STATES = ("available",) * 31 + ("stopped", "degraded")
_LOAD_BALANCER_STATES = ("active",) * 32 + ("degraded",)
_KIND_POOL = ("instance",) * 11 + ("disk",) * 6 + ("database",) * 2 + ("load_balancer",)
_DISK_SIZES = tuple(str(gb) for gb in DISK_SIZES_GB)
_LOOSE_TYPES = {cloud: tuple(INSTANCE_PRICES[cloud])[:4] for cloud in CLOUDS}
_DATABASE_TYPES = {cloud: tuple(DATABASE_PRICES[cloud]) for cloud in CLOUDS}
_LOAD_BALANCER_TYPES = {cloud: next(iter(LOAD_BALANCER_PRICES[cloud])) for cloud in CLOUDS}

_PERCENT = tuple(i / 10 for i in range(1001))  # one pool of float objects for every CPU sample: less memory


class _Builder:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.out: list[Resource] = []
        self.counters: dict[str, int] = {}
        self.owners = {service: self.rng.choice(OWNERS) for service in TEAMS}
        # 101 load levels x 4 shapes of 12 samples: a resource's series costs one draw instead of twelve.
        self.shapes = [
            [tuple(_PERCENT[round(min(100.0, max(0.0, lvl + self.rng.uniform(-8, 8))) * 10)] for _ in range(12))
             for _ in range(4)]
            for lvl in range(101)
        ]  # fmt: skip

    def cpu(self, level: int) -> tuple[float, ...]:
        return self.shapes[min(100, max(0, level))][int(self.rng.random() * 4)]

    def tags(self, service: str, environment: str) -> dict[str, str]:
        return {"service": service, "team": TEAMS[service], "env": environment, "owner": self.owners[service]}

    def next_number(self, prefix: str) -> int:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return self.counters[prefix]

    def group(self, spec: _GroupSpec, degraded_share: float) -> None:
        unit = INSTANCE_PRICES[spec.cloud][spec.size]
        level = self.rng.randint(25, 60)
        version = INITIAL_VERSIONS.get(spec.service)
        members = []
        for name in member_names(self.seed, spec.name, spec.count):
            state = "degraded" if self.rng.random() < degraded_share else "running"
            cpu = self.cpu(self.rng.randint(88, 99) if state == "degraded" else level + self.rng.randint(-10, 10))
            members.append(
                Resource(
                    id=instance_id(self.seed, spec.cloud, spec.region, name), name=name, cloud=spec.cloud,
                    kind="instance", region=spec.region, environment=spec.environment, state=state, size=spec.size,
                    hourly_cost=unit, tags=self.tags(spec.service, spec.environment), cpu=cpu, group=spec.name,
                    version=version,
                )
            )  # fmt: skip
        tags = self.tags(spec.service, spec.environment)
        low, high = _limits(spec)
        if spec.standby:
            tags["traffic"] = "serving"
        elif spec.environment == "dr":
            tags["traffic"] = "standby"
        self.out.append(
            Resource(
                id=group_id(spec.cloud, spec.region, spec.name), name=spec.name, cloud=spec.cloud, kind="group",
                region=spec.region, environment=spec.environment, size=spec.size, count=len(members),
                min_count=low, max_count=high, limits_from=LIMITS_FROM[spec.cloud],
                state=group_state([m.state for m in members], spec.environment),
                hourly_cost=round(unit * len(members), 4), unit_hourly_cost=unit, tags=tags,
                cpu=mean_cpu(members), standby=spec.standby, version=version,
            )
        )  # fmt: skip
        self.out.extend(members)

    def random_groups(self, wanted: int) -> list[_GroupSpec]:
        combos = [(service, env) for service in RANDOM_SERVICES for env in ENVIRONMENTS]
        chosen = sorted(self.rng.sample(combos, min(wanted, len(combos))), key=lambda c: ENVIRONMENTS.index(c[1]))
        specs: dict[str, _GroupSpec] = {}
        for service, env in chosen:
            cloud = self.rng.choice(CLOUDS)
            size = self.rng.choice(list(INSTANCE_PRICES[cloud])[:4])
            count = {"prod": self.rng.randint(2, 16), "staging": self.rng.randint(1, 4), "dr": 0}[env]
            name = f"{service}-{env}"
            specs[name] = _GroupSpec(name, service, cloud, self.rng.choice(REGIONS[cloud]), env, size, count)
            primary = specs.get(f"{service}-prod")
            if env == "dr" and primary is not None:
                specs[primary.name] = _GroupSpec(**{**primary.__dict__, "standby": name})
        return list(specs.values())

    def pick(self, pool: tuple[str, ...]) -> str:
        # Weighted picks repeat entries in the pool; indexing with random() is far cheaper than rng.choices.
        return pool[int(self.rng.random() * len(pool))]

    def loose(self, kind: str) -> None:
        rng = self.rng
        cloud, service = CLOUDS[int(rng.random() * 3)], self.pick(RANDOM_SERVICES)
        env, region = self.pick(_ENV_POOL), self.pick(REGIONS[cloud])
        number = self.next_number(f"{kind}/{service}-{env}")
        place, aws = f"{cloud.value}:{region}:", cloud is Cloud.AWS
        cpu: tuple[float, ...] = ()
        if kind == "instance":
            name = f"{service}-{env}-vm{number}"
            rid = f"{place}i-0{rng.getrandbits(64):016x}" if aws else f"{place}vm/{name}"
            size, state = self.pick(_LOOSE_TYPES[cloud]), self.pick(_INSTANCE_STATES)
        elif kind == "disk":
            name = f"vol-0{rng.getrandbits(64):016x}" if aws else f"disk-{service}-{env}-{number}"
            rid = f"{place}{name}" if aws else f"{place}disk/{name}"
            size, state = f"{DISK_TYPES[cloud]} {self.pick(_DISK_SIZES)}GB", self.pick(_DISK_STATES)
        elif kind == "database":
            name, size = f"{service}-{env}-db-{number}", self.pick(_DATABASE_TYPES[cloud])
            rid, state = f"{place}db/{name}", self.pick(_DATABASE_STATES)
        else:
            name, size = f"{service}-{env}-lb-{number}", _LOAD_BALANCER_TYPES[cloud]
            rid, state = f"{place}lb/{name}", self.pick(_LOAD_BALANCER_STATES)
        if kind in ("instance", "database") and state != "stopped":
            cpu = self.cpu(88 + int(rng.random() * 12) if state == "degraded" else 3 + int(rng.random() * 78))
        cost = 0.0 if state == "stopped" else hourly_price(cloud, kind, size)
        self.out.append(
            Resource(
                id=rid, name=name, cloud=cloud, kind=kind, region=region, environment=env, state=state, size=size,
                hourly_cost=cost, tags=self.tags(service, env), cpu=cpu,
            )
        )  # fmt: skip


def generate_inventory(seed: int = 42, size: int = 10_000) -> tuple[Resource, ...]:
    """At least `size` resources: the fixed groups and VMs first, then seeded groups, then loose resources."""
    builder = _Builder(seed)
    for spec in FIXED_GROUPS:
        builder.group(spec, degraded_share=0.0)
    for name, region, env, vm_size, role in FIXED_VMS:
        builder.out.append(
            Resource(
                id=instance_id(seed, Cloud.AZURE, region, name), name=name, cloud=Cloud.AZURE, kind="instance",
                region=region, environment=env, state="running", size=vm_size,
                hourly_cost=INSTANCE_PRICES[Cloud.AZURE][vm_size], tags={**builder.tags("db", env), "role": role},
                cpu=builder.cpu(40),
            )
        )  # fmt: skip
    for spec in builder.random_groups(wanted=max(3, size // 200)):
        builder.group(spec, degraded_share=0.03)
    while len(builder.out) < size:
        builder.loose(builder.pick(_KIND_POOL))
    return tuple(builder.out)
