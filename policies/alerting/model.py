"""The alerting file's schema: routes, maintenance windows, event days, deploy freezes, escalation policies and
on-call schedules. Every model forbids unknown keys, so a typo is an error rather than a rule that silently does
nothing. Names that refer to other parts of the file are checked in `policies.alerting.references`."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from alerts.model import Incoming, Severity
from core.models import Cloud, Frozen
from policies.alerting.fields import (
    AnyOf,
    Conversation,
    Duration,
    Interval,
    TimeOfDay,
    TimeZone,
    Weekday,
    as_utc,
    is_zone,
    non_empty,
    one_of,
    zone,
)
from policies.alerting.schedule import Schedule

UNTIL_ACKED = "until_acked"
TARGETS = ("oncall", "next", "manager")  # besides a user name or "schedule:<name>"
SCHEDULE_PREFIX = "schedule:"


class Notify(StrEnum):
    CHANNEL = "channel"  # the route's channels, with Ack / Resolve / Silence buttons
    DM = "dm"  # a direct message in chat
    SMS = "sms"
    CALL = "call"


MAX_TIMES = 1000


def _times(value: object) -> object:
    if value == UNTIL_ACKED or (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_TIMES):
        return value
    raise ValueError(f"times is a number from 1 to {MAX_TIMES}, or {UNTIL_ACKED}")


def _labels(value: object) -> object:
    if isinstance(value, dict):
        return {key: [v] if isinstance(v, str) else v for key, v in value.items()}
    return value


SeverityName = Annotated[Severity, BeforeValidator(one_of("severity", [s.value for s in Severity]))]
CloudName = Annotated[Cloud, BeforeValidator(one_of("provider", [c.value for c in Cloud]))]
AnyOfNames = Annotated[tuple[str, ...], AnyOf, non_empty("an empty list matches nothing")]


class Match(Frozen):
    """Which alerts a route or window is for. Every key given must match; a list matches any of its items;
    no keys match everything."""

    severity: Annotated[tuple[SeverityName, ...], AnyOf, non_empty("an empty list matches nothing")] | None = None
    environment: AnyOfNames | None = None
    source: AnyOfNames | None = None
    provider: Annotated[tuple[CloudName, ...], AnyOf, non_empty("an empty list matches nothing")] | None = None
    resource: AnyOfNames | None = None
    labels: Annotated[dict[str, tuple[str, ...]], BeforeValidator(_labels)] = Field(default_factory=dict)

    def matches(self, incoming: Incoming, severity: Severity) -> bool:
        """Whether `incoming` matches, taking `severity` (the effective one) for its severity."""
        wanted: tuple[tuple[tuple[object, ...] | None, object], ...] = (
            (self.severity, severity),
            (self.environment, incoming.environment),
            (self.source, incoming.source),
            (self.provider, incoming.provider),
            (self.resource, incoming.resource),
        )
        if any(allowed is not None and value not in allowed for allowed, value in wanted):
            return False
        return all(incoming.labels.get(key) in values for key, values in self.labels.items())


class Route(Frozen):
    name: str = Field(min_length=1)
    match: Match = Match()
    channels: tuple[Conversation, ...] = ()  # empty: the incident channels of the settings
    escalation: str | None = None  # None: notify the channels only, never page


class Weekly(Frozen):
    days: Annotated[tuple[Weekday, ...], AnyOf, non_empty("days")]
    from_: TimeOfDay = Field(alias="from")
    to: TimeOfDay  # at or before `from`: the window ends the next day

    @model_validator(mode="after")
    def _not_empty(self) -> Weekly:
        if self.from_ == self.to:
            raise ValueError("a weekly window needs from and to at different times")
        return self


class Window(Frozen):
    """A stretch of time the alerting file names: once (`start` and `end`) or every week (`weekly`)."""

    _kind: ClassVar[str] = "window"  # how its own errors name it

    name: str = Field(min_length=1)
    timezone: TimeZone = "UTC"  # in the file: the top-level `timezone` unless given
    start: datetime | None = None  # without an offset: in `timezone`
    end: datetime | None = None
    weekly: Weekly | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Window:
        once = self.start is not None or self.end is not None
        if once == (self.weekly is not None):
            raise ValueError(f"a {self._kind} has start and end, or weekly (not both)")
        if once and (self.start is None or self.end is None):
            raise ValueError(f"a {self._kind} needs both start and end")
        tz = zone(self.timezone)
        if self.start is not None and self.end is not None and as_utc(self.end, tz) <= as_utc(self.start, tz):
            raise ValueError(f"a {self._kind}'s end must be after its start")
        return self


class Maintenance(Window):
    """Alerts matching this, while it is on, are stored and shown but do not page."""

    _kind: ClassVar[str] = "maintenance window"

    match: Match = Match()


SafeName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class DeployFreeze(Window):
    """While it is on, deploys of `services` (absent: every service) to `environments` are refused; an admin may
    still deploy, giving a reason (decided in the conversation, recorded in the audit)."""

    _kind: ClassVar[str] = "deploy freeze"

    environments: Annotated[tuple[SafeName, ...], AnyOf, non_empty("environments")] = ("prod",)
    services: Annotated[tuple[SafeName, ...], AnyOf, non_empty("services")] | None = None

    def covers(self, *, service: str, environment: str) -> bool:
        return environment in self.environments and (self.services is None or service in self.services)


class Step(Frozen):
    """One page of an escalation: `after` the previous step, `notify` `to` someone, maybe `every` so often."""

    after: Duration = 0.0
    notify: Annotated[Notify, BeforeValidator(one_of("notify", [n.value for n in Notify]))]
    to: str | None = None  # oncall (default) | next | manager | <user> | schedule:<name>
    every: Interval | None = None
    times: Annotated[int | Literal["until_acked"], BeforeValidator(_times)] = 1

    @field_validator("to")
    @classmethod
    def _target(cls, to: str | None) -> str | None:
        if to is not None and (not to.strip() or to == SCHEDULE_PREFIX):
            raise ValueError("to is oncall, next, manager, a user name or schedule:<name>")
        return to

    @model_validator(mode="after")
    def _consistent(self) -> Step:
        if self.notify is Notify.CHANNEL and self.to is not None:
            raise ValueError("a channel step posts to the route's channels: remove 'to'")
        if self.every is None and self.repeats:
            raise ValueError("times needs every: how long between the pages")
        if self.every is not None and not self.repeats:
            raise ValueError(f"every needs times: a number above 1, or {UNTIL_ACKED}")
        return self

    @property
    def target(self) -> str | None:
        """Who this step pages (None for a channel step)."""
        return None if self.notify is Notify.CHANNEL else (self.to or "oncall")

    @property
    def until_acked(self) -> bool:
        return self.times == UNTIL_ACKED

    @property
    def repeats(self) -> bool:
        return self.until_acked or (isinstance(self.times, int) and self.times > 1)


class Escalation(Frozen):
    steps: tuple[Step, ...]
    repeat: int = Field(default=0, ge=0, le=100)  # run the whole list this many more times after the last step

    @model_validator(mode="after")
    def _runs(self) -> Escalation:
        if not self.steps:
            raise ValueError("an escalation needs at least one step")
        if self.repeat and self.steps[-1].until_acked:
            raise ValueError(f"repeat never happens: the last step repeats {UNTIL_ACKED}")
        return self


SOURCES = ("alertmanager", "azure", "gcp", "generic", "sns")  # the intake's /alerts/{source} names


class SourceFields(Frozen):
    """How one source's labels read: `resource_labels` in order of precedence, the first one set names the
    resource (`instance` counts as its host, without the port). Unset: the source's own order."""

    resource_labels: Annotated[tuple[Annotated[str, Field(min_length=1)], ...], non_empty("resource_labels")]


