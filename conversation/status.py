"""Status in chat: for the scope asked ("status eu-west-1", "status of web-prod", "what's wrong with
search-prod"), named in the first line, with every problem, a phone-sized page at a time. It says OK only when
every source has been read and is fresh; data older than two refresh periods is a warning above everything
else, with its likely cause; a source never read says why ("no data yet - first refresh running")."""

from __future__ import annotations

import time
from typing import NamedTuple

from actions import queries
from actions.provider import Snapshot, SourceHealth
from actions.queries import CloudStatus, Problem, Scope, StatusReport
from actions.wording import title
from conversation.memo import InventoryMemo
from conversation.replies import clock, echo, money, not_found
from conversation.services import Services
from core.durations import span
from core.models import Cloud, Slots
from intents import vocab
from intents.resolve import name_words

PAGE_LINES = 8  # a phone screen: the first page also carries the verdict and a line per cloud
STALE_AFTER_PERIODS = 1.5  # of the refresh period: older data makes status ask for fresher
WARN_AFTER_PERIODS = 2.0  # of the refresh period: older data is a warning at the top of the answer
_CLOUD_LABEL = {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}
_NOUNS = {"instance": "instances", "database": "databases", "load_balancer": "load balancers", "disk": "disks"}


class StatusPage(NamedTuple):
    text: str
    next_offset: int | None  # where the next page starts; None when this was the last


class Scoped(NamedTuple):
    scope: Scope
    label: str  # the scope as the first line names it: "AWS prod", "eu-west-1", "web-prod", "All clouds"


