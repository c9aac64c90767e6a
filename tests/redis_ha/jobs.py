"""A job for the RQ tests: it writes through the worker's own connection, so its effect shows where that
connection went."""

from __future__ import annotations

from rq import get_current_job


def remember(key: str, value: str) -> str:
    job = get_current_job()
    assert job is not None
    job.connection.set(key, value)
    return value
