"""The alert webhooks, `POST /alerts/{source}` and `POST /alerts/sns`: who may post (auth.py, sns_verify.py),
and the routes that parse a body into `Incoming`s and hand them to the alert store through `Ingest`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from alerts.model import Incoming


@dataclass(frozen=True)
class IngestResult:
    stored: int  # new alerts stored
    updated: int  # repeats / resolutions of known alerts


# Stores the alerts of one request. Blocking (Redis); may raise redis.RedisError, which the sender sees as a 503.
Ingest = Callable[[list[Incoming]], IngestResult]
