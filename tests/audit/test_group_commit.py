"""Group commit: appends that wait while another is written go in together, with one fsync or one commit - and
still each caller gets its record only once it is durable, an error only its own or its group's, and every store
keeps one chain, from threads and from processes, through a SIGKILL in the middle of a storm."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import threading
from pathlib import Path
from typing import cast

import redis

from audit.head import HeadStore
from audit.log import AuditEvent, AuditLog, AuditRecord, JsonScalar
from audit.postgres import PostgresAudit
from audit.record import GENESIS, Entry
from audit.store import GroupCommit, Waiting, chain
from tests.audit.postgres_db import AuditDatabase
from tests.eventually import eventually

KEY = b"group-commit-test-key-0123456789"


class Held:
    """A writer for GroupCommit that keeps what it wrote in memory, chained like a store. It holds its first write
    until the test lets it go (so the appends that come meanwhile queue up), and fails the writes numbered in
    `failing` as a full disk would."""

    def __init__(self, failing: tuple[int, ...] = ()) -> None:
        self.records: list[AuditRecord] = []
        self.groups: list[list[str]] = []  # the `what` of each group written
        self.holding = threading.Event()  # set: the first write is waiting for `go`
        self.go = threading.Event()
        self._failing = failing
        self._calls = 0

    def write(self, group: list[Waiting]) -> None:
        self.holding.set()
        self.go.wait(10)
        self._calls += 1
        if self._calls in self._failing:
            raise OSError(28, "No space left on device")
        last = self.records[-1] if self.records else None
        built = chain(group, last.seq if last else 0, last.hash if last else GENESIS, lambda: 1.0)
        self.groups.append([record.what for _, record in built])
        self.records += [record for _, record in built]
        for waiting, record in built:
            waiting.record = record


def _in_threads(commit: GroupCommit, whats: list[str]) -> dict[str, object]:
    """Start one append per `what` in threads; returns what each got (a record or an exception), filled as they end."""
    outcomes: dict[str, object] = {}

    def one(what: str) -> None:
        try:
            outcomes[what] = commit.append(AuditEvent.ALERT_RECEIVED, Entry(actor="system", where="alerts", what=what))
        except Exception as exc:  # what this caller was told
            outcomes[what] = exc

    for what in whats:
        threading.Thread(target=one, args=(what,), daemon=True).start()
    return outcomes


def _queued_behind_first(writer: Held, commit: GroupCommit, whats: list[str]) -> tuple[dict[str, object], ...]:
    """The first append's write held while `whats` queue behind it; then let go. (first's outcome, theirs)."""
    first = _in_threads(commit, ["first"])
    writer.holding.wait(10)
    rest = _in_threads(commit, whats)
    eventually(lambda: commit.waiting == len(whats), what=f"{len(whats)} appends queued behind the first write")
    assert first == {} and rest == {}  # nobody is told anything before their record is written
    writer.go.set()
    eventually(lambda: len(first) + len(rest) == 1 + len(whats), what="every append answered")
    return first, rest


def test_appends_waiting_on_a_write_go_in_together_in_order_each_returned_once_written() -> None:
    writer = Held()
    commit = GroupCommit(writer.write)
    first, rest = _queued_behind_first(writer, commit, [f"alert {n}" for n in range(5)])
    assert writer.groups[0] == ["first"]
    assert sorted(writer.groups[1]) == [f"alert {n}" for n in range(5)]  # one write for the five
    assert [r.seq for r in writer.records] == list(range(1, 7))
    assert all(r.prev_hash == p.hash for p, r in itertools.pairwise(writer.records))
    for what, got in {**first, **rest}.items():
        assert isinstance(got, AuditRecord) and got.what == what


def test_a_failed_write_fails_every_append_of_its_group_and_the_next_write_works() -> None:
    writer = Held(failing=(2,))  # the disk fills up after the first write
    commit = GroupCommit(writer.write)
    first, doomed = _queued_behind_first(writer, commit, ["a", "b", "c"])
    assert isinstance(first["first"], AuditRecord)
    for what in "abc":
        assert isinstance(doomed[what], OSError) and doomed[what].errno == 28  # type: ignore[attr-defined]
    assert [r.what for r in writer.records] == ["first"]  # nothing else written, nothing else returned
    later = _in_threads(commit, ["later"])
    eventually(lambda: len(later) == 1, what="the next append answered")
    assert isinstance(later["later"], AuditRecord) and later["later"].seq == 2


def test_an_entry_that_is_no_record_fails_alone_in_its_group(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    good = [f"ok {n}" for n in range(4)]
    outcomes: dict[str, object] = {}

    def one(what: str, params: dict[str, JsonScalar]) -> None:
        try:
            outcomes[what] = log.append(
                AuditEvent.RECEIVED, actor="alice", where="console:ops", what=what, params=params
            )
        except Exception as exc:  # what this caller was told
            outcomes[what] = exc

    bad = cast("dict[str, JsonScalar]", {"n": object()})  # a value JSON cannot hold
    threads = [threading.Thread(target=one, args=(what, {"n": 1})) for what in good]
    threads.append(threading.Thread(target=one, args=("bad", bad)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert isinstance(outcomes["bad"], ValueError)
    assert all(isinstance(outcomes[what], AuditRecord) for what in good)
    assert log.verify() == 4
    assert sorted(r.what for r in log.records()) == sorted(good)


def _storm(log: AuditLog | PostgresAudit, name: str, threads: int, each: int) -> list[AuditRecord]:
    """`threads` threads appending `each` records to one store object; every record returned, per thread in order."""
    done: list[list[AuditRecord]] = [[] for _ in range(threads)]

    def run(t: int) -> None:
        for i in range(each):
            done[t].append(log.append(AuditEvent.ALERT_RECEIVED, actor=name, where=f"t{t}", what=f"{name} {t} {i}"))

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    return [record for records in done for record in records]


def _in_order_per_thread(records: list[AuditRecord], name: str, threads: int, each: int) -> None:
    for t in range(threads):
        assert [r.what for r in records if r.actor == name and r.where == f"t{t}"] == [
            f"{name} {t} {i}" for i in range(each)
        ]


def test_threads_sharing_one_file_log_make_one_chain_and_the_head_follows(
    tmp_path: Path, redis_conn: redis.Redis
) -> None:
    log = AuditLog(tmp_path, connection=redis_conn, key=KEY, checkpoint_every=25)
    returned = _storm(log, "storm", threads=8, each=40)
    assert log.verify() == 320  # the chain, the Redis head and the signed checkpoints agree
    records = log.records()
    assert sorted(r.seq for r in returned) == [r.seq for r in records] == list(range(1, 321))
    assert {r.hash for r in returned} == {r.hash for r in records}  # what each caller got is what is on disk
    _in_order_per_thread(records, "storm", 8, 40)
    head = HeadStore(redis_conn).read()
    assert head is not None and (head.seq, head.hash) == (320, records[-1].hash)


def test_threads_sharing_one_postgresql_store_make_one_chain(audit_db: AuditDatabase, redis_conn: redis.Redis) -> None:
    with PostgresAudit(audit_db.app_url, connection=redis_conn, key=KEY, checkpoint_every=25) as store:
        returned = _storm(store, "storm", threads=8, each=25)
        assert store.verify() == 200
        records = store.records()
    assert sorted(r.seq for r in returned) == [r.seq for r in records] == list(range(1, 201))
    assert {r.hash for r in returned} == {r.hash for r in records}
    _in_order_per_thread(records, "storm", 8, 25)


def _acknowledging(data_dir: str, name: str, redis_url: str, threads: int) -> None:
    """A process whose threads append without end, telling Redis of each record only once `append` returned."""
    told = redis.Redis.from_url(redis_url)
    log = AuditLog(Path(data_dir))

    def run(t: int) -> None:
        for i in range(1_000_000):
            record = log.append(AuditEvent.ALERT_RECEIVED, actor=name, where=f"t{t}", what=f"{name} {t} {i}")
            told.rpush("acknowledged", record.what)

    workers = [threading.Thread(target=run, args=(t,), daemon=True) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def test_two_processes_of_threads_and_a_sigkill_lose_no_acknowledged_record(
    tmp_path: Path, redis_conn: redis.Redis, redis_url: str
) -> None:
    victim = "killed"
    context = multiprocessing.get_context("spawn")
    processes = {
        name: context.Process(target=_acknowledging, args=(str(tmp_path), name, redis_url, 4), daemon=True)
        for name in (victim, "survivor")
    }
    for process in processes.values():
        process.start()
    try:
        eventually(lambda: redis_conn.llen("acknowledged") >= 300, 60, "300 records acknowledged")
        pid = processes[victim].pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)  # in the middle of a group: some records written, some not yet
        processes[victim].join(10)
        survivor_before = _count(redis_conn, "survivor")
        eventually(lambda: _count(redis_conn, "survivor") >= survivor_before + 100, 60, "the survivor going on")
    finally:
        for process in processes.values():
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signal.SIGKILL)
            process.join(10)
    acknowledged = {raw.decode() for raw in cast(list[bytes], redis_conn.lrange("acknowledged", 0, -1))}
    log = AuditLog(tmp_path)  # moves a torn line the kill may have left aside, as a restart does
    count = log.verify()
    written = {record.what for record in log.records()}
    assert acknowledged <= written  # every record a caller was given is in the one chain
    assert count == len(written) >= len(acknowledged)


def _count(connection: redis.Redis, name: str) -> int:
    return sum(
        1 for raw in cast(list[bytes], connection.lrange("acknowledged", 0, -1)) if raw.startswith(name.encode())
    )
