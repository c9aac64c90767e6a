"""The incident book on the real test Redis: numbers, the timeline others add to, resolving once, the open one of a
service."""

from __future__ import annotations

import redis

from alerts.incidents import IncidentBook
from tests.clock import ManualClock


def test_incidents_get_consecutive_numbers_and_a_timeline_in_order(redis_conn: redis.Redis) -> None:
    clock = ManualClock(1_000.0)
    book = IncidentBook(redis_conn, clock=clock)
    first = book.declare("sev1", "web-prod down", "web-prod", "alice", ["console:shell"])
    second = book.declare("sev3", "checkout slow", None, "bob", [])
    assert second.number == first.number + 1
    clock.advance(60)
    assert book.update(first.number, "db replica lagging", "bob") is not None
    assert book.note(first.number, 1_030.0, "failover 4 started", "alice") is not None  # earlier than the update
    assert [(e.kind, e.what, e.by) for e in book.timeline(first.number)] == [
        ("declared", "declared sev1: web-prod down", "alice"),
        ("note", "failover 4 started", "alice"),
        ("update", "db replica lagging", "bob"),
    ]
    assert book.update(99, "nothing", "bob") is None and book.note(99, 0.0, "x", "y") is None


def test_resolve_happens_once_and_leaves_the_open_ones(redis_conn: redis.Redis) -> None:
    clock = ManualClock(1_000.0)
    book = IncidentBook(redis_conn, clock=clock)
    incident = book.declare("sev1", "web-prod down", "web-prod", "alice", [])
    clock.advance(600)
    closed = book.resolve(incident.number, "traffic back", "bob")
    again = book.resolve(incident.number, "me too", "carol")
    assert closed is not None and again is not None
    assert (closed.resolved_by, closed.resolved_at, closed.summary) == ("bob", 1_600.0, "traffic back")
    assert (again.resolved_by, again.summary) == ("bob", "traffic back")  # carol's came second: nothing changed
    assert book.open() == [] and book.for_service("web-prod") is None
    assert [e.kind for e in book.timeline(incident.number)] == ["declared", "resolved"]
    assert book.resolve(42, "x", "bob") is None


def test_the_open_incident_of_a_service_is_found_by_its_service_or_group_name(redis_conn: redis.Redis) -> None:
    book = IncidentBook(redis_conn)
    web = book.declare("sev1", "web-prod down", "web-prod", "alice", [])
    book.declare("sev2", "api slow", "api-prod", "alice", [])
    found = book.for_service("web")  # how a runbook names its service
    assert found is not None and found.number == web.number
    assert book.for_service("web-prod") == found
    assert book.for_service("db-prod") is None
    room = book.opened_room(web.number, "slack:C0ROOM", "inc-1-web-prod-down")
    assert room is not None and room.channels[0] == "slack:C0ROOM" and room.room_name == "inc-1-web-prod-down"
