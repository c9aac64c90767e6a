"""Reading the declared type of a pydantic field, for messages and partial reads that walk a model by location:
`Annotated[X, ...]` and `X | None` both mean X there."""

from __future__ import annotations

import types
from typing import Annotated, Union, get_args, get_origin

from pydantic import BaseModel


def unwrap(kind: object) -> object:
    """`Annotated[X, ...]` and `X | None` -> X."""
    while True:
        origin = get_origin(kind)
        if origin is Annotated:
            kind = get_args(kind)[0]
        elif origin in (Union, types.UnionType):
            others = [arg for arg in get_args(kind) if arg is not type(None)]
            if len(others) != 1:
                return kind
            kind = others[0]
        else:
            return kind


def keys_at(kind: object, loc: tuple[int | str, ...] | list[int | str]) -> list[str]:
    """The keys allowed in the mapping at `loc` of a value of type `kind` (a model, or lists and mappings of
    models); [] when that is not a model."""
    for part in loc:
        kind = unwrap(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            field = next((f for n, f in kind.model_fields.items() if part in (n, f.alias)), None)
            if field is None:
                return []
            kind = field.annotation
        elif get_origin(kind) in (tuple, list):
            kind = get_args(kind)[0]
        elif get_origin(kind) is dict:
            kind = get_args(kind)[1]
        else:
            return []
    kind = unwrap(kind)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return [f.alias or n for n, f in kind.model_fields.items()]
    return []
