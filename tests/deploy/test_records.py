"""The deploy book on real Redis: numbers, the per-environment lock (also when two processes ask at once), a
rollback taking over, history newest first, what each group runs and the last good version, a lock left by a
deploy that ended without giving it back, and the history's limits."""

from __future__ import annotations

import threading

import pytest
import redis

from actions.deploy.model import DeployRecord, DeployRequest, GroupChange, RolloutState, Strategy, VersionSpec
from actions.deploy.records import KEEP_PER_SERVICE, DeployBook, DeployBusy
from core.models import Cloud, ConversationRef
from tests.clock import ManualClock

REF = ConversationRef(channel="console", conversation_id="ops-room")


def request(version: str, *, environment: str = "prod", service: str = "web", kind: str = "deploy",
            rollback_of: int | None = None, groups: tuple[str, ...] = ("web-prod", "web-edge-prod")
            ) -> DeployRequest:  # fmt: skip
    changes = tuple(
        GroupChange(group_id=f"sim:{g}", group=g, cloud=Cloud.AWS, region="us-east-1", size=4, from_version="v2.3",
                    to_version=version, to=VersionSpec(image=version), strategy=Strategy(), expected_seconds=60)
        for g in groups
    )  # fmt: skip
    return DeployRequest(kind="rollback" if kind == "rollback" else "deploy", service=service, environment=environment,
                         version=version, groups=changes, rollback_of=rollback_of, requested_by="alice")  # fmt: skip


def ended(record: DeployRecord, state: str, at: float, *, done: tuple[str, ...] | None = None) -> DeployRecord:
    """The record finished as `state`; its groups in `done` (all: None) succeeded."""
    groups = tuple(
        g.model_copy(update={"state": RolloutState(status="succeeded", updated=4, total=4)})
        if done is None or g.change.group in done else g
        for g in record.groups
    )  # fmt: skip
    return record.model_copy(update={"state": state, "finished_at": at, "groups": groups})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_800_000_000.0)


@pytest.fixture
def book(redis_conn: redis.Redis, clock: ManualClock) -> DeployBook:
    return DeployBook(redis_conn, clock)


def test_records_are_numbered_and_read_back(book: DeployBook) -> None:
    first = book.create(request("v2.4"), REF, "m-1", "bob")
    second = book.create(request("v5.2", service="api"), REF, "m-2", None)

    assert (first.id, second.id) == (1, 2)
    assert book.get(1) == first
    assert first.state == "starting" and first.approved_by == "bob"
    assert [g.state.status for g in first.groups] == ["pending", "pending"]
    assert [r.id for r in book.running()] == [1, 2]
    assert book.current("web", "prod") == first
    assert book.current("web", "staging") is None
    assert book.get(99) is None


def test_one_deploy_per_service_and_environment_and_its_lock_goes_when_it_ends(
    book: DeployBook, clock: ManualClock
) -> None:
    first = book.create(request("v2.4"), REF, "m-1", "bob")
    clock.advance(180)

    with pytest.raises(DeployBusy) as busy:
        book.create(request("v2.5"), REF, "m-2", "bob")
    assert str(busy.value) == (
        "web prod is busy: deploy 1 (v2.4, by alice, 3 min ago) is starting - wait for it or `cancel deploy web`"
    )
    # Another environment is free; the refused deploy used no number.
    assert book.create(request("v2.4", environment="staging"), REF, "m-3", None).id == 2

    book.save(ended(first, "succeeded", clock()))
    assert book.busy("web", "prod") is None
    assert book.current("web", "prod") is None
    assert [r.id for r in book.running()] == [2]
    assert book.create(request("v2.5"), REF, "m-4", "bob").request.version == "v2.5"


def test_two_processes_asking_at_once_get_one_deploy(redis_conn: redis.Redis, clock: ManualClock) -> None:
    outcomes: list[str] = []
    gate = threading.Barrier(8)

    def ask() -> None:
        own = DeployBook(redis.Redis(connection_pool=redis_conn.connection_pool), clock)
        gate.wait()
        try:
            own.create(request("v2.4"), REF, "m", None)
            outcomes.append("created")
        except DeployBusy:
            outcomes.append("busy")

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["busy"] * 7 + ["created"]
    assert len(DeployBook(redis_conn, clock).running()) == 1


