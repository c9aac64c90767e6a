"""Metrics in chat: "cpu of web-prod last 6h" answered with one line (the number and its trend), a sparkline,
the members that stand out, where the data came from, and a chart uploaded with it; a group is read member by
member and combined; "top 5 instances by cpu in prod" ranks a scope by its latest values; the Graph button of an
alert card answers for the alert's resource around the time it fired. Reads go through the MetricsReader, which
waits at most `metrics_deadline_seconds` for its sources and says which did not answer."""

from __future__ import annotations

import re
import time
from typing import NamedTuple

from actions.metrics.aggregate import combine, format_value, outliers, summarize
from actions.metrics.model import METRICS, Metric
from actions.provider import Resource, Snapshot
from actions.wording import title as resource_title
from alerts.store import AlertBook
from conversation import metric_text as words
from conversation.memo import InventoryMemo
from conversation.metric_text import Window, compare_shift, metric_for_alert, metric_of, window_of
from conversation.replies import not_found, reply
from conversation.services import Services
from conversation.targets import Picker
from core.models import Chart, ChartMark, ChartSeries, ConversationRef, Intent, Message, Reply, Slots
from intents import vocab

TOP_DEFAULT, TOP_MOST = 5, 20
MOST_READ = 5000  # instances of a scope read for one question; more is one fetch too many for a chat answer
MARKED_ALERTS = 50  # the newest open alerts looked at for marks on a chart
_CLOUD = {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}


class Target(NamedTuple):
    name: str  # as the answer names it: "web-prod", "web-prod i-0abc" (a name not its own alone), "AWS prod"
    resource: Resource | None  # None: a scope ("cpu of prod"), its running instances read as one group
    members: tuple[Resource, ...]  # a group's or scope's instances; the resource itself when it is not a group

    @property
    def reads(self) -> tuple[Resource, ...]:
        """What the reader is handed: a group with its members (it reads the members, or the group itself when
        it has none), a scope's instances, or the one resource."""
        group = self.resource is not None and self.resource.kind == "group"
        return (self.resource, *self.members) if group and self.resource else self.members


class Unfound(NamedTuple):
    phrase: str
    candidates: tuple[str, ...]


class Members:
    """A group's instances, from one inventory (indexed once per inventory, not per question)."""

    def __init__(self) -> None:
        self._memo: InventoryMemo[str, dict[tuple[str, str, str], tuple[Resource, ...]]] = InventoryMemo()

    def of(self, snapshot: Snapshot, group: Resource) -> tuple[Resource, ...]:
        def build() -> dict[tuple[str, str, str], tuple[Resource, ...]]:
            found: dict[tuple[str, str, str], list[Resource]] = {}
            for r in snapshot.resources:
                if r.group is not None and r.kind == "instance":
                    found.setdefault((r.cloud.value, r.region, r.group), []).append(r)
            return {key: tuple(rs) for key, rs in found.items()}

        return self._memo.get(snapshot.resources, "", build).get((group.cloud.value, group.region, group.name), ())


def find_target(services: Services, members: Members, phrase: str) -> Target | Unfound:
    """The resource a phrase names, as the other reads find it (ids, exact names, then the resolver), with the
    instances to read; or what it might have meant."""
    snapshot = services.provider.snapshot()
    index = services.index(snapshot)
    resolution = index.resolve(phrase)
    if resolution.match is None:
        return Unfound(phrase, resolution.candidates)
    found = index.by_name[resolution.match]
    unclear = index.by_name.get(found.name) is not found or found.name in index.shared
    name = resource_title(found, unclear=unclear)
    if found.kind == "group":
        return Target(name, found, members.of(snapshot, found))
    return Target(name, found, (found,))


def did_you_mean(picker: Picker, msg: Message, user: str, intent: Intent, unfound: Unfound) -> Reply:
    """ "Did you mean web-prod or web-edge-prod?" with a button each (the picked one asks again), or "I can't find"."""
    if unfound.candidates:
        return picker.offer(msg.ref, user, intent, list(unfound.candidates))
    return reply(msg.ref, not_found(unfound.phrase, ()))


