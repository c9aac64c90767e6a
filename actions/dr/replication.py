"""The replication lag a runbook's `replication` check reads: one GET of its url, which answers the lag in seconds
as a plain number ("4.2"), a JSON number, or a JSON object whose `field` holds it ({"lag_seconds": 4.2}). A URL
was chosen over a metrics query: every database's exporter or a five-line script can serve one, and the answer
needs no query language to read."""

from __future__ import annotations

import json
import math

import httpx

from core.errors import ProviderError

READ_SECONDS = 1.0  # "dr status" and a preview say "not read" rather than wait longer


def read_lag(url: str, field: str | None = None, *, timeout: float = READ_SECONDS) -> float:
    """The lag in seconds. Raises ProviderError with a short why when it cannot be read."""
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise ProviderError(f"no answer from {url} ({type(exc).__name__})") from exc
    if response.status_code != 200:
        raise ProviderError(f"{url} answered HTTP {response.status_code}")
    return _seconds(response.text, field, url)


def _seconds(body: str, field: str | None, url: str) -> float:
    try:
        value = json.loads(body)
    except ValueError:
        value = body.strip()
    if field is not None:
        if not isinstance(value, dict) or field not in value:
            raise ProviderError(f"{url} answered no '{field}'")
        value = value[field]
    elif isinstance(value, dict):
        raise ProviderError(f"{url} answered an object: name its field (replication: field)")
    try:
        seconds = float(value)
    except (TypeError, ValueError) as exc:
        raise ProviderError(f"{url} answered {str(value)[:40]!r}, not a number of seconds") from exc
    if not math.isfinite(seconds) or seconds < 0:
        raise ProviderError(f"{url} answered {seconds}, not a number of seconds")
    return seconds
