"""Reading the alerting file (setting `alerting`, env OPSBOT_ALERTING; unset: the shipped default). Every
problem comes back at once, each as 'FILE:LINE: what is wrong': the file's shape and the names it uses (users,
schedules, escalations, phones) in the same run, even when the shape is wrong (see `salvage`).
`check_alerting` cross-checks a loaded file against the main policy: its users, their phones, its environments."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from core.annotations import keys_at
from core.errors import ConfigError, first_of
from policies.alerting.identities import chat_identities, person_for_phone, phone_of
from policies.alerting.model import AlertingPolicy
from policies.alerting.references import cross_problems, find_problems, phone_step_problems
from policies.alerting.salvage import salvage
from policies.model import Policy, did_you_mean
from policies.references import Problem
from policies.yamlfile import describe, read_yaml

__all__ = ["DEFAULT_ALERTING", "chat_identities", "check_alerting", "load_alerting", "person_for_phone", "phone_of"]

DEFAULT_ALERTING = Path(__file__).parents[1] / "alerting.yaml"


def load_alerting(
    path: Path | None = None, *, policy: Policy | None = None, no_phone: str | None = None
) -> AlertingPolicy:
    """The alerting policy in `path` (None: the shipped default). With `policy`, the cross-check of
    `check_alerting` runs too, with lines. `no_phone`: why SMS and call steps cannot page (e.g. Twilio is not
    configured); each escalation that has one is then a problem. Raises ConfigError listing every problem."""
    path = path or DEFAULT_ALERTING
    document = read_yaml(path)
    data = document.mapping("an alerting policy", "'routes'")
    try:
        alerting = AlertingPolicy.model_validate(data)
    except ValidationError as exc:
        found: list[Problem] = [(err["loc"], _describe(err)) for err in exc.errors()]
        salvaged = salvage(data)  # what still reads: its names are checked in this same run
        found += [(salvaged.original(loc), what) for loc, what in _names(salvaged.alerting, policy, no_phone)]
        raise _invalid(document.problems(found)) from exc
    if found := _names(alerting, policy, no_phone):
        raise _invalid(document.problems(found))
    return alerting


def _invalid(problems: list[str]) -> ConfigError:
    return ConfigError(first_of(problems), problems)


def _names(alerting: AlertingPolicy, policy: Policy | None, no_phone: str | None) -> list[Problem]:
    found = find_problems(alerting)
    if policy is not None:
        found += cross_problems(alerting, policy)
    if no_phone is not None:
        found += phone_step_problems(alerting, no_phone)
    return found


def check_alerting(alerting: AlertingPolicy, policy: Policy) -> list[str]:
    """What does not fit between `alerting` and the main `policy`: unknown users and environments, and
    people an SMS or call step may page who have no phone. Empty when all is well."""
    return [what for _, what in [*find_problems(alerting), *cross_problems(alerting, policy)]]


def _describe(err: ErrorDetails) -> str:
    """yamlfile's wording, plus a suggestion for a misspelt key."""
    what = describe(err)
    if err["type"] == "extra_forbidden" and err["loc"]:
        what += did_you_mean(str(err["loc"][-1]), keys_at(AlertingPolicy, err["loc"][:-1]))
    return what
