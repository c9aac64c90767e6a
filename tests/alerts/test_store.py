"""The alert store on the real test Redis: numbers, dedupe of repeats, state changes that happen once."""

from __future__ import annotations

import threading
import time

import redis

from alerts.model import Alert, AlertState, Incoming, Severity
from alerts.store import AlertBook
from core.models import ConversationRef


def incoming(fingerprint: str = "fp1", status: str = "firing", source: str = "generic") -> Incoming:
    return Incoming(source=source, fingerprint=fingerprint, status=status, severity=Severity.CRITICAL,
                    summary="5xx above 5%", resource="web-prod", environment="prod")  # fmt: skip


def prepared(item: Incoming) -> Alert:
    return Alert(number=1, first_seen=0.0, last_seen=0.0, channels=("slack:C0INCIDENT",),
                 **item.model_dump(exclude={"status"}))  # fmt: skip


def test_new_alerts_get_consecutive_numbers_and_repeats_are_counted(redis_conn: redis.Redis) -> None:
    book = AlertBook(redis_conn)
    first = book.ingest(incoming("a"), prepared)
    second = book.ingest(incoming("b"), prepared)
    assert book.ingest(incoming("a"), prepared).kind == "unopened"  # its card is not out yet: the repeat may do it
    assert book.claim_opening(first.number) and not book.claim_opening(first.number)
    book.opened(first.number)
    book.refreshed(first.number, 60)  # its cards were just posted
    again = book.ingest(incoming("a"), prepared)
    assert (first.kind, second.kind, again.kind) == ("new", "new", "repeat")
    assert second.number == first.number + 1
    assert again.number == first.number
    stored = book.get(first.number)
    assert stored is not None
    assert stored.repeats == 2 and stored.summary == "5xx above 5%" and stored.channels == ("slack:C0INCIDENT",)
    alerts, total = book.open_alerts()
    assert total == 2 and [a.number for a in alerts] == [second.number, first.number]


def test_same_fingerprint_from_another_source_is_another_alert(redis_conn: redis.Redis) -> None:
    book = AlertBook(redis_conn)
    a = book.ingest(incoming("x", source="alertmanager"), prepared)
    b = book.ingest(incoming("x", source="gcp"), prepared)
    assert a.kind == b.kind == "new" and a.number != b.number


def test_resolution_closes_and_a_later_firing_is_a_new_alert(redis_conn: redis.Redis) -> None:
    book = AlertBook(redis_conn)
    opened = book.ingest(incoming(), prepared)
    assert book.ingest(incoming(status="resolved"), prepared).kind == "resolve"
    closed = book.resolve(opened.number, "alertmanager", "alertmanager")
    assert closed.changed and closed.alert is not None and closed.alert.state is AlertState.RESOLVED
    assert book.open_alerts()[1] == 0
    assert book.ingest(incoming(status="resolved"), prepared).kind == "unknown"  # nothing open to resolve
    refired = book.ingest(incoming(), prepared)
    assert refired.kind == "new" and refired.number != opened.number


def test_two_acknowledgements_at_once_change_the_alert_once(redis_conn: redis.Redis) -> None:
    book = AlertBook(redis_conn)
    number = book.ingest(incoming(), prepared).number
    results: list[bool] = []
    people = ["alice", "bob", "carol", "dave"] * 5

    def ack(person: str) -> None:
        results.append(AlertBook(redis_conn).acknowledge(number, person, "Slack").changed)

    threads = [threading.Thread(target=ack, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    alert = book.get(number)
    assert alert is not None and alert.state is AlertState.ACKED and alert.acked_via == "Slack"


def test_repeats_keep_the_acknowledgement(redis_conn: redis.Redis) -> None:
    book = AlertBook(redis_conn)
    number = book.ingest(incoming(), prepared).number
    book.opened(number)
    book.acknowledge(number, "alice", "SMS")
    for _ in range(5):
        book.ingest(incoming(), prepared)
    alert = book.get(number)
    assert alert is not None and alert.state is AlertState.ACKED and alert.acked_by == "alice" and alert.repeats == 5


def test_silence_covers_the_fingerprint_and_ends(redis_conn: redis.Redis) -> None:
    now = [1000.0]
    book = AlertBook(redis_conn, clock=lambda: now[0])
    number = book.ingest(incoming(), prepared).number
    change = book.silence(number, "bob", 3600)
    assert change.changed and change.alert is not None and change.alert.silenced_until == 4600.0
    assert book.silence_of(incoming().key) == (4600.0, "bob")
    assert book.silence_of(incoming("other").key) is None


def test_posts_and_paged_people_are_remembered(redis_conn: redis.Redis) -> None:
    book = AlertBook(redis_conn)
    number = book.ingest(incoming(), prepared).number
    ref = ConversationRef(channel="slack", conversation_id="C0INCIDENT")
    book.add_posts(number, [(ref, "alert-1.0-abc")])
    book.add_paged(number, "alice")
    assert book.posts(number) == [(ref, "alert-1.0-abc")]
    assert book.was_paged(number, "alice") and not book.was_paged(number, "bob")
    assert book.get(999) is None
    assert book.acknowledge(999, "alice", "SMS").alert is None


def test_a_repeat_refreshes_the_cards_at_most_once_a_period(redis_conn: redis.Redis) -> None:
    book = AlertBook(redis_conn)
    number = book.ingest(incoming(), prepared).number
    book.opened(number)
    kinds = [book.ingest(incoming(), prepared, refresh_seconds=0.15).kind for _ in range(5)]
    assert kinds == ["refresh", "repeat", "repeat", "repeat", "repeat"]
    time.sleep(0.2)  # the period is over
    assert book.ingest(incoming(), prepared, refresh_seconds=0.15).kind == "refresh"


def test_a_repeat_routes_nothing(redis_conn: redis.Redis) -> None:
    book = AlertBook(redis_conn)
    routed: list[str] = []

    def counting(item: Incoming) -> Alert:
        routed.append(item.fingerprint)
        return prepared(item)

    number = book.ingest(incoming(), counting).number
    book.opened(number)
    for _ in range(10):
        book.ingest(incoming(), counting)
    assert routed == ["fp1"]  # only the new alert was prepared