def test_a_rollback_takes_over_from_the_deploy_it_undoes(book: DeployBook) -> None:
    deploy = book.create(request("v2.4"), REF, "m-1", "bob")

    rollback = book.create(request("v2.3", kind="rollback", rollback_of=deploy.id), REF, "m-2", "bob")

    undone = book.get(deploy.id)
    assert undone is not None and undone.state == "rolling_back"
    assert [r.id for r in book.running()] == [rollback.id]
    assert book.current("web", "prod") == rollback
    with pytest.raises(DeployBusy):  # and nobody else may
        book.create(request("v2.5"), REF, "m-3", "bob")


def test_history_newest_first_what_each_group_runs_and_the_last_good_version(
    book: DeployBook, clock: ManualClock
) -> None:
    for version, state, done in [("v2.2", "succeeded", None), ("v2.3", "succeeded", None),
                                 ("v2.4", "failed", ("web-prod",)), ("v2.4", "succeeded", None),
                                 ("v2.5", "failed", ())]:  # fmt: skip
        clock.advance(3600)
        record = book.create(request(version), REF, "m", "bob")
        book.save(ended(record, state, clock(), done=done))
    other = book.create(request("v5.2", service="api"), REF, "m", None)

    assert [r.request.version for r in book.history("web")] == ["v2.5", "v2.4", "v2.4", "v2.3", "v2.2"]
    assert [r.id for r in book.history(limit=2)] == [other.id, 5]
    assert [r.id for r in book.history("web", since=clock() - 3 * 3600 + 1)] == [5, 4, 3]
    assert book.running_versions("web", "prod") == {"web-prod": "v2.4", "web-edge-prod": "v2.4"}
    assert book.last_good("web", "prod", before="v2.5") == "v2.4"
    assert book.last_good("web", "prod", before="v2.4") == "v2.3"
    assert book.last_good("web", "staging", before=None) is None


def test_a_lock_left_by_a_deploy_that_ended_without_giving_it_back_is_released(
    book: DeployBook, redis_conn: redis.Redis, clock: ManualClock
) -> None:
    record = book.create(request("v2.4"), REF, "m-1", "bob")
    # Written as it ended by a process that died before it could give the lock back.
    redis_conn.set(f"opsbot:deploy:record:{record.id}", ended(record, "succeeded", clock()).model_dump_json())

    assert book.busy("web", "prod") is None
    assert book.create(request("v2.5"), REF, "m-2", "bob").id == 2


def test_update_writes_over_a_concurrent_writer_without_losing_its_change(book: DeployBook) -> None:
    record = book.create(request("v2.4"), REF, "m-1", "bob")
    calls = 0

    def mark(current: DeployRecord) -> DeployRecord:
        nonlocal calls
        calls += 1
        if calls == 1:  # another writer gets in between our read and our write
            book.save(current.model_copy(update={"milestones": ("started",)}))
        return current.model_copy(update={"approved_by": "carol"})

    after = book.update(record.id, mark)

    assert calls == 2
    assert after is not None and after.approved_by == "carol" and after.milestones == ("started",)
    assert book.get(record.id) == after
    assert book.update(999, mark) is None


def test_the_history_keeps_the_newest_per_service_and_90_days(book: DeployBook, clock: ManualClock) -> None:
    first = book.create(request("v2.0"), REF, "m", None)
    book.save(ended(first, "succeeded", clock()))
    clock.advance(91 * 86400)
    for _ in range(KEEP_PER_SERVICE + 1):
        record = book.create(request("v2.4"), REF, "m", None)
        book.save(ended(record, "succeeded", clock()))
        clock.advance(1)

    kept = book.history("web", limit=1000)
    assert len(kept) == KEEP_PER_SERVICE
    assert kept[-1].id == 3  # the 90-day-old one and the oldest beyond 200 are gone
    assert book.get(first.id) is None and book.get(2) is None
