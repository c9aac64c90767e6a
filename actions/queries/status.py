"""How each cloud is doing: instances by state, groups, cost, hottest CPU, data age and error; worst first.
Nothing is OK without evidence: a source never read, or read too long ago, is a problem that says why."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from typing import Literal, get_args

from actions.provider import Resource, Snapshot, SourceHealth
from core.durations import span
from core.models import Cloud, Frozen

STALE_SECONDS = 600.0  # older data is a problem in itself (callers pass 2 refresh periods)
_CLOUD_NAMES = frozenset(c.value for c in Cloud)


class GroupStatus(Frozen):
    name: str
    region: str
    environment: str
    state: str
    count: int
    hourly_cost: float


ProblemKind = Literal["no_data", "provider_error", "stale_data", "group_degraded", "group_stopped", "degraded"]
# Why a source has no data, or old data: its refresh is running, failing, or nobody attempted one lately.
Cause = Literal["refreshing", "failing", "no_refresh"]
_PROBLEM_ORDER: dict[str, int] = {kind: i for i, kind in enumerate(get_args(ProblemKind))}
_NOUNS = {"instance": "instances", "database": "databases", "load_balancer": "load balancers", "disk": "disks"}


class Problem(Frozen):
    severity: int  # 3: a provider is failing, or its data is missing or stale; 2: prod is hurt; 1: elsewhere
    kind: ProblemKind
    cloud: Cloud
    subject: str  # the resource (for many: the first of them); "API" or "data" for provider-wide problems
    detail: str  # the fact in a few words: "3 of 12 instances degraded"
    count: int = 1  # resources concerned
    environment: str | None = None  # where the resources of a "degraded" problem are, and their kind:
    resource_kind: str | None = None  # enough to find them all ("find degraded instances in aws prod")
    # Provider problems ("no_data", "stale_data", "provider_error"): the sources in the same trouble for the
    # same reason (one line for a credentials error repeated in every region), why, since when, and the age.
    sources: tuple[str, ...] = ()  # their labels: "AWS prod us-east-1"
    cause: Cause | None = None
    reason: str | None = None  # failing: the error, without the source's own name
    since: float | None = None  # refreshing: started; failing: first failure; no_refresh: last attempt (or None)
    data_at: float | None = None  # stale: when the oldest of them was last read


class CloudStatus(Frozen):
    cloud: Cloud
    running: int  # instances
    stopped: int
    degraded: int
    groups: tuple[GroupStatus, ...]  # worst first
    hourly_cost: float
    hottest: str | None  # the instance with the highest latest CPU sample
    hottest_cpu: float | None
    fetched_at: float | None  # the oldest read source's data; None: none of its sources was ever read
    data_age_seconds: float | None  # from a real timestamp only
    error: str | None
    problems: tuple[Problem, ...]  # worst first
    error_since: float | None = None  # when its sources began failing
    failing: tuple[str, ...] = ()  # labels of its failing sources ("AWS prod eu-west-1")
    sources: int = 0  # how many sources (account x region) it has; 0 for the simulated cloud
    unread: tuple[str, ...] = ()  # labels of its sources never read yet


class Scope(Frozen):
    """What a status is about: everything, or a cloud, region, environment, some resources by name or id (a group
    brings its members; an id, for a name several share, only its own) or a service (its `service` tag) - each
    given part narrows it."""

    cloud: Cloud | None = None
    region: str | None = None
    environment: str | None = None
    names: frozenset[str] | None = None  # names, or ids (the resolver's match for a name that is not its own)
    service: str | None = None
    tag: tuple[str, str] | None = None  # ("team", "payments"): resources with that tag

    @property
    def narrow(self) -> bool:
        """Narrower than a cloud or an environment: clouds with nothing in it are left out."""
        return self.region is not None or self.names is not None or self.service is not None or self.tag is not None

    @property
    def picks_resources(self) -> bool:
        return self.environment is not None or self.narrow

    def covers(self, r: Resource) -> bool:
        return (
            (self.environment is None or r.environment == self.environment)
            and (self.region is None or r.region == self.region)
            and (self.names is None or r.name in self.names or r.id in self.names or r.group in self.names)
            and (self.service is None or r.tags.get("service") == self.service)
            and (self.tag is None or r.tags.get(self.tag[0]) == self.tag[1])
        )

    def holds(self, r: Resource) -> bool:
        """`covers`, and in the scope's cloud (status sorts by cloud itself; cost and search do not)."""
        return (self.cloud is None or r.cloud == self.cloud) and self.covers(r)