SourceName = Annotated[str, BeforeValidator(one_of("source", SOURCES))]


class AlertingPolicy(Frozen):
    event_mode: bool = False  # true: warnings page like criticals
    event_days: tuple[date, ...] = ()  # whole days in `timezone` that are event days
    timezone: TimeZone = "UTC"
    routes: Annotated[tuple[Route, ...], non_empty("routes")]  # first match wins
    maintenance: tuple[Maintenance, ...] = ()
    deploy_freezes: tuple[DeployFreeze, ...] = ()  # when deploys are refused (an admin may override)
    freeze_event_days: bool = False  # true: deploys to prod are refused on `event_days` too
    escalations: dict[str, Escalation] = Field(default_factory=dict)
    schedules: dict[str, Schedule] = Field(default_factory=dict)  # the first is the default
    sources: dict[SourceName, SourceFields] = Field(default_factory=dict)  # label precedence per source

    @model_validator(mode="before")
    @classmethod
    def _local_time_zone(cls, data: object) -> object:
        """Schedules, maintenance windows and deploy freezes without a `timezone` use the file's."""
        tz = data.get("timezone", "UTC") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(tz, str) or not is_zone(tz):
            return data  # an unknown zone is reported once, at the top
        data = dict(data)
        if isinstance(data.get("schedules"), dict):
            data["schedules"] = {k: _with_zone(v, tz) for k, v in data["schedules"].items()}
        for windows in ("maintenance", "deploy_freezes"):
            if isinstance(data.get(windows), list):
                data[windows] = [_with_zone(v, tz) for v in data[windows]]
        return data

    @property
    def default_schedule(self) -> str | None:
        return next(iter(self.schedules), None)


def _with_zone(item: object, tz: str) -> object:
    return {"timezone": tz, **item} if isinstance(item, dict) else item
