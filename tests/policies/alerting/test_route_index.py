"""The indexed route lookup picks exactly the route a plain walk down the file picks (first match wins), for any
routes and any alert, including routes that name no key, several values, or keys the alert lacks."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.model import Incoming, Severity
from core.models import Cloud
from policies.alerting.model import AlertingPolicy, Match, Route
from policies.alerting.route_index import RouteIndex
from policies.alerting.routing import route

NAMES = ("a", "b", "c")  # few values, so routes and alerts often meet
KEYS = ("team", "service", "tier")
SOURCES = ("generic", "alertmanager", "sns")


def _some(values: tuple[str, ...]) -> st.SearchStrategy[list[str] | None]:
    return st.none() | st.lists(st.sampled_from(values), min_size=1, max_size=3)


matches = st.builds(
    lambda severity, environment, source, provider, resource, labels: Match.model_validate(
        {
            key: value
            for key, value in {
                "severity": severity,
                "environment": environment,
                "source": source,
                "provider": provider,
                "resource": resource,
                "labels": labels,
            }.items()
            if value is not None
        }
    ),
    _some(tuple(s.value for s in Severity)),
    _some(NAMES),
    _some(SOURCES),
    _some(tuple(c.value for c in Cloud)),
    _some(NAMES),
    st.dictionaries(st.sampled_from(KEYS), st.lists(st.sampled_from(NAMES), min_size=1, max_size=2), max_size=2),
)
route_lists = st.lists(matches, min_size=1, max_size=12).map(
    lambda found: tuple(Route(name=f"r{i}", match=m) for i, m in enumerate(found))
)
alerts = st.builds(
    lambda severity, environment, source, provider, resource, labels: Incoming(
        source=source,
        fingerprint="fp",
        summary="disk full",
        severity=severity,
        environment=environment,
        provider=provider,
        resource=resource,
        labels=labels,
    ),
    st.sampled_from(list(Severity)),
    st.none() | st.sampled_from(NAMES),
    st.sampled_from(SOURCES),
    st.none() | st.sampled_from(list(Cloud)),
    st.none() | st.sampled_from(NAMES),
    st.dictionaries(st.sampled_from(KEYS), st.sampled_from(NAMES), max_size=3),
)


def _plain(routes: tuple[Route, ...], incoming: Incoming, severity: Severity) -> Route | None:
    return next((r for r in routes if r.match.matches(incoming, severity)), None)


@settings(max_examples=400, deadline=None)
@given(route_lists, st.lists(alerts, min_size=1, max_size=8))
def test_index_picks_what_the_file_order_picks(routes: tuple[Route, ...], incoming: list[Incoming]) -> None:
    index = RouteIndex.of(routes)
    for item in incoming:
        assert index.first(item, item.severity) == _plain(routes, item, item.severity)


@settings(max_examples=200, deadline=None)
@given(route_lists, alerts)
def test_route_decides_as_the_plain_walk(routes: tuple[Route, ...], incoming: Incoming) -> None:
    decision = route(AlertingPolicy(routes=routes), incoming, datetime(2026, 11, 10, 12, tzinfo=UTC))
    chosen = _plain(routes, incoming, incoming.severity)
    assert decision.route == (chosen.name if chosen is not None else "")


def test_many_team_routes_and_a_catch_all() -> None:
    """The shape of a big file: one route per team, then a catch-all; a team's alert gets its team's route, an
    alert of no known team the catch-all, and an earlier route without a team still wins over a later team's."""
    teams = tuple(Route(name=f"team-{t}", match=Match(labels={"team": (f"t{t}",)})) for t in range(500))
    prod = Route(name="prod", match=Match(environment=("prod",)))
    rest = Route(name="rest")
    index = RouteIndex.of((*teams[:100], prod, *teams[100:], rest))

    def alert(**fields: object) -> Incoming:
        return Incoming.model_validate({"source": "generic", "fingerprint": "f", "summary": "s", **fields})

    assert index.first(alert(labels={"team": "t420"}), Severity.CRITICAL) == teams[420]
    assert index.first(alert(labels={"team": "t42"}, environment="prod"), Severity.CRITICAL) == teams[42]
    assert index.first(alert(labels={"team": "t420"}, environment="prod"), Severity.CRITICAL) == prod
    assert index.first(alert(labels={"team": "nobody"}), Severity.CRITICAL) == rest
