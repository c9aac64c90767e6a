"""What can still be read of an alerting file that does not validate, so that its names can be cross-checked in
the same run: someone fixing the file sees a bad duration and an unknown user at once, not one screen of
errors after another.

Whatever fails is left out at the smallest level that makes sense: a bad value is dropped (its default stands
in), a route, window or override that cannot be read is left out of its list, a step that cannot be read becomes
one that pages nobody (the steps keep their numbers), and an escalation or schedule keeps its name whatever is
wrong inside it, so that nothing naming it is called unknown. The result is built with `model_construct`: only
the cross-checks read it, nothing pages from it. Leaving items out of a list renumbers the rest;
`Salvaged.original` maps a location back to the file's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from core.annotations import unwrap
from policies.alerting.model import AlertingPolicy, Notify, Step
from policies.references import Loc

_BAD = object()


@dataclass
class Salvaged:
    alerting: AlertingPolicy
    kept: dict[Loc, list[int]] = field(default_factory=dict)  # a list's location -> the file indices kept

    def original(self, loc: Loc) -> Loc:
        """`loc` in the salvaged policy -> the same place in the file."""
        out: list[str | int] = []
        for part in loc:
            indices = self.kept.get(tuple(out))
            out.append(indices[part] if isinstance(part, int) and indices is not None else part)
        return tuple(out)


def salvage(data: dict[str, Any]) -> Salvaged:
    kept: dict[Loc, list[int]] = {}
    alerting = _model(AlertingPolicy, data, (), kept, keep=True)
    assert isinstance(alerting, AlertingPolicy)
    return Salvaged(alerting, kept)


def _model(model: type[BaseModel], raw: object, loc: Loc, kept: dict[Loc, list[int]], *, keep: bool) -> object:
    """`raw` as `model`, or what can be read of it; _BAD when a required value is unreadable, unless `keep`."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        failed = {err["loc"][0] for err in exc.errors() if len(err["loc"]) == 1}  # this level's own values
    if not isinstance(raw, dict):
        if not keep:
            return _BAD
        raw = {}  # kept by name, with nothing in it
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        value = _value(info, raw[key], (*loc, key), kept, failed=key in failed) if key in raw else _BAD
        if value is _BAD and info.is_required():
            value = _empty(info)
            if value is _BAD and not keep:
                return _BAD
        if value is not _BAD:
            values[name] = value
    return model.model_construct(**values)


def _value(info: FieldInfo, raw: object, loc: Loc, kept: dict[Loc, list[int]], *, failed: bool) -> object:
    kind = unwrap(info.annotation)
    origin, args = get_origin(kind), get_args(kind)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return _model(kind, raw, loc, kept, keep=False)
    if origin in (tuple, list) and _is_model(args[0]):
        if not isinstance(raw, list):
            return _BAD
        items = [(index, _item(args[0], item, (*loc, index), kept)) for index, item in enumerate(raw)]
        good = [(index, item) for index, item in items if item is not _BAD]
        if len(good) < len(items):
            kept[loc] = [index for index, _ in good]
        return tuple(item for _, item in good)
    if origin is dict and _is_model(args[1]):
        if not isinstance(raw, dict):
            return _BAD
        return {k: _model(args[1], v, (*loc, k), kept, keep=True) for k, v in raw.items() if isinstance(k, str)}
    if failed:
        return _BAD
    try:
        kind_with_rules: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        return TypeAdapter(kind_with_rules).validate_python(raw)
    except ValidationError:
        return _BAD


def _item(kind: type[BaseModel], raw: object, loc: Loc, kept: dict[Loc, list[int]]) -> object:
    """A list item; a step that cannot be read stays, as a channel step (it pages nobody), so that the steps
    after it keep their numbers in messages ("escalation 'main' step 3: ...")."""
    item = _model(kind, raw, loc, kept, keep=False)
    return Step.model_construct(notify=Notify.CHANNEL) if item is _BAD and kind is Step else item


def _is_model(kind: object) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _empty(info: FieldInfo) -> object:
    """An empty list or mapping for a required one that could not be read (the cross-checks find nothing in it)."""
    origin = get_origin(unwrap(info.annotation))
    return () if origin in (tuple, list) else {} if origin is dict else _BAD
