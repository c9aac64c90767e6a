"""Reading a sender's JSON safely: the one-line `Malformed` error, and helpers that take a value of unknown type
and give back what an `Incoming` may hold (one-line text within its limit, unix times, capped labels, http
links, a fingerprint that fits). Every parser uses these, so every source has the same caps.

Every text they give back is made safe for chat here, where it enters (core.untrusted.for_chat: no control,
bidi or zero-width character), so a source's fallback ("Cloud Monitoring incident") still applies to a field
that held nothing else; `Incoming` checks again, for alerts built without these helpers."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from core.errors import OpsbotError
from core.models import Cloud
from core.untrusted import for_chat

MAX_ALERTS = 1000  # per request
MAX_LABELS = 64
MAX_LINKS = 10
SUMMARY_CHARS = 500  # the limits of Incoming's fields
DESCRIPTION_CHARS = 4000
FINGERPRINT_CHARS = 200
NAME_CHARS = 200  # resource, environment, label keys and values
URL_CHARS = 2000

_PROVIDERS = {"aws": Cloud.AWS, "amazon": Cloud.AWS, "azure": Cloud.AZURE, "gcp": Cloud.GCP, "google": Cloud.GCP}
_SPACE = re.compile(r"\s+")


class Malformed(OpsbotError):
    """A payload that is not what its source sends. `str(err)` is one short line naming the field
    ("alerts[2]: missing labels"); it never holds a traceback or the sender's data beyond a short value."""


def load_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # ValueError covers bad UTF-8 and bad JSON
        raise Malformed("not JSON") from None


def need_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed(f"{where}: expected an object" if where else "expected a JSON object")
    return value


def optional_object(value: Any, where: str) -> dict[str, Any]:
    """An object, or {} for a missing/null one."""
    return {} if value is None else need_object(value, where)


def need_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise Malformed(f"{where}: expected a list")
    return value


def alert_list(value: Any, where: str = "alerts") -> list[Any]:
    """A list of alerts within the per-request limit."""
    found = need_list(value, where)
    if len(found) > MAX_ALERTS:
        raise Malformed(f"too many alerts ({len(found)}; limit {MAX_ALERTS})")
    return found


def text(value: Any) -> str:
    """A string field (safe for chat), or "" for anything that is not a non-empty string."""
    return for_chat(value).strip() if isinstance(value, str) else ""


def scalar(value: Any) -> str:
    """A string, number or boolean as text; "" for null, lists and objects."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value).strip()
    return ""


def clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def one_line(value: str, limit: int = SUMMARY_CHARS) -> str:
    """Safe for chat, whitespace (newlines included) collapsed, trimmed to `limit` characters."""
    return clip(_SPACE.sub(" ", for_chat(value)).strip(), limit)


def first_line(value: str) -> str:
    for line in value.splitlines():
        if line.strip():
            return line.strip()
    return ""


def name(value: Any) -> str | None:
    """A short identifying text (resource, environment), or None when there is none."""
    found = one_line(scalar(value), NAME_CHARS)
    return found or None


def description(value: str) -> str:
    return clip(for_chat(value).strip(), DESCRIPTION_CHARS)


def labels(*sources: Mapping[str, Any]) -> dict[str, str]:
    """String labels from the given maps (later ones win), at most MAX_LABELS, keys and values trimmed.
    Empty values, lists and objects are left out: a label is one short text (Prometheus drops empty ones too)."""
    merged: dict[str, str] = {}
    for source in sources:
        for key, value in source.items():
            shown = for_chat(scalar(value)).strip()
            clean_key = for_chat(key).strip() if isinstance(key, str) else ""
            if clean_key and shown:
                merged[clip(clean_key, NAME_CHARS)] = clip(shown, NAME_CHARS)
    return dict(sorted(merged.items())[:MAX_LABELS])


def links(*candidates: Any) -> tuple[str, ...]:
    """The http(s) URLs among the candidates, in order, without repeats. A URL holding a character that
    `for_chat` would take out (a bidi override making it read as another address) is left out whole: without
    the character it would be another link."""
    found: list[str] = []
    for candidate in candidates:
        url = candidate.strip() if isinstance(candidate, str) else ""
        if not url or len(url) > URL_CHARS or url in found or any(c.isspace() for c in url) or for_chat(url) != url:
            continue
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            found.append(url)
    return tuple(found[:MAX_LINKS])


def provider(value: Any) -> Cloud | None:
    return _PROVIDERS.get(text(value).lower())


def fingerprint(value: str) -> str:
    """The source's own id when it fits the field; a digest of it when it is longer."""
    value = value.strip()
    if len(value) <= FINGERPRINT_CHARS:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def digest(*parts: object) -> str:
    """A stable fingerprint for sources that give none: sha256 over a canonical JSON of the parts."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def rfc3339(value: Any, where: str) -> float | None:
    """Unix seconds of an RFC 3339 time; None for null, "" and Go's zero time ("0001-01-01T00:00:00Z")."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise Malformed(f"{where}: not an RFC 3339 time")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Malformed(f"{where}: not an RFC 3339 time") from None
    if parsed.year <= 1:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def unix(value: Any, where: str) -> float | None:
    """Unix seconds given as a number; None for null and 0 (which senders use for "not set")."""
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e11:
        raise Malformed(f"{where}: not a unix time")
    return float(value)


def quoted(value: Any) -> str:
    """A sender's value for an error line: "'foo'" (short, one line), or its JSON type ("(a number)")."""
    if isinstance(value, str):
        return "'" + one_line(value, 40) + "'"
    kind = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return f"({kind.get(type(value), 'null')})"


def first_of(mapping: Mapping[str, Any], keys: Iterable[str]) -> str:
    """The first non-empty string among `mapping[key]` for `keys`."""
    for key in keys:
        found = text(mapping.get(key))
        if found:
            return found
    return ""


def validation_reason(exc: ValidationError) -> str:
    """pydantic's first problem as one line with its field path: "alerts[2].status: input should be ..."."""
    error = exc.errors(include_url=False, include_input=False)[0]
    path = ""
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    message = error["msg"].removeprefix("Value error, ")
    if not path:  # a whole-model check: its message is ours, already a sentence
        return one_line(message, 200)
    return one_line(f"{path}: {message[:1].lower()}{message[1:]}", 200)