class MetricFlow:
    def __init__(self, services: Services, picker: Picker) -> None:
        self._s = services
        self._picker = picker
        self.members = Members()

    def handle(self, msg: Message, user: str, intent: Intent) -> list[Reply]:
        slots = intent.slots
        metric = metric_of(slots.metric)
        if not isinstance(metric, Metric):  # (a Metric is a str too)
            return [reply(msg.ref, metric, kind="error")]
        now = self._s.clock()
        window = window_of(slots, now)
        if isinstance(window, str):
            return [reply(msg.ref, window, kind="error")]
        phrase = (slots.target or "").strip()
        scope = _scope_word(phrase)
        if scope is not None:
            slots, phrase = slots.model_copy(update={**scope, "target": None}), ""
        if not phrase:
            if slots.count or slots.kind:
                return [self._top(msg.ref, metric, slots, window)]
            if slots.environment or slots.provider or slots.region:  # "cpu of prod": its instances as one group
                place, pool = self._pool(slots, "instance")
                if not pool:
                    return [reply(msg.ref, f"No running instances in {place}.")]
                scope_target = Target(place, None, tuple(pool[:MOST_READ]))
                return [self.answer(msg.ref, scope_target, metric, window, compare=slots.compare)]
            return [reply(msg.ref, "Of what? For example: cpu of web-prod last 6h, or top 5 instances by cpu")]
        found = find_target(self._s, self.members, phrase)
        if isinstance(found, Unfound):
            return [did_you_mean(self._picker, msg, user, intent, found)]
        return [self.answer(msg.ref, found, metric, window, compare=slots.compare)]

    def graph(self, msg: Message, number: int) -> list[Reply]:
        """The Graph button of alert `number`: its resource, the metric its words suggest, from an hour before it
        fired until now, the moment it fired marked."""
        alert = AlertBook(self._s.connection).get(number)
        if alert is None:
            return [reply(msg.ref, f"No alert {number}.")]
        if not alert.resource:
            return [reply(msg.ref, f"Alert {number} names no resource to graph.")]
        found = find_target(self._s, self.members, alert.resource)
        if isinstance(found, Unfound):
            return [reply(msg.ref, f"Alert {number}: {not_found(alert.resource, found.candidates)}")]
        fired = alert.starts_at or alert.first_seen
        start = fired - 3600
        since = f"since {words.utc_clock(start)} UTC"
        window = Window(start, max(self._s.clock(), fired + 60), since, since)
        return [self.answer(msg.ref, found, metric_for_alert(alert), window, fired=(number, fired))]

    def answer(
        self, ref: ConversationRef, target: Target, metric: Metric, window: Window, *,
        compare: str | None = None, fired: tuple[int, float] | None = None,
    ) -> Reply:  # fmt: skip
        """The answer about one resource or group: the head line, sparkline, stand-outs, source; and its chart."""
        info, now = METRICS[metric], self._s.clock()
        deadline = self._s.settings.metrics_deadline_seconds
        began = time.monotonic()
        reading = self._s.metrics.read(metric, target.reads, window.start, window.end, deadline=deadline)
        group = len(reading.series) > 1
        avg = combine(reading.series, "avg")
        summary = summarize(avg)
        if summary is None:
            text = words.nothing(
                target.name, metric, window, reading.problems, covered=self._covered(target.reads),
                stopped=all(r.state == "stopped" for r in target.reads),
            )  # fmt: skip
            return reply(ref, text)
        lines_of_chart = [ChartSeries(label=f"{target.name} avg" if group else target.name, points=avg)]
        if group:
            lines_of_chart.append(ChartSeries(label=f"{target.name} max", points=combine(reading.series, "max")))
        change = None
        shift = compare_shift(compare)
        if shift is not None:
            seconds, label = shift
            before = self._s.metrics.read(metric, target.reads, window.start - seconds, window.end - seconds,
                                          step=reading.step, deadline=_left(deadline, began))  # fmt: skip
            earlier = combine(before.series, "avg")
            lines_of_chart.append(ChartSeries(label=label, points=tuple((t + seconds, v) for t, v in earlier)))
            change = words.change(avg, earlier, label) or f"no data {label}"
        members = len(reading.series) if group else 0
        lines = [
            words.head(target.name, metric, summary, window, now=now, step=reading.step, members=members,
                       change=change),
            words.spark(avg, info.unit),
        ]  # fmt: skip
        if group:
            lines.append(words.standouts(outliers(reading.series), info.unit) or "")
        lines += words.source(reading.sources, reading.problems, summary.at, now)
        lines.append(words.missing(reading.missing, len(reading.series) + len(reading.missing)) or "")
        marks = self._marks(target, window, fired)
        chart = Chart(
            title=words.title(target.name, metric, window),
            unit=info.unit,
            series=tuple(lines_of_chart),
            threshold=info.threshold,
            marks=marks,
            filename=_filename(target.name, metric),
        )
        return reply(ref, "\n".join(line for line in lines if line)).model_copy(update={"chart": chart})

    def _marks(self, target: Target, window: Window, fired: tuple[int, float] | None) -> tuple[ChartMark, ...]:
        """The alerts of this resource (or its members) that fired in the range: the newest open ones only, which
        the alert book lists in two round trips."""
        marks = {fired[0]: ChartMark(at=fired[1], label=f"alert {fired[0]} fired")} if fired else {}
        names = {m.name for m in target.members} | ({target.resource.name} if target.resource else set())
        for alert in AlertBook(self._s.connection).open_alerts(MARKED_ALERTS)[0]:
            at = alert.starts_at or alert.first_seen
            if alert.resource in names and window.start <= at <= window.end and alert.number not in marks:
                marks[alert.number] = ChartMark(at=at, label=f"alert {alert.number} fired")
        return tuple(sorted(marks.values(), key=lambda m: m.at))

    def _top(self, ref: ConversationRef, metric: Metric, slots: Slots, window: Window) -> Reply:
        """ "top 5 instances by cpu in prod": the scope's running resources of that kind ranked by their latest
        value, a short list (the user asks for the chart of one by its name)."""
        info = METRICS[metric]
        kind = slots.kind or "instance"
        place, pool = self._pool(slots, kind)
        where = f" in {place}" if place != "all clouds" else ""
        noun = kind.replace("_", " ") + "s"
        if not pool:
            return reply(ref, f"No running {noun}{where}.")
        count = min(slots.count or TOP_DEFAULT, TOP_MOST)
        deadline = self._s.settings.metrics_deadline_seconds
        reading = self._s.metrics.latest(metric, pool[:MOST_READ], deadline=deadline)
        by_id = {r.id: r for r in pool[:MOST_READ]}
        ranked = sorted(
            ((s.points[-1][1], s.resource_id) for s in reading.series if s.points), key=lambda item: (-item[0], item[1])
        )
        if not ranked:
            text = words.nothing(f"{noun}{where}", metric, window, reading.problems, covered=True, stopped=False)
            return reply(ref, text)
        of = f"of {len(pool):,}"
        if len(pool) > MOST_READ:
            of = f"the first {MOST_READ:,} {of}: name a smaller place"
        lines = [f"Top {min(count, len(ranked))} {noun} by {info.label}{where} now ({of}):"]
        for place_, (value, rid) in enumerate(ranked[:count], 1):
            r = by_id[rid]
            group = f" ({r.group})" if r.group and r.group != r.name else ""
            lines.append(f"{place_}. {resource_title(r)}{group} {format_value(value, info.unit)}")
        latest_at = max(s.points[-1][0] for s in reading.series if s.points)
        lines += words.source(reading.sources, reading.problems, latest_at, self._s.clock())
        return reply(ref, "\n".join(lines))

    def _covered(self, resources: tuple[Resource, ...]) -> bool:
        return any(source.covers(r) for source in self._s.metrics.sources for r in resources)

    def _pool(self, slots: Slots, kind: str) -> tuple[str, list[Resource]]:
        """The scope the slots name ("AWS prod eu-west-1"; "all clouds") and its running resources of `kind`."""
        pool = [
            r for r in self._s.provider.snapshot().resources
            if r.kind == kind and r.state != "stopped"
            and slots.environment in (None, r.environment) and slots.provider in (None, r.cloud)
            and slots.region in (None, r.region)
        ]  # fmt: skip
        cloud = _CLOUD.get(slots.provider.value) if slots.provider else None
        place = " ".join(x for x in (cloud, slots.environment, slots.region) if x)
        return place or "all clouds", pool


def _left(deadline: float, began: float) -> float:
    """What is left of one question's deadline for its second read (a comparison), and never nothing."""
    return max(deadline - (time.monotonic() - began), 0.5)


def _scope_word(phrase: str) -> dict[str, object] | None:
    """ "cpu of prod", "cpu of azure": a phrase that is an environment or a cloud, not a resource."""
    word = phrase.lower()
    if word in vocab.PROVIDERS:
        return {"provider": vocab.PROVIDERS[word]}
    if word in vocab.ENVIRONMENTS:
        return {"environment": vocab.ENVIRONMENTS[word]}
    return None


def _filename(name: str, metric: Metric) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{name}-{metric.value}")[:60] + ".png"
