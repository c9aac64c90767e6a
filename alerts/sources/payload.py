"""Reading a sender's body into its source's pydantic model, and the one-line `Malformed` refusal that a
`ValidationError` becomes: the first problem with its field path, in words a sender can act on
("alerts[2]: missing labels", "incident: unknown state 'acknowledged'", "data: expected an object")."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from alerts.sources.fields import one_line
from core.errors import OpsbotError

M = TypeVar("M", bound=BaseModel)

_OBJECT_ERRORS = frozenset({"model_type", "model_attributes_type", "dict_type"})


class Malformed(OpsbotError):
    """A payload that is not what its source sends. `str(err)` is one short line naming the field
    ("alerts[2]: missing labels"); it never holds a traceback or the sender's data beyond a short value."""


class Payload(BaseModel):
    """A monitoring system's payload, or a part of it: read-only; fields opsbot does not use are ignored (every
    source sends more than it reads, and adds fields over the years)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


def load_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # ValueError covers bad UTF-8 and bad JSON
        raise Malformed("not JSON") from None


def read(model: type[M], data: Any, where: str = "") -> M:
    """`model` from `data`, or `Malformed` naming the first problem's field (under `where`, for a payload
    carried inside another one)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Malformed(reason(exc, where)) from None


def load(model: type[M], body: bytes) -> M:
    """`model` from a JSON body."""
    return read(model, load_json(body))


def reason(exc: ValidationError, where: str = "") -> str:
    """pydantic's first problem as one line with its field path: "alerts[2].status: input should be ..."."""
    error = exc.errors(include_url=False, include_input=False)[0]
    path = where
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    kind = error["type"]
    message = error["msg"].removeprefix("Value error, ")
    parent, _, field = path.rpartition(".")
    if kind in _OBJECT_ERRORS:
        line = f"{path}: expected an object" if path else "expected a JSON object"
    elif kind == "list_type":
        line = f"{path}: expected a list"
    elif kind in ("missing", "unknown"):
        what = f"missing {field}" if kind == "missing" else f"unknown {field} {(error.get('ctx') or {})['value']}"
        line = f"{parent}: {what}" if parent else what
    elif kind == "refused" or not path:  # a whole-payload check: its message is ours, already a sentence
        line = message
    else:
        line = f"{path}: {message[:1].lower()}{message[1:]}"
    return one_line(line, 200)
