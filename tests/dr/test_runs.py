"""RunBook on real Redis: numbered runs, one run of a service at a time (a drill too) with the line a user reads,
optimistic updates from writers racing, the history and the last drill that "dr status" reads."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import redis

from actions.dr.model import RunbookRequest, RunbookRun, RunKind
from actions.dr.runs import RunBook, RunBusy
from core.models import ConversationRef
from tests.clock import ManualClock

REF = ConversationRef(channel="console", conversation_id="ops-room")


def request(kind: RunKind = "run", service: str = "web", by: str = "alice") -> RunbookRequest:
    return RunbookRequest(runbook="web-failover", runbook_hash="h" * 64, kind=kind, service=service,
                          primary="web-prod", standby="web-dr", primary_size=12, standby_size=0,
                          requested_by=by)  # fmt: skip


@pytest.fixture
def book(redis_conn: redis.Redis) -> RunBook:
    return RunBook(redis_conn, ManualClock(1_000_000.0))


def finish(book: RunBook, run: RunbookRun, state: str = "succeeded") -> RunbookRun:
    done = book.update(run.id, lambda r: r.model_copy(update={"state": state, "finished_at": 1_000_100.0}))
    assert done is not None
    return done


def test_runs_are_numbered_and_kept_with_their_steps(book: RunBook) -> None:
    first = book.create(request(), REF, "checklist-1", "bob", (REF,), steps=9)
    assert first.id >= 1 and len(first.steps) == 9 and first.approved_by == "bob"
    assert book.get(first.id) == first
    assert [r.id for r in book.running()] == [first.id]
    finish(book, first)
    second = book.create(request(), REF, "checklist-2", "bob", steps=9)
    assert second.id == first.id + 1
    assert book.running() == [second]
    assert [r.id for r in book.history("web")] == [second.id, first.id]
    assert book.get(999_999) is None


def test_a_second_run_of_a_service_is_refused_with_who_runs_it(book: RunBook) -> None:
    run = book.create(request(), REF, "checklist-1", "bob", steps=9)
    book.update(run.id, lambda r: r.model_copy(update={"step": 2}))
    with pytest.raises(RunBusy) as refused:
        book.create(request(kind="drill", by="dave"), REF, "checklist-2", "bob", steps=9)
    assert str(refused.value) == (
        f"a failover of web is running (failover {run.id} by alice, step 3 of 9): wait for it or abort it"
    )
    assert book.busy("api") is None
    book.create(request(service="api"), REF, "checklist-3", "bob", steps=9)  # another service is free
    finish(book, run, "aborted")
    assert book.busy("web") is None
    book.create(request(), REF, "checklist-4", "bob", steps=9)


def test_two_runs_asked_at_once_only_one_starts(redis_conn: redis.Redis) -> None:
    books = [RunBook(redis_conn) for _ in range(8)]
    started: list[int] = []
    refused: list[str] = []
    gate = threading.Barrier(len(books))

    def ask(book: RunBook) -> None:
        gate.wait()
        try:
            started.append(book.create(request(), REF, "k", "bob", steps=3).id)
        except RunBusy as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=ask, args=(b,)) for b in books]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(started) == 1 and len(refused) == 7


def test_racing_updates_all_land(book: RunBook, redis_conn: redis.Redis) -> None:
    run = book.create(request(), REF, "checklist-1", "bob", steps=3)
    others = [RunBook(redis_conn) for _ in range(5)]

    def mark(b: RunBook, name: str) -> None:
        for i in range(10):
            b.update(run.id, _adding(f"{name}{i}"))

    threads = [threading.Thread(target=mark, args=(b, f"w{n}-")) for n, b in enumerate(others)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = book.get(run.id)
    assert stored is not None and len(stored.milestones) == 50
    assert book.update(run.id, lambda r: None) == stored


def _adding(milestone: str) -> Callable[[RunbookRun], RunbookRun]:
    return lambda r: r.model_copy(update={"milestones": (*r.milestones, milestone)})


def test_the_last_drill_is_the_newest_finished_one(book: RunBook) -> None:
    assert book.last_drill("web") is None
    drill = book.create(request(kind="drill"), REF, "k1", "bob", steps=3)
    assert book.last_drill("web") is None  # still running
    finish(book, drill)
    run = book.create(request(), REF, "k2", "bob", steps=3)
    finish(book, run)
    found = book.last_drill("web")
    assert found is not None and found.id == drill.id
    assert book.last_drill("api") is None