class StatusView:
    def __init__(self, services: Services) -> None:
        self._s = services
        self._reports: InventoryMemo[tuple[Scope, str | None, tuple[SourceHealth, ...], int], StatusReport] = (
            InventoryMemo()
        )
        self._services: InventoryMemo[str, frozenset[str]] = InventoryMemo()
        self._tags: InventoryMemo[str, frozenset[tuple[str, str]]] = InventoryMemo()

    def page(self, slots: Slots, offset: int) -> StatusPage:
        """The page at `offset` of the problems (0: the verdict, the first problems and each cloud's line)."""
        if offset == 0:
            self._freshen()
        snapshot = self._s.provider.snapshot()
        scoped = self.scoped(snapshot, slots)
        if isinstance(scoped, str):
            return StatusPage(scoped, None)
        now = time.time()
        report = self._report(snapshot, scoped.scope, now)
        if not report.clouds:
            return StatusPage(f"{scoped.label}: nothing found.", None)
        warnings = [p for p in report.problems if p.kind == "stale_data"]
        problems = tuple(p for p in report.problems if p.kind != "stale_data")
        count = len(report.problems)
        if offset == 0:
            lines = [warning_line(p, now) for p in warnings]
            lines.append(f"{scoped.label}: {_verdict(report)}")
            shown = max(2, PAGE_LINES - 1 - len(report.clouds) - len(warnings))
            lines += [problem_line(p, scoped.scope) for p in problems[:shown]]
            lines += [_cloud_line(c, now) for c in report.clouds]
        else:
            shown = offset + PAGE_LINES - 1
            if offset >= len(problems):
                return StatusPage(f"{scoped.label}: that was the last of {count} problems.", None)
            end = min(shown, len(problems))
            numbers = f"{offset + 1}-{end}" if end > offset + 1 else f"{end}"
            lines = [f"{scoped.label}: problems {numbers} of {len(problems)}:"]
            lines += [problem_line(p, scoped.scope) for p in problems[offset:end]]
        return StatusPage("\n".join(lines), shown if shown < len(problems) else None)

    def _freshen(self) -> None:
        # The one read that may wait, briefly: when the workers' schedule has fallen behind (or just started),
        # for fresher data, never past the deadline. On schedule, the cache answers at once with its age shown.
        settings = self._s.settings
        max_age = settings.inventory_refresh_seconds * STALE_AFTER_PERIODS
        self._s.provider.freshen(max_age, settings.status_deadline_seconds)

    def _report(self, snapshot: Snapshot, scope: Scope, now: float) -> StatusReport:
        """Status over 10,000 resources takes milliseconds: computed once per inventory version, scope, state of
        the sources and few seconds (data turns stale with time alone)."""
        stale_after = self._s.settings.inventory_refresh_seconds * WARN_AFTER_PERIODS
        key = (scope, snapshot.error, snapshot.sources, int(now // 5))
        return self._reports.get(
            snapshot.resources,
            key,
            lambda: queries.status(snapshot, scope=scope, now=now, stale_after=stale_after),
        )

    def scoped(self, snapshot: Snapshot, slots: Slots) -> Scoped | str:
        """The scope the slots name, or why there is none ("I can't find 'web-prd'..."): a cloud, region and
        environment, narrowed by a target - a resource or group, a service, a tag ("team payments"), a cloud."""
        place = " ".join(x for x in (_label(slots.provider), slots.environment, slots.region) if x)
        phrase = (slots.target or "").strip()
        cloud = vocab.PROVIDERS.get(phrase.lower()) if phrase else None
        if cloud is not None and slots.provider in (None, cloud):  # "how much does azure cost"
            slots, phrase = slots.model_copy(update={"provider": cloud, "target": None}), ""
            place = " ".join(x for x in (_label(cloud), slots.environment, slots.region) if x)
        scope = Scope(cloud=slots.provider, region=slots.region, environment=slots.environment)
        if not phrase:
            return Scoped(scope, place or "All clouds")
        index = self._s.index(snapshot)
        resolution = index.resolve(phrase)
        if resolution.match is not None:
            found = index.by_name[resolution.match]  # an id when the name is not its own: named with it
            label = resolution.match if resolution.match == found.name else title(found, unclear=True)
            return Scoped(scope.model_copy(update={"names": frozenset({resolution.match})}), label)
        service = self._service(snapshot, phrase)
        if service is not None:
            name, environment = service
            if environment is not None and slots.environment not in (None, environment):
                return f"{echo(phrase)} is not in {slots.environment}."
            environment = environment or slots.environment
            where = " ".join(x for x in (_label(slots.provider), slots.region) if x)
            label = f"{name} service" + (f" in {environment}" if environment else "") + (f", {where}" if where else "")
            return Scoped(scope.model_copy(update={"service": name, "environment": environment}), label)
        tag = self._tag(snapshot, phrase)
        if tag is not None:
            label = f"{tag[0]}={tag[1]}" + (f" in {place}" if place else "")
            return Scoped(scope.model_copy(update={"tag": tag}), label)
        return not_found(phrase, resolution.candidates)

    def _tag(self, snapshot: Snapshot, phrase: str) -> tuple[str, str] | None:
        """ "team=payments", "team payments" -> ("team", "payments") when some resource has that tag."""
        parts = phrase.replace("=", " ").split()
        if len(parts) != 2:
            return None
        resources = snapshot.resources
        tags = self._tags.get(resources, "", lambda: frozenset(t for r in resources for t in r.tags.items()))
        key, value = parts
        return next(((k, v) for k, v in tags if k.lower() == key.lower() and v.lower() == value.lower()), None)

    def _service(self, snapshot: Snapshot, phrase: str) -> tuple[str, str | None] | None:
        """ "search-prod" -> ("search", "prod"), "checkout" -> ("checkout", None): a service by its tag, with an
        environment, when no resource has that name."""
        resources = snapshot.resources
        services = self._services.get(resources, "", lambda: frozenset(r.tags.get("service", "") for r in resources))
        words = name_words(phrase)
        if not words or words[0] not in services:
            return None
        environment = vocab.ENVIRONMENTS.get(" ".join(words[1:])) if len(words) > 1 else None
        if len(words) > 1 and environment is None:
            return None
        return words[0], environment


def _verdict(report: StatusReport) -> str:
    """'OK. $41.20/h.' only with evidence; else what is wrong, and the cost of the data there is."""
    if report.ok:
        return f"OK. {money(report.hourly_cost)}/h."
    if all(c.fetched_at is None for c in report.clouds):
        return "no data yet."
    n = len(report.problems)
    cost = f"at least {money(report.hourly_cost)}/h" if report.unread else f"{money(report.hourly_cost)}/h"
    return f"{n} problem{'s' if n != 1 else ''}. {cost}."


def places(labels: tuple[str, ...]) -> str:
    """'AWS prod us-east-1', 'AWS prod eu-west-1' -> 'AWS prod us-east-1, eu-west-1': one name per account."""
    accounts: dict[str, list[str]] = {}
    for label in labels:
        head, _, last = label.rpartition(" ")
        if head.count(" ") >= 1:  # "<cloud> <account> <region>"
            accounts.setdefault(head, []).append(last)
        else:  # "Azure shop": no region in the label
            accounts.setdefault(label, [])
    return "; ".join(f"{head} {', '.join(regions)}" if regions else head for head, regions in accounts.items())


def _cause(p: Problem, *, stale: bool) -> str:
    """Why a source has no data, or old data, in a few words."""
    since = clock(p.since) if p.since is not None else None
    if p.cause == "failing":
        reason = p.reason or "refresh failed"
        return f"refresh failing since {since}: {reason}" if stale and since else reason
    if p.cause == "refreshing":
        if stale:
            return f"refresh running since {since} without an answer"
        return f"first refresh running (started {since})"
    attempt = f" since {since}" if since else ""
    return f"no refresh attempted{attempt}; is a worker running?"


def warning_line(p: Problem, now: float) -> str:
    """'WARNING: AWS prod us-east-1: data 12 min old - no refresh attempted since 03:02; is a worker running?'"""
    where = places(p.sources) if p.sources else _label(p.cloud)
    old = f"data {span(now - p.data_at)} old" if p.data_at is not None else f"data {p.detail}"
    return f"WARNING: {where}: {old}" + (f" - {_cause(p, stale=True)}" if p.sources else "")


def problem_line(p: Problem, scope: Scope) -> str:
    """'! AWS web-prod: 2 of 12 instances degraded'; for many loose resources, how to list them all:
    '! AWS 16 instances degraded in prod: find degraded instances in aws prod'; a source without data:
    '! AWS prod us-east-1, eu-west-1: no data yet - first refresh running (started 03:02)'."""
    if p.kind == "no_data":
        return f"! {places(p.sources)}: no data yet - {_cause(p, stale=False)}"
    if p.kind == "provider_error" and p.sources:
        where = places(p.sources).removeprefix(_label(p.cloud)).strip()
        return f"! {_label(p.cloud)} API: {p.detail}" + (f" ({where})" if where else "")
    if p.count > 1 and p.resource_kind and p.environment:
        noun = _NOUNS.get(p.resource_kind, p.resource_kind.replace("_", " "))
        where = " ".join(x for x in (p.cloud.value, p.environment, scope.region, scope.service) if x)
        return f"! {_label(p.cloud)} {p.detail}: find degraded {noun} in {where}"
    return f"! {_label(p.cloud)} {p.subject}: {p.detail}"


def _cloud_line(cloud: CloudStatus, now: float) -> str:
    """'AWS: 1,200 up, 3 stopped, 0 degraded - data 40 s old', or where its data comes from when a source fails:
    'Azure: unreachable since 03:02 - showing data from 02:58'; 'AWS: no data yet' before its first read."""
    label = _label(cloud.cloud)
    counts = f"{cloud.running:,} up, {cloud.stopped:,} stopped, {cloud.degraded:,} degraded"
    if cloud.fetched_at is None:
        return f"{label}: no data yet"
    data = f"showing data from {clock(cloud.fetched_at)}"
    since = f" since {clock(cloud.error_since)}" if cloud.error_since else ""
    if cloud.error and (cloud.sources == 0 or len(cloud.failing) == cloud.sources):
        if cloud.sources == 0:  # the simulated cloud: one source, the error is the whole story
            return f"{label}: unreachable ({cloud.error}) - data from {clock(cloud.fetched_at)}"
        return f"{label}: unreachable{since} - {data} ({counts})"
    fresh = f"data {span(now - cloud.fetched_at)} old"
    notes = []
    if cloud.failing:
        failing = [f for f in cloud.failing if f not in cloud.unread]
        if failing:
            notes.append(f"{places(tuple(failing)).removeprefix(label).strip()} unreachable{since}")
    if cloud.unread:
        notes.append(f"{places(cloud.unread).removeprefix(label).strip()} no data yet")
    return f"{label}: {counts} - {fresh}" + "".join(f"; {n}" for n in notes)


def _label(cloud: Cloud | str | None) -> str:
    return "" if cloud is None else _CLOUD_LABEL.get(str(cloud), "")
