"""Status in chat: for the scope asked ("status eu-west-1", "status of web-prod", "what's wrong with
search-prod"), named in the first line, with every problem, a phone-sized page at a time."""

from __future__ import annotations

import time
from typing import NamedTuple

from actions import queries
from actions.provider import Snapshot
from actions.queries import CloudStatus, Problem, Scope, StatusReport
from conversation.memo import InventoryMemo
from conversation.replies import age, clock, echo, money, not_found
from conversation.services import Services
from core.models import Cloud, Slots
from intents import vocab
from intents.resolve import name_words

PAGE_LINES = 8  # a phone screen: the first page also carries the verdict and a line per cloud
STALE_AFTER_PERIODS = 1.5  # of the refresh period: older data makes status ask for fresher
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
        self._reports: InventoryMemo[tuple[Scope, str | None], StatusReport] = InventoryMemo()
        self._services: InventoryMemo[str, frozenset[str]] = InventoryMemo()

    def page(self, slots: Slots, offset: int) -> StatusPage:
        """The page at `offset` of the problems (0: the verdict, the first problems and each cloud's line)."""
        if offset == 0:
            self._freshen()
        snapshot = self._s.provider.snapshot()
        scoped = self._scoped(snapshot, slots)
        if isinstance(scoped, str):
            return StatusPage(scoped, None)
        report = self._report(snapshot, scoped.scope)
        if not report.clouds:
            return StatusPage(f"{scoped.label}: nothing found.", None)
        problems = report.problems
        if offset == 0:
            verdict = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}" if problems else "OK"
            shown = max(2, PAGE_LINES - 1 - len(report.clouds))
            lines = [f"{scoped.label}: {verdict}. {money(report.hourly_cost)}/h."]
            lines += [_problem_line(p, scoped.scope) for p in problems[:shown]]
            lines += [_cloud_line(c) for c in report.clouds]
        else:
            shown = offset + PAGE_LINES - 1
            if offset >= len(problems):
                return StatusPage(f"{scoped.label}: that was the last of {len(problems)} problems.", None)
            end = min(shown, len(problems))
            numbers = f"{offset + 1}-{end}" if end > offset + 1 else f"{end}"
            lines = [f"{scoped.label}: problems {numbers} of {len(problems)}:"]
            lines += [_problem_line(p, scoped.scope) for p in problems[offset:end]]
        return StatusPage("\n".join(lines), shown if shown < len(problems) else None)

    def _freshen(self) -> None:
        # The one read that may wait, briefly: when the workers' schedule has fallen behind (or just started),
        # for fresher data, never past the deadline. On schedule, the cache answers at once with its age shown.
        settings = self._s.settings
        max_age = settings.inventory_refresh_seconds * STALE_AFTER_PERIODS
        self._s.provider.freshen(max_age, settings.status_deadline_seconds)

    def _report(self, snapshot: Snapshot, scope: Scope) -> StatusReport:
        """Status over 10,000 resources takes milliseconds: computed once per inventory version and scope."""
        return self._reports.get(
            snapshot.resources, (scope, snapshot.error), lambda: queries.status(snapshot, scope=scope)
        )

    def _scoped(self, snapshot: Snapshot, slots: Slots) -> Scoped | str:
        """The scope the slots name, or why there is none ("I can't find 'web-prd'...")."""
        scope = Scope(cloud=slots.provider, region=slots.region, environment=slots.environment)
        place = " ".join(x for x in (_label(slots.provider), slots.environment, slots.region) if x)
        phrase = (slots.target or "").strip()
        if not phrase:
            return Scoped(scope, place or "All clouds")
        index = self._s.index(snapshot)
        resolution = index.resolve(phrase)
        if resolution.match is not None:
            return Scoped(scope.model_copy(update={"names": frozenset({resolution.match})}), resolution.match)
        service = self._service(snapshot, phrase)
        if service is not None:
            name, environment = service
            if environment is not None and slots.environment not in (None, environment):
                return f"{echo(phrase)} is not in {slots.environment}."
            environment = environment or slots.environment
            where = " ".join(x for x in (_label(slots.provider), slots.region) if x)
            label = f"{name} service" + (f" in {environment}" if environment else "") + (f", {where}" if where else "")
            return Scoped(scope.model_copy(update={"service": name, "environment": environment}), label)
        return not_found(phrase, resolution.candidates)

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


def _problem_line(p: Problem, scope: Scope) -> str:
    """'! AWS web-prod: 2 of 12 instances degraded'; for many loose resources, how to list them all:
    '! AWS 16 instances degraded in prod: find degraded instances in aws prod'."""
    if p.count > 1 and p.resource_kind and p.environment:
        noun = _NOUNS.get(p.resource_kind, p.resource_kind.replace("_", " "))
        where = " ".join(x for x in (p.cloud.value, p.environment, scope.region, scope.service) if x)
        return f"! {_label(p.cloud)} {p.detail}: find degraded {noun} in {where}"
    return f"! {_label(p.cloud)} {p.subject}: {p.detail}"


def _cloud_line(cloud: CloudStatus) -> str:
    """'AWS: 1,200 up, 3 stopped, 0 degraded - data 40 s old', or where its data comes from when a source fails:
    'Azure: unreachable since 03:02 - showing data from 02:58'."""
    label = _label(cloud.cloud)
    counts = f"{cloud.running:,} up, {cloud.stopped:,} stopped, {cloud.degraded:,} degraded"
    data = f"showing data from {clock(cloud.fetched_at)}" if cloud.fetched_at else "no data yet"
    since = f" since {clock(cloud.error_since)}" if cloud.error_since else ""
    if cloud.error and (cloud.sources == 0 or len(cloud.failing) == cloud.sources):
        if cloud.sources == 0:  # the simulated cloud: one source, the error is the whole story
            return f"{label}: unreachable ({cloud.error}) - data from {clock(cloud.fetched_at)}"
        return f"{label}: unreachable{since} - {data}" + (f" ({counts})" if cloud.fetched_at else "")
    fresh = f"data {age(time.time() - cloud.fetched_at)} old"
    if cloud.failing:
        places = ", ".join(f.removeprefix(label).strip() for f in cloud.failing[:2])
        return f"{label}: {counts} - {fresh}; {places} unreachable{since}"
    return f"{label}: {counts} - {fresh}"


def _label(cloud: Cloud | str | None) -> str:
    return "" if cloud is None else _CLOUD_LABEL.get(str(cloud), "")
