"""The live stream over real HTTP: the whole board first, a section when its topic changes in Redis, the replies
a reconnecting page missed (Last-Event-ID), the caps on open streams, and streams ended when the service stops."""

from __future__ import annotations

import httpx
import pytest
import redis

from bot.web.replies import append
from core import changes
from core.models import ConversationRef, Reply
from tests.web.harness import Dashboard, SseEvent, events, next_event, sign_in

CAROL = 345678901
CAROLS_PAGE = ConversationRef(channel="app", conversation_id=f"telegram:{CAROL}")


def test_a_change_in_redis_arrives_as_its_section(dashboard: Dashboard, redis_conn: redis.Redis) -> None:
    with dashboard.client() as carol:
        token = sign_in(carol, CAROL)
    page = httpx.Client(base_url=dashboard.url, timeout=10)  # EventSource: the token in the query
    with page, page.stream("GET", f"/app/api/events?token={token}") as live:
        assert live.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in live.headers  # never gzipped: it would hold events back
        stream = events(live)
        board = next_event(stream, "board").json()
        assert isinstance(board, dict) and board["user"]["name"] == "carol"
        with redis_conn.pipeline() as together:  # in one transaction: the reader sees all three at once
            changes.publish(together, changes.Topic.ALERTS, "12")
            changes.publish(together, changes.Topic.ALERTS, "13")  # one topic: one section
            changes.publish(together, changes.Topic.ONCALL)
            together.execute()
        got = [next_event(stream, "section")]
        while got[-1].json()["name"] != "oncall":  # type: ignore[index]
            got.append(next_event(stream, "section"))
    names = [event.json()["name"] for event in got]  # type: ignore[index]
    # The first change's section goes out at once; what the hub handed over after it is built once more at the end
    # of the coalescing window: alerts once or twice (never once per change), then oncall.
    assert names in (["alerts", "oncall"], ["alerts", "alerts", "oncall"])
    assert got[-1].id.split("_")[0] == changes.latest(redis_conn)


@pytest.mark.parametrize("how", ["header", "query"])
def test_a_reconnecting_page_gets_the_replies_it_missed(
    dashboard: Dashboard, redis_conn: redis.Redis, how: str
) -> None:
    """The browser's own reconnect sends Last-Event-ID; a page that closed its stream while hidden opens a new
    EventSource, which cannot send headers: it says where it left off in the query."""
    with dashboard.client() as carol:
        sign_in(carol, CAROL)
        with carol.stream("GET", "/app/api/events") as live:
            stream = events(live)
            seen = next_event(stream, "board")
            append(redis_conn, Reply(ref=CAROLS_PAGE, key="r1", text="first"))
            first = next_event(stream, "reply")
        assert first.json()["text"] == "first"  # type: ignore[index]
        append(redis_conn, Reply(ref=CAROLS_PAGE, key="r2", text="while away"))
        append(redis_conn, Reply(ref=CAROLS_PAGE, key="r3", text="still away", edit_of="r2"))
        where = {"headers": {"Last-Event-ID": first.id}} if how == "header" else {"params": {"last_event_id": first.id}}
        with carol.stream("GET", "/app/api/events", **where) as live:  # type: ignore[arg-type]
            stream = events(live)
            next_event(stream, "board")
            missed = [next_event(stream, "reply"), next_event(stream, "reply")]
    assert [(e.json()["text"], e.json()["edit_of"]) for e in missed] == [  # type: ignore[index]
        ("while away", None), ("still away", "r2"),
    ]  # fmt: skip
    assert seen.id != first.id


def test_open_streams_are_capped(dashboard: Dashboard) -> None:
    dashboard.adapter.hub.per_user = 1
    with dashboard.client() as carol, dashboard.client() as second:
        sign_in(carol, CAROL)
        sign_in(second, CAROL)
        with carol.stream("GET", "/app/api/events") as live:
            stream = events(live)  # kept: dropping it closes the connection
            next_event(stream, "board")
            refused = second.get("/app/api/events")
            assert refused.status_code == 503 and "Too many open dashboards for you" in refused.json()["error"]
            dashboard.adapter.hub.per_user, dashboard.adapter.hub.overall = 5, 1
            assert second.get("/app/api/events").json() == {"error": "Too many open dashboards."}


def test_stopping_the_service_ends_open_streams(dashboard: Dashboard) -> None:
    with dashboard.client() as carol:
        sign_in(carol, CAROL)
        with carol.stream("GET", "/app/api/events") as live:
            stream = events(live)
            next_event(stream, "board")
            dashboard.stop()
            rest: list[SseEvent] = list(stream)  # ends: the server closed it
    assert all(event.event != "board" for event in rest)
