"""Alert payloads of each monitoring system -> `Incoming`s. One module per source, each with a pydantic model
of its payload (on `payload.Payload`, built from the field types in `fields`) and a pure
`parse(body) -> list[Incoming]` that raises `Malformed` with a one-line reason (SNS has an envelope to check
first, so its module has `parse_envelope` and `alarm` instead)."""

from __future__ import annotations

from collections.abc import Callable

from alerts.model import Incoming
from alerts.sources import alertmanager, azure, gcp, generic
from alerts.sources.fields import MAX_ALERTS
from alerts.sources.payload import Malformed

Parser = Callable[[bytes], list[Incoming]]

PARSERS: dict[str, Parser] = {
    alertmanager.SOURCE: alertmanager.parse,
    azure.SOURCE: azure.parse,
    gcp.SOURCE: gcp.parse,
    generic.SOURCE: generic.parse,
}

__all__ = ["MAX_ALERTS", "PARSERS", "Malformed", "Parser"]
