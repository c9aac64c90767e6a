"""Reading the alerting file (setting `alerting`, env OPSBOT_ALERTING; unset: the shipped default). Every
problem comes back at once, each as 'FILE:LINE: what is wrong'. `check_alerting` cross-checks a loaded file
against the main policy: its users, their phones, its environments."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Annotated, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from core.errors import ConfigError
from policies.alerting.identities import chat_identities, person_for_phone, phone_of
from policies.alerting.model import AlertingPolicy
from policies.alerting.references import cross_problems, find_problems
from policies.model import Policy, did_you_mean
from policies.yamlfile import describe, read_yaml

__all__ = ["DEFAULT_ALERTING", "chat_identities", "check_alerting", "load_alerting", "person_for_phone", "phone_of"]

DEFAULT_ALERTING = Path(__file__).parents[1] / "alerting.yaml"


def load_alerting(path: Path | None = None, *, policy: Policy | None = None) -> AlertingPolicy:
    """The alerting policy in `path` (None: the shipped default). With `policy`, the cross-check of
    `check_alerting` runs too, with lines. Raises ConfigError listing every problem."""
    path = path or DEFAULT_ALERTING
    document = read_yaml(path)
    if not isinstance(document.data, dict):
        raise ConfigError(f"{path}: not an alerting policy", [f"{path}:1: expected a mapping with at least 'routes'"])
    try:
        alerting = AlertingPolicy.model_validate(document.data)
    except ValidationError as exc:
        problems = document.problems((err["loc"], _describe(err)) for err in exc.errors())
        raise ConfigError(f"{path}: invalid alerting policy", problems) from exc
    found = find_problems(alerting)
    if policy is not None:
        found += cross_problems(alerting, policy)
    if found:
        raise ConfigError(f"{path}: invalid alerting policy", document.problems(found))
    return alerting


def check_alerting(alerting: AlertingPolicy, policy: Policy) -> list[str]:
    """What does not fit between `alerting` and the main `policy`: unknown users and environments, and
    people an SMS or call step may page who have no phone. Empty when all is well."""
    return [what for _, what in [*find_problems(alerting), *cross_problems(alerting, policy)]]


def _describe(err: ErrorDetails) -> str:
    """yamlfile's wording, plus a suggestion for a misspelt key."""
    what = describe(err)
    if err["type"] == "extra_forbidden" and err["loc"]:
        what += did_you_mean(str(err["loc"][-1]), _keys_at(AlertingPolicy, err["loc"][:-1]))
    return what


def _keys_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys allowed in the mapping at `loc` of a file read into `model`."""
    kind: object = model
    for part in loc:
        kind = _unwrap(kind)
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
    kind = _unwrap(kind)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return [f.alias or n for n, f in kind.model_fields.items()]
    return []


def _unwrap(kind: object) -> object:
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
