"""Waiting for Compute Engine: a deadline with a poll interval, and our own zone-operation polling.

We poll operations with our own ZoneOperationsClient (`get`, one short request per poll) rather than the SDK's
`ExtendedOperation.result()`, whose poller uses a client built without our endpoint, and rather than the API's
`wait`, which may hold a request open for two minutes - longer than one call's timeout."""

from __future__ import annotations

import time

from google.cloud import compute_v1

from actions.gcp.api import GcpApi
from actions.gcp.errors import MAX_MESSAGE
from actions.gcp.ids import GcpRef
from core.errors import ProviderError, ProviderTimeout


def seconds(value: float) -> str:
    return f"{value:.0f}" if value >= 1 else f"{value:.1f}"


class Deadline:
    def __init__(self, timeout: float, poll_seconds: float) -> None:
        self.timeout = timeout
        self._poll = poll_seconds
        self._end = time.monotonic() + timeout

    def expired(self) -> bool:
        return time.monotonic() >= self._end

    def sleep(self) -> None:
        time.sleep(max(0.0, min(self._poll, self._end - time.monotonic())))


def wait_operation(api: GcpApi, endpoint: str, ref: GcpRef, op: compute_v1.Operation, action: str,
                   deadline: Deadline) -> None:  # fmt: skip
    """Until the zone operation is DONE; its `error` becomes a ProviderError with Google's message."""
    name, zone = op.name, op.zone.rsplit("/", 1)[-1] or ref.zone
    operations = api.clients.zone_operations

    def poll() -> compute_v1.Operation:
        return operations.get(project=ref.project, zone=zone, operation=name, retry=None, timeout=api.timeout)

    while op.status != compute_v1.Operation.Status.DONE:
        if deadline.expired():
            raise ProviderTimeout(
                f"{ref.name}: the {action} was still in progress after {seconds(deadline.timeout)} s; "
                f"check show {ref.name}"
            )
        deadline.sleep()
        op = api.call(endpoint, ref.project, ref.name, poll)
    if op.error.errors:
        detail = "; ".join(e.message for e in op.error.errors if e.message) or op.http_error_message or "failed"
        detail = detail.splitlines()[0][:MAX_MESSAGE]
        raise ProviderError(f"GCP could not {action} {ref.name}: {detail}")
