"""The field types the source models are built from, and the helpers that turn what they read into what an
`Incoming` may hold (one-line text within its limit, capped labels, http links, a fingerprint that fits). Every
source uses these, so every source has the same caps and reads a sender's field the same way.

A sender's field is read leniently where its source is known to vary (a number where text was expected reads
as no text) and refused where the alert cannot be understood without it: a time that is not a time, a status
that is not one of the source's words, a required id that is empty. Every text they give back is made safe for
chat here, where it enters (core.untrusted.for_chat: no control, bidi or zero-width character), so a source's
fallback ("Cloud Monitoring incident") still applies to a field that held nothing else; `Incoming` checks
again, for alerts built without these helpers."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from alerts.model import Severity
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

Status = Literal["firing", "resolved"]
T = TypeVar("T")

_PROVIDERS = {"aws": Cloud.AWS, "amazon": Cloud.AWS, "azure": Cloud.AZURE, "gcp": Cloud.GCP, "google": Cloud.GCP}
_SPACE = re.compile(r"\s+")


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


def rfc3339(value: Any) -> float | None:
    """Unix seconds of an RFC 3339 time; None for null, "" and Go's zero time ("0001-01-01T00:00:00Z")."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError("not an RFC 3339 time")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("not an RFC 3339 time") from None
    if parsed.year <= 1:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def unix(value: Any) -> float | None:
    """Unix seconds given as a number; None for null and 0 (which senders use for "not set")."""
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e11:
        raise ValueError("not a unix time")
    return float(value)


def link(value: Any) -> str:
    """An http(s) URL within its limit, or "". A URL holding a character that `for_chat` would take out (a bidi
    override making it read as another address) is no link: without the character it would be another one."""
    url = value.strip() if isinstance(value, str) else ""
    if not url or len(url) > URL_CHARS or any(c.isspace() for c in url) or for_chat(url) != url:
        return ""
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


def absent_is_empty(value: Any) -> Any:
    """A missing (null) object reads as an empty one; anything else is validated as it is."""
    return {} if value is None else value


def object_or_empty(value: Any) -> Any:
    """For optional detail that a source shapes loosely: anything but an object reads as an empty one."""
    return value if isinstance(value, dict) else {}


def objects_only(value: Any) -> list[Any]:
    """The objects of a loosely shaped list; anything but a list reads as an empty one."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def first(value: Any) -> Any:
    """The first item of a list, or None."""
    return value[0] if isinstance(value, list) and value else None


def _required(value: str) -> str:
    if not value:
        raise PydanticCustomError("missing", "Field required")
    return value


def _at_most_max_alerts(value: Any) -> Any:
    if isinstance(value, list) and len(value) > MAX_ALERTS:
        limits = {"count": len(value), "limit": MAX_ALERTS}
        raise PydanticCustomError("refused", "too many alerts ({count}; limit {limit})", limits)
    return value


def one_of(words: Mapping[str, T], *, any_case: bool = False) -> BeforeValidator:
    """A field that must be one of the source's words, read as what the word means here: null is missing,
    anything else is refused as unknown ("alerts[0]: unknown status 'foo'")."""

    def read(value: Any) -> T:
        if value is None:
            raise PydanticCustomError("missing", "Field required")
        word = value.lower() if any_case and isinstance(value, str) else value
        if not isinstance(word, str) or word not in words:
            raise PydanticCustomError("unknown", "unknown value {value}", {"value": quoted(value)})
        return words[word]

    return BeforeValidator(read)


# The types of the source models' fields.
Text = Annotated[str, BeforeValidator(text)]  # "" for a missing or non-string value
Scalar = Annotated[str, BeforeValidator(scalar)]
Id = Annotated[str, BeforeValidator(scalar), AfterValidator(_required)]  # an id that must be there
RequiredText = Annotated[str, BeforeValidator(text), AfterValidator(_required)]
Url = Annotated[str, BeforeValidator(link)]  # "" for anything that is not an http(s) link
Rfc3339 = Annotated[float | None, BeforeValidator(rfc3339)]
UnixTime = Annotated[float | None, BeforeValidator(unix)]
Obj = Annotated[dict[str, Any], BeforeValidator(absent_is_empty)]  # a free-form object (labels), {} if null
AlertList = Annotated[list[T], BeforeValidator(_at_most_max_alerts)]


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
    """The http(s) URLs among the candidates (see `link`), in order, without repeats."""
    found: list[str] = []
    for candidate in candidates:
        url = link(candidate)
        if url and url not in found:
            found.append(url)
    return tuple(found[:MAX_LINKS])


def provider(value: Any) -> Cloud | None:
    return _PROVIDERS.get(text(value).lower())


def severities(*, critical: Iterable[str], warning: Iterable[str], info: Iterable[str]) -> Callable[[str], Severity]:
    """A source's severity words (any case) -> ours; a word it does not list is a warning."""
    words = {
        **dict.fromkeys(critical, Severity.CRITICAL),
        **dict.fromkeys(warning, Severity.WARNING),
        **dict.fromkeys(info, Severity.INFO),
    }
    return lambda word: words.get(text(word).lower(), Severity.WARNING)


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