class StatusReport(Frozen):
    clouds: tuple[CloudStatus, ...]  # worst first
    problems: tuple[Problem, ...]  # across clouds, worst first
    hourly_cost: float  # of the data there is: a part when some source was never read (`unread`)
    unread: tuple[str, ...] = ()  # sources in scope never read yet

    @property
    def ok(self) -> bool:
        """Every source read, fresh enough, and nothing wrong: the only case that may say OK."""
        return not self.problems and not self.unread


def _problem_key(p: Problem) -> tuple[int, int, int, str]:
    return (-p.severity, _PROBLEM_ORDER[p.kind], -p.count, p.subject)


class _Tally:
    """Everything status needs from one cloud's resources, gathered in a single pass."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.states: Counter[str] = Counter()  # instance states
        self.groups: list[Resource] = []
        self.cost = 0.0
        self.hot: Resource | None = None
        self.sick_members: dict[str, list[Resource]] = {}  # group name -> its degraded members
        self.loose: dict[tuple[str, str], list[str]] = {}  # (environment, kind) -> degraded resources not in groups
        for r in resources:
            if r.kind == "group":
                self.groups.append(r)
                continue
            self.cost += r.hourly_cost
            if r.kind == "instance":
                self.states[r.state] += 1
                if r.cpu and (self.hot is None or r.cpu[-1] > self.hot.cpu[-1]):
                    self.hot = r
            if r.state == "degraded":
                if r.group is not None:
                    self.sick_members.setdefault(r.group, []).append(r)
                else:
                    self.loose.setdefault((r.environment, r.kind), []).append(r.name)
        # A degraded member whose group is not in view (the scope named the member) is a problem of its own.
        for name in self.sick_members.keys() - {g.name for g in self.groups}:
            for m in self.sick_members.pop(name):
                self.loose.setdefault((m.environment, m.kind), []).append(m.name)

    def problems(self, cloud: Cloud) -> list[Problem]:
        found: list[Problem] = []
        for g in self.groups:
            severity = 2 if g.environment == "prod" else 1
            if g.state == "degraded":
                sick = len(self.sick_members.get(g.name, ()))
                detail = f"{sick} of {g.count} instances degraded"
                found.append(Problem(severity=severity, kind="group_degraded", cloud=cloud, subject=g.name,
                                     detail=detail, count=sick))  # fmt: skip
            elif g.state == "stopped" and g.count:
                detail = f"all {g.count} instances stopped"
                found.append(Problem(severity=severity, kind="group_stopped", cloud=cloud, subject=g.name,
                                     detail=detail))  # fmt: skip
        for (env, kind), names in self.loose.items():
            noun = _NOUNS.get(kind, kind) if len(names) > 1 else kind.replace("_", " ")
            found.append(Problem(severity=2 if env == "prod" else 1, kind="degraded", cloud=cloud, subject=min(names),
                                 detail=f"{len(names)} {noun} degraded in {env}", count=len(names),
                                 environment=env, resource_kind=kind))  # fmt: skip
        return found


class _Health(Frozen):
    """One cloud's data age and error: the snapshot's own, or gathered from its sources."""

    fetched_at: float | None  # the oldest read source's; None when none was read
    error: str | None
    error_since: float | None = None
    failing: tuple[str, ...] = ()
    sources: int = 0
    unread: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()


def _sources(snapshot: Snapshot, cloud: Cloud, region: str | None) -> list[SourceHealth]:
    """The cloud's sources, in `region` when given (a source is an account in a region: "AWS prod eu-west-1")."""
    return [s for s in snapshot.sources if s.cloud == cloud and (region is None or s.label.endswith(f" {region}"))]


