"""Finding the first matching route among hundreds without trying each one. Most routes of a big file say one
exact thing an alert must carry (`team: t42`, `environment: [prod]`): each such route is filed under one of its
keys and values, so an alert is checked only against the routes filed under its own values and the few that
name no key. The candidates are tried in file order, so the route that wins is the one a plain walk down the
file would pick (docs/escalation.md: first match wins)."""

from __future__ import annotations

from dataclasses import dataclass

from alerts.model import Incoming, Severity
from policies.alerting.model import Match, Route

# Where a route can be filed: a label's key, or one of these fields of the alert (most selective first).
_FIELDS = ("resource", "source", "environment", "provider")
_LABEL, _FIELD = "label", "field"
_CACHED = 16  # indexes of this many route lists are kept (a reload makes a new one)

Key = tuple[str, str]  # (_LABEL, label key) or (_FIELD, field name)


@dataclass(frozen=True)
class RouteIndex:
    routes: tuple[Route, ...]
    always: tuple[int, ...]  # positions of the routes that name no exact key: tried for every alert
    filed: dict[Key, dict[object, tuple[int, ...]]]  # key -> its value in an alert -> positions that want it

    @classmethod
    def of(cls, routes: tuple[Route, ...]) -> RouteIndex:
        always: list[int] = []
        filed: dict[Key, dict[object, list[int]]] = {}
        for position, chosen in enumerate(routes):
            key_values = _filing(chosen.match)
            if key_values is None:
                always.append(position)
                continue
            key, values = key_values
            by_value = filed.setdefault(key, {})
            for value in set(values):
                by_value.setdefault(value, []).append(position)
        return cls(
            routes=routes,
            always=tuple(always),
            filed={key: {v: tuple(p) for v, p in by_value.items()} for key, by_value in filed.items()},
        )

    def first(self, incoming: Incoming, severity: Severity) -> Route | None:
        """The first route in file order that matches `incoming` at the effective `severity`."""
        candidates = list(self.always)
        for (kind, name), by_value in self.filed.items():
            value = incoming.labels.get(name) if kind == _LABEL else getattr(incoming, name)
            found = by_value.get(value)
            if found:
                candidates.extend(found)
        if len(candidates) > len(self.always):
            candidates.sort()
        return next((self.routes[p] for p in candidates if self.routes[p].match.matches(incoming, severity)), None)


def index_of(routes: tuple[Route, ...]) -> RouteIndex:
    """The index of `routes`, built once per route list (a loaded file's routes are one tuple for its life)."""
    found = _INDEXES.get(id(routes))
    if found is not None and found.routes is routes:
        return found
    made = RouteIndex.of(routes)
    if len(_INDEXES) >= _CACHED:
        _INDEXES.clear()
    _INDEXES[id(routes)] = made
    return made


_INDEXES: dict[int, RouteIndex] = {}


def _filing(match: Match) -> tuple[Key, tuple[object, ...]] | None:
    """Where a route is filed: one key it requires an exact value of, and the values it accepts there."""
    for key, values in match.labels.items():
        return (_LABEL, key), values
    for name in _FIELDS:
        allowed: tuple[object, ...] | None = getattr(match, name)
        if allowed is not None:
            return (_FIELD, name), allowed
    return None
