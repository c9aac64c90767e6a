"""How a bad setting is told to the person who set it: one line naming what is wrong and what a good value
looks like. pydantic words its errors for programmers ("Input should be a valid integer, unable to parse string
as an integer"); an on-call engineer fixing `OPSBOT_CONFIRM_TTL_SECONDS` wants "not a whole number (expected
5 to 3600)". No message repeats the value it refuses: it may be a secret."""

from __future__ import annotations

import json
from collections.abc import Sequence

from annotated_types import Ge, Gt, Le, Lt
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from rapidfuzz import process

from core.annotations import keys_at

_WHOLE = ("int_parsing", "int_type", "int_from_float", "int_parsing_size")
_NUMBER = ("float_parsing", "float_type", "finite_number")
_RANGE = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")
_OBJECT = ("dict_type", "model_type", "model_attributes_type")


def explain(err: ErrorDetails, field: FieldInfo | None, *, with_path: bool = True, given: object = None) -> str:
    """The message for one error of the setting `field` (err's loc starts with the field's name). With
    `with_path`, a value inside a list or mapping is named too ("item 2: regions: ..."); with the setting's
    `given` value, an item that has a name or id says it ("item 2 (prod): regions: ...")."""
    inner = err["loc"][1:]
    what = _what(err, field if not inner else None)
    if err["type"] == "extra_forbidden" and field is not None:
        what += _suggestion(str(inner[-1]), keys_at(field.annotation, inner[:-1]))
    elif field is not None and len(inner) == 1 and isinstance(inner[0], int):  # an item of the list itself
        if err["type"] in _OBJECT:
            what += _item_example(field)
        elif err["type"] == "string_type":
            what += example(field)
    path = _path(inner, err["type"], given) if with_path else ""
    return f"{path}: {what}" if path else what


def example(field: FieldInfo) -> str:
    """ " (expected a list like [...])" from the field's first example, or "" without one."""
    if not field.examples:
        return ""
    sample = field.examples[0]
    kind = "a list" if isinstance(sample, list) else "an object" if isinstance(sample, dict) else "a value"
    return f" (expected {kind} like {json.dumps(sample)})"


def _suggestion(word: str, keys: list[str]) -> str:
    """ " (did you mean 'role_arn'?)", else the keys there are."""
    if not keys:
        return ""
    match = process.extractOne(word, keys, score_cutoff=70)
    return f" (did you mean '{match[0]}'?)" if match else f" (keys: {', '.join(keys)})"


def _item_example(field: FieldInfo) -> str:
    """ " (expected an object like {...})" from the first item of the field's example list."""
    sample = field.examples[0] if field.examples else None
    return f" (expected an object like {json.dumps(sample[0])})" if isinstance(sample, list) and sample else ""


def key_problem(err: ErrorDetails) -> str | None:
    """ "missing key 'x'" or "unknown key 'x'" for an error about a mapping's keys, else None: the words the
    settings and every YAML file (policy, alerting) use alike."""
    kind, loc = err["type"], err["loc"]
    if kind not in ("missing", "extra_forbidden"):
        return None
    name = next((str(part) for part in reversed(loc) if part != "[key]"), "")
    return f"{'missing' if kind == 'missing' else 'unknown'} key '{name}'"


def _what(err: ErrorDetails, field: FieldInfo | None) -> str:
    kind = err["type"]
    if (about_keys := key_problem(err)) is not None:
        return about_keys
    if kind in _WHOLE:
        return f"not a whole number{_expected(field)}"
    if kind in _NUMBER:
        return f"not a number{_expected(field)}"
    if kind in _RANGE:
        return f"out of range{_expected(field)}"
    if kind in ("bool_parsing", "bool_type"):
        return "not true or false"
    if kind == "string_type":
        return "not text"
    if kind == "list_type":
        return "not a list" + (example(field) if field is not None else "")
    if kind in _OBJECT:
        return "not an object" + (example(field) if field is not None else "")
    if kind == "literal_error":
        return f"not one of {(err.get('ctx') or {}).get('expected', 'the allowed values')}"
    if kind == "too_short":
        return "give at least one"
    return err["msg"].removeprefix("Value error, ")


def _expected(field: FieldInfo | None) -> str:
    """ " (expected 5 to 3600)", " (expected above 0, up to 300)", or the default as an example."""
    if field is None:
        return ""
    low = next((f"{r.ge}" for r in field.metadata if isinstance(r, Ge)), None)
    low = low or next((f"above {r.gt}" for r in field.metadata if isinstance(r, Gt)), None)
    high = next((f"{r.le}" for r in field.metadata if isinstance(r, Le)), None)
    high = high or next((f"below {r.lt}" for r in field.metadata if isinstance(r, Lt)), None)
    if low is not None and high is not None:
        joiner = ", up to " if low.startswith("above") else " to "
        return f" (expected {low}{joiner}{high})"
    if low is not None:
        return f" (expected {low if low.startswith('above') else 'at least ' + low})"
    if high is not None:
        return f" (expected {high if high.startswith('below') else 'at most ' + high})"
    if isinstance(field.default, int | float) and not isinstance(field.default, bool):
        return f" (like {field.default})"
    return ""


def _path(inner: Sequence[int | str], kind: str, given: object = None) -> str:
    """ "item 1 (prod): regions" for (0, "regions"). A missing or unknown key is named by the message itself, and a
    bad item of a plain list by its own message, so neither is repeated here; an item that is not an object is."""
    parts = list(inner)
    if parts and (kind in ("missing", "extra_forbidden") or (isinstance(parts[-1], int) and kind not in _OBJECT)):
        parts.pop()
    named, value = [], given
    for part in parts:
        value = _inside(value, part)
        named.append(f"item {part + 1}{_label(value)}" if isinstance(part, int) else part)
    return ": ".join(named)


def _inside(value: object, part: int | str) -> object:
    if isinstance(part, int):
        return value[part] if isinstance(value, list) and 0 <= part < len(value) else None
    return value.get(part) if isinstance(value, dict) else None


def _label(item: object) -> str:
    """ " (prod)" for an item with a name (or an id); names and ids of accounts are not secrets."""
    if not isinstance(item, dict):
        return ""
    label = item.get("name") or item.get("id")
    return f" ({label})" if isinstance(label, str) and label and len(label) <= 64 else ""
