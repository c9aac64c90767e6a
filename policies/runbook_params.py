"""A runbook's parameters: `{name}` in a step's `message` or `url` and in the replication check's `url` is the
runbook's `parameters: {name: value}`, or one of the names every runbook has ({primary}, {standby}, {service}).
`{{` and `}}` are a brace. The loader (policies.runbooks) refuses an unknown name with its file and line, so the
workers fill in only names they know; the approval binds to the runbook's hash, parameters included."""

from __future__ import annotations

from collections.abc import Iterator
from string import Formatter

from pydantic import HttpUrl, TypeAdapter, ValidationError

from policies.model import did_you_mean
from policies.runbook_model import Runbook, Step

BUILT_IN = ("primary", "standby", "service")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)

Loc = tuple[str | int, ...]


def values(runbook: Runbook) -> dict[str, str]:
    """Every name a placeholder may use, with its value as text."""
    own = {name: str(value) for name, value in runbook.parameters.items()}
    return {"primary": runbook.primary, "standby": runbook.standby, "service": runbook.service, **own}


def fill(runbook: Runbook, text: str) -> str:
    """`text` with each `{name}` replaced by its value; a name the runbook does not know stays as written (the
    loader refused it already: a guard for runbooks built without the loader)."""
    known = values(runbook)
    try:
        parts = list(Formatter().parse(text))
    except ValueError:
        return text
    out = []
    for literal, name, _, _ in parts:
        out.append(literal)
        if name is not None:
            out.append(known.get(name, f"{{{name}}}"))
    return "".join(out)


def min_healthy(runbook: Runbook, step: Step) -> int | None:
    """A health wait's `min_healthy`, its parameter's value when it names one (None: the primary's size)."""
    value = step.min_healthy
    if value is None or isinstance(value, int):
        return value
    filled = fill(runbook, value)
    return int(filled) if filled.isdigit() else None


def texts(runbook: Runbook) -> Iterator[tuple[Loc, str]]:
    """Every text that may hold placeholders, with where it is in the file."""
    for index, step in enumerate(runbook.steps):
        for key in ("message", "url"):
            text = getattr(step, key)
            if text is not None:
                yield ("steps", index, key), text
    if runbook.replication is not None:
        yield ("replication", "url"), runbook.replication.url


def problems(runbook: Runbook) -> Iterator[tuple[Loc, str]]:
    """A parameter's own name, an unknown or malformed placeholder, and a url that is not one once filled in."""
    for name in runbook.parameters:
        if name in BUILT_IN:
            yield ("parameters", name), f"{name} is always the runbook's own {name}: choose another name"
        elif not name or not set(name) <= _NAME_CHARS or name[0].isdigit():
            yield ("parameters", name), "expected a name of small letters, digits and '_' (host, min_healthy)"
    known = values(runbook)
    for loc, text in texts(runbook):
        found = list(_placeholder_problems(text, known))
        yield from ((loc, what) for what in found)
        if not found and loc[-1] == "url":
            try:
                _URL.validate_python(fill(runbook, text))
            except ValidationError:
                yield loc, f"not a URL once its parameters are filled in: {fill(runbook, text)[:120]}"
    for index, step in enumerate(runbook.steps):
        if isinstance(step.min_healthy, str) and min_healthy(runbook, step) is None:
            yield (
                ("steps", index, "min_healthy"),
                (f"expected a number, or {{name}} of a parameter holding one, not {step.min_healthy!r}"),
            )


def _placeholder_problems(text: str, known: dict[str, str]) -> Iterator[str]:
    try:
        parts = list(Formatter().parse(text))
    except ValueError as exc:
        yield f"{exc} (a brace that is not a placeholder is written twice: {{{{ or }}}})"
        return
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if spec or conversion or name not in known:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            hint = did_you_mean(name, list(known)) or f" (parameters: {', '.join(known)})"
            what = "a placeholder is only {name}" if name in known else f"unknown parameter '{name}'"
            yield f"{what} in {shown}{hint if name not in known else ''}"