def reason(source: SourceHealth) -> str:
    """A source's error without its own name in front: "AWS prod eu-west-1 did not answer" -> "did not answer",
    "AWS: credentials refused for prod - ..." -> "credentials refused for prod - ..." (the line names it)."""
    text = (source.error or "").strip()
    cloud = source.label.split(" ", 1)[0]
    for prefix in (f"{source.label}: ", f"{source.label} ", f"{cloud}: ", f"{cloud} "):
        if text.startswith(prefix) and len(text) > len(prefix):
            return text[len(prefix) :]
    return text


def _cause(source: SourceHealth) -> tuple[Cause, float | None, str]:
    """Why a source has no data or old data: its failure, a refresh in flight, or no refresh lately."""
    if source.error:
        return "failing", source.error_since, reason(source)
    if source.refreshing_since is not None:
        return "refreshing", source.refreshing_since, ""
    return "no_refresh", source.checked_at, ""


def source_problems(cloud: Cloud, mine: list[SourceHealth], now: float, stale_after: float) -> list[Problem]:
    """One problem per kind of trouble and reason, naming every source in it: never read, read too long ago,
    failing. A source whose data is missing or stale is reported for that, with its failure as the cause."""
    grouped: dict[tuple[ProblemKind, Cause, str], list[SourceHealth]] = {}
    for s in mine:
        if s.fetched_at is None:
            cause, _, why = _cause(s)
            grouped.setdefault(("no_data", cause, why), []).append(s)
        elif now - s.fetched_at > stale_after:
            cause, _, why = _cause(s)
            grouped.setdefault(("stale_data", cause, why), []).append(s)
        elif s.error:
            grouped.setdefault(("provider_error", "failing", reason(s)), []).append(s)
    found = []
    for (kind, cause, why), sources in grouped.items():
        times = [t for t in (_cause(s)[1] for s in sources) if t is not None]
        data_at = min((s.fetched_at for s in sources if s.fetched_at is not None), default=None)
        if kind == "no_data":
            detail = "no data yet" + (f" - {why}" if why else "")
        elif kind == "stale_data":
            detail = f"{span(now - (data_at or now))} old" + (f" - {why}" if why else "")
        else:
            detail = why
        found.append(Problem(
            severity=3, kind=kind, cloud=cloud, subject=sources[0].label, detail=detail, count=len(sources),
            sources=tuple(s.label for s in sources), cause=cause, reason=why or None,
            since=min(times) if times else None, data_at=data_at,
        ))  # fmt: skip
    return found


def _health(snapshot: Snapshot, cloud: Cloud, region: str | None, now: float, stale_after: float) -> _Health:
    mine = _sources(snapshot, cloud, region)
    if not mine:  # the simulated world: one source, always read
        problems = []
        if snapshot.error:
            problems.append(Problem(severity=3, kind="provider_error", cloud=cloud, subject="API",
                                    detail=snapshot.error))  # fmt: skip
        if snapshot.fetched_at and now - snapshot.fetched_at > stale_after:
            detail = f"{span(now - snapshot.fetched_at)} old"
            problems.append(Problem(severity=3, kind="stale_data", cloud=cloud, subject="data", detail=detail,
                                    data_at=snapshot.fetched_at))  # fmt: skip
        fetched = snapshot.fetched_at or None  # 0: never read, not 1970
        return _Health(fetched_at=fetched, error=snapshot.error, problems=tuple(problems))
    failing = [s for s in mine if s.error]
    since = [s.error_since for s in failing if s.error_since is not None]
    error = None
    if failing:
        error = reason(failing[0]) if len(mine) == 1 else "; ".join(f"{s.label}: {reason(s)}" for s in failing[:2])
    read = [s.fetched_at for s in mine if s.fetched_at is not None]
    return _Health(
        fetched_at=min(read) if read else None,
        error=error,
        error_since=min(since) if since else None,
        failing=tuple(s.label for s in failing),
        sources=len(mine),
        unread=tuple(s.label for s in mine if s.fetched_at is None),
        problems=tuple(source_problems(cloud, mine, now, stale_after)),
    )


