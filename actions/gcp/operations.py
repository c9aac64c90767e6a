"""Waiting for a Compute Engine zone operation, through the one `actions.waiting.Wait`.

We poll operations with our own ZoneOperationsClient (`get`, one short, throttled request per poll) rather than the
SDK's `ExtendedOperation.result()`, whose poller uses a client built without our endpoint and passes no throttle,
and rather than the API's `wait`, which may hold a request open for two minutes - longer than one call's timeout."""

from __future__ import annotations

from itertools import chain

from google.cloud import compute_v1

from actions.gcp.api import GcpApi
from actions.gcp.errors import MAX_MESSAGE
from actions.gcp.ids import GcpRef
from actions.waiting import Wait
from core.errors import ProviderError


def seconds(value: float) -> str:
    return f"{value:.0f}" if value >= 1 else f"{value:.1f}"


def wait_operation(api: GcpApi, endpoint: str, ref: GcpRef, op: compute_v1.Operation, action: str,
                   wait: Wait) -> None:  # fmt: skip
    """Until the zone operation is DONE; its `error` becomes a ProviderError with Google's message."""
    name, zone = op.name, op.zone.rsplit("/", 1)[-1] or ref.zone
    operations = api.clients.zone_operations

    def poll() -> compute_v1.Operation:
        def get() -> compute_v1.Operation:
            return operations.get(project=ref.project, zone=zone, operation=name, retry=None, timeout=api.timeout)

        return api.call(endpoint, ref.project, ref.name, get)

    seen = chain([op], iter(poll, None))  # the answer that started it, then one poll per read
    op = wait.until(
        lambda: next(seen),
        lambda o: o.status == compute_v1.Operation.Status.DONE,
        lambda _o: (
            f"{ref.name}: the {action} was still in progress after {seconds(wait.seconds)} s; check show {ref.name}"
        ),
    )
    if op.error.errors:
        detail = "; ".join(e.message for e in op.error.errors if e.message) or op.http_error_message or "failed"
        detail = detail.splitlines()[0][:MAX_MESSAGE]
        raise ProviderError(f"GCP could not {action} {ref.name}: {detail}")
