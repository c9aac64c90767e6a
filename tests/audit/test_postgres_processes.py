"""Five processes on this machine - each of them forking once more, as an RQ worker forks its work-horse with the
audit store already open - append to one PostgreSQL audit at the same time: one chain, valid, with every record,
and the Redis head on its last record."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from collections import Counter

import redis

from audit.postgres import PostgresAudit
from tests.audit.postgres_db import AuditDatabase

PROCESSES = 5
EACH = 40  # records per writer after the first; each process is two writers once it has forked

WRITER = textwrap.dedent(
    """
    import os, sys
    import redis
    from audit.postgres import PostgresAudit
    from audit.record import AuditEvent

    url, redis_url, name, each = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    log = PostgresAudit(url, connection=redis.Redis.from_url(redis_url), key=b"k" * 32, checkpoint_every=25)
    log.append(AuditEvent.RECEIVED, actor=name, where="test", what="before the fork")  # the connection is open
    child = os.fork()
    who = name + ("-child" if child == 0 else "-parent")
    start = redis.Redis.from_url(redis_url, socket_timeout=90)  # waits for the slowest to start
    start.rpush("ready", who)
    start.blpop(["go"], timeout=60)  # every writer starts at once
    for k in range(each):
        log.append(AuditEvent.RECEIVED, actor=who, where="test", what=str(k))
    if child == 0:
        os._exit(0)
    _, status = os.waitpid(child, 0)
    sys.exit(os.waitstatus_to_exitcode(status))
    """
)


def test_five_processes_append_one_valid_chain_with_every_record(
    audit_db: AuditDatabase, redis_url: str, redis_conn: redis.Redis
) -> None:
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, audit_db.app_url, redis_url, f"p{i}", str(EACH)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    with redis.Redis.from_url(redis_url, socket_timeout=90) as barrier:  # starting 5 Pythons takes a while
        ready = [barrier.blpop(["ready"], timeout=60) for _ in range(2 * PROCESSES)]
        assert None not in ready
        barrier.rpush("go", *range(2 * PROCESSES))
    for writer in writers:
        _, errors = writer.communicate(timeout=120)
        assert writer.returncode == 0, errors
    with PostgresAudit(audit_db.app_url, connection=redis_conn, key=b"k" * 32) as log:
        report = log.report()
        records = log.records()
    assert report.lines() == [f"OK: {PROCESSES * (1 + 2 * EACH)} records, chain intact ({log.source})"]
    written = Counter((r.actor, r.what) for r in records)
    expected = {(f"p{i}", "before the fork") for i in range(PROCESSES)} | {
        (f"p{i}-{side}", str(k)) for i in range(PROCESSES) for side in ("parent", "child") for k in range(EACH)
    }
    assert set(written) == expected
    assert max(written.values()) == 1  # none twice
    interleaved = sum(1 for a, b in itertools.pairwise(records) if a.actor != b.actor)
    assert interleaved > 2 * PROCESSES  # they wrote at the same time, not one after another