def _cloud_status(
    cloud: Cloud, resources: list[Resource], snapshot: Snapshot, now: float, region: str | None, stale_after: float
) -> CloudStatus:
    tally = _Tally(resources)
    health = _health(snapshot, cloud, region, now, stale_after)
    age = None if health.fetched_at is None else max(0.0, now - health.fetched_at)
    order = {"degraded": 0, "stopped": 1, "running": 2, "standby": 3}
    groups = sorted(tally.groups, key=lambda g: (order.get(g.state, 4), g.environment != "prod", g.name))
    return CloudStatus(
        cloud=cloud,
        running=tally.states["running"],
        stopped=tally.states["stopped"],
        degraded=tally.states["degraded"],
        groups=tuple(
            GroupStatus(name=g.name, region=g.region, environment=g.environment, state=g.state, count=g.count or 0,
                        hourly_cost=g.hourly_cost)
            for g in groups
        ),
        hourly_cost=round(tally.cost, 2),
        hottest=tally.hot.name if tally.hot else None,
        hottest_cpu=tally.hot.cpu[-1] if tally.hot else None,
        fetched_at=health.fetched_at,
        data_age_seconds=age,
        error=health.error,
        problems=tuple(sorted([*health.problems, *tally.problems(cloud)], key=_problem_key)),
        error_since=health.error_since,
        failing=health.failing,
        sources=health.sources,
        unread=health.unread,
    )  # fmt: skip


def _may_hold(scope: Scope, source: SourceHealth) -> bool:
    """Whether a source could hold resources of `scope` even when it has none to show (it never answered)."""
    if scope.names is not None or scope.service is not None or scope.tag is not None:
        return False
    return scope.region is None or source.label.endswith(f" {scope.region}")


def status(
    snapshot: Snapshot | Iterable[Snapshot],
    *,
    cloud: Cloud | None = None,
    environment: str | None = None,
    scope: Scope | None = None,
    now: float | None = None,
    stale_after: float = STALE_SECONDS,
) -> StatusReport:
    """Per cloud: instances by state, groups, cost, hottest CPU, data age and error; worst problem first.
    One snapshot may hold several clouds (simulated) or one (a real provider named after its cloud).
    `scope` narrows it (`cloud` and `environment` are its shorthands); a scope narrower than a cloud or an
    environment reports only the clouds that have something in it (or, for a region, a source there).
    Data older than `stale_after` seconds is a problem (callers pass two refresh periods), as is a source never
    read; ages are counted only from real timestamps."""
    now = time.time() if now is None else now
    scope = scope or Scope()
    if cloud is not None or environment is not None:
        scope = scope.model_copy(update={k: v for k, v in (("cloud", cloud), ("environment", environment)) if v})
    parts: list[CloudStatus] = []
    for snap in [snapshot] if isinstance(snapshot, Snapshot) else snapshot:
        by_cloud: dict[Cloud, list[Resource]] = {}
        if snap.provider in _CLOUD_NAMES and not scope.narrow:
            by_cloud[Cloud(snap.provider)] = []  # a provider with nothing to show still reports its error
        for source in snap.sources:
            if _may_hold(scope, source):
                by_cloud.setdefault(source.cloud, [])  # so does a cloud whose sources never answered
        if scope.picks_resources:
            for r in snap.resources:
                if scope.covers(r):
                    by_cloud.setdefault(r.cloud, []).append(r)
        else:  # everything (of a cloud): the common question, without a test per resource
            for r in snap.resources:
                by_cloud.setdefault(r.cloud, []).append(r)
        parts += [
            _cloud_status(c, rs, snap, now, scope.region, stale_after)
            for c, rs in by_cloud.items()
            if scope.cloud is None or c == scope.cloud
        ]
    parts.sort(key=lambda s: (s.error is None, _problem_key(s.problems[0]) if s.problems else (9, 0, 0, ""), s.cloud))
    problems = sorted((p for part in parts for p in part.problems), key=_problem_key)
    return StatusReport(
        clouds=tuple(parts),
        problems=tuple(problems),
        hourly_cost=round(sum(p.hourly_cost for p in parts), 2),
        unread=tuple(label for part in parts for label in part.unread),
    )
