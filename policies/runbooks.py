"""Reading the runbook folder (setting `runbooks`, env OPSBOT_RUNBOOKS; unset: the shipped examples for web-prod ->
web-dr). Each *.yaml file holds one runbook at its top level. Every problem of every file comes back at once as
'FILE:LINE: where: what', read with the policy file's line-keeping YAML reader, so `opsbot check-config` lists them
all; what the schema cannot say (a name used twice, two failovers of one primary, a key that does nothing on its
kind of step, a role or a stakeholder the policy does not know) is found here. The conversation finds the runbook a
person means here too ("fail over web": the service, its primary or its standby)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from core.annotations import keys_at
from core.errors import ConfigError, first_of
from policies import runbook_params
from policies.model import Policy, did_you_mean
from policies.runbook_model import Do, Precondition, Runbook, Step, Wait
from policies.yamlfile import YamlDocument, describe, read_yaml

SHIPPED = Path(__file__).with_name("runbooks")
TICK_ROLE = "operator"  # who may tick a human step that names no role (and whoever inherits from it)

Loc = tuple[str | int, ...]  # a place in a file, as pydantic names it
Problem = tuple[Loc, str]

# The keys that mean something only on some kinds of step: anywhere else they would silently do nothing.
_ONLY_ON: dict[str, tuple[str, frozenset[Do | Wait]]] = {
    "url": ("a health_check step", frozenset({Do.HEALTH_CHECK})),
    "expect_status": ("a health_check step", frozenset({Do.HEALTH_CHECK})),
    "message": ("a post step", frozenset({Do.POST})),
    "min_healthy": (
        "a standby_healthy or primary_healthy wait",
        frozenset({Wait.STANDBY_HEALTHY, Wait.PRIMARY_HEALTHY}),
    ),
    "undo": ("an action step (do)", frozenset(Do)),
    "timeout_seconds": ("an action or a wait", frozenset(Do) | frozenset(Wait)),
}

_NEEDS_DNS = frozenset({Precondition.DNS_POINTS_AT_PRIMARY, Precondition.DNS_POINTS_AT_STANDBY})


def load_runbooks(folder: Path | None = None, *, policy: Policy | None = None) -> dict[str, Runbook]:
    """The runbooks of `folder` (None: the shipped ones) by name. With the `policy`, a human step's role and the
    stakeholders must be its roles and users. Raises ConfigError listing every problem of every file. A file is
    parsed again only when its content changed, so callers need not keep the result."""
    folder = folder or SHIPPED
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such folder of runbooks (OPSBOT_RUNBOOKS names a folder of *.yaml files)")
    by_file = {path: [f"{path}: runbooks are read from *.yaml files: rename it"] for path in folder.glob("*.yml")}
    read: list[tuple[Runbook, YamlDocument]] = []
    for path in folder.glob("*.yaml"):
        try:
            read.append(_read(path, _content(path)))
        except ConfigError as exc:
            by_file[path] = exc.problems
    read.sort(key=lambda item: item[1].path)
    for runbook, document in read:
        found = [*_across(runbook, document, read), *(_people_problems(runbook, policy) if policy else ())]
        if found:
            by_file[document.path] = document.problems(_with_where(found))
    problems = [problem for path in sorted(by_file) for problem in by_file[path]]
    if not read and not problems:
        problems.append(f"{folder}: holds no runbook (*.yaml files)")
    if problems:
        raise ConfigError(first_of(problems), problems)
    return {runbook.name: runbook for runbook, _ in read}


def check_roles(runbooks: Mapping[str, Runbook], policy: Policy) -> list[str]:
    """Problems with the people the runbooks name under `policy` (a human step's role, the stakeholders), each as
    '<runbook>: steps.3.role: what'; an empty list when every one is known. For runbooks already loaded without
    the policy (the workers, once the policy is read): load_runbooks(policy=...) says the same with FILE:LINE."""
    return [
        f"{runbook.name}: {what}"
        for runbook in runbooks.values()
        for _, what in _with_where(_people_problems(runbook, policy))
    ]


def runbook_hash(runbook: Runbook) -> str:
    """sha256 of the runbook's JSON (keys sorted): an approval binds to it, so an edited runbook is not run on an
    approval of the old one."""
    body = json.dumps(runbook.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def find_runbook(runbooks: Mapping[str, Runbook], kind: Literal["failover", "failback"], name: str) -> Runbook | None:
    """The `kind` runbook `name` means: its own name, its primary ("web-prod"), its standby ("web-dr") or its
    service ("web"), in that order, any case; None when none fits, or more than one fits equally."""
    wanted = name.strip().lower()
    candidates = [r for r in runbooks.values() if r.kind == kind]
    for part in ("name", "primary", "standby", "service"):
        found = [r for r in candidates if str(getattr(r, part)).lower() == wanted]
        if found:
            return found[0] if len(found) == 1 else None
    return None


def tick_role(step: Step) -> str:
    """The policy role that may tick a human step (a holder of a role inheriting from it may too)."""
    return step.role or TICK_ROLE


def _content(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""  # read_yaml says why it cannot be read


@lru_cache(maxsize=64)
def _read(path: Path, content: str) -> tuple[Runbook, YamlDocument]:
    document = read_yaml(path)
    data = document.mapping("a runbook", "'name', 'kind', 'primary', 'standby' and 'steps'")
    try:
        runbook = Runbook.model_validate(data)
    except ValidationError as exc:
        found = [_schema_problem(err, data) for err in exc.errors()]
        raise ConfigError(first_of(problems := document.problems(found)), problems) from exc
    if found := list(_with_where(_problems(runbook))):
        raise ConfigError(first_of(problems := document.problems(found)), problems)
    return runbook, document


def _where(loc: Loc) -> str:
    """ "steps.2.wait: ": the line alone is easy to misread in a long file."""
    inside = [str(part) for part in loc if part != "[key]"]
    return f"{'.'.join(inside)}: " if inside else ""


def _with_where(found: Iterable[Problem]) -> Iterator[Problem]:
    for loc, what in found:
        yield loc, f"{_where(loc)}{what}"


def _schema_problem(err: ErrorDetails, data: dict[str, Any]) -> Problem:
    """The YAML files' wording: a misspelt key or action gets a suggestion; a whole runbook's problem is placed
    where it can be fixed."""
    loc, what = tuple(err["loc"]), describe(err)
    last = str(loc[-1]) if loc else ""
    if err["type"] == "extra_forbidden":
        what += did_you_mean(last, keys_at(Runbook, loc[:-1]))
    elif err["type"] == "enum" and (last in ("do", "wait") or loc[:1] == ("preconditions",)):
        enum = Do if last == "do" else Wait if last == "wait" else Precondition
        names = [member.value for member in enum]
        noun = {"do": "action", "wait": "condition"}.get(last, "precondition")
        what = f"unknown {noun} '{err['input']}'"
        what += did_you_mean(str(err["input"]), names) or f" (one of: {', '.join(names)})"
    elif err["type"] == "literal_error":
        what = f"expected {err.get('ctx', {}).get('expected', 'one of the names shown in docs/dr.md')}"
    elif err["type"] == "string_pattern_mismatch" and last == "name":
        what = "expected a name of small letters, digits and '-' (web-failover)"
    elif not loc:
        loc = _whole_runbook_place(what, data)
        what = what.removeprefix("dns.places ")
    if err["type"] in ("extra_forbidden", "missing"):
        return loc, f"{_where(loc[:-1])}{what}"
    return loc, f"{_where(loc)}{what}"


def _whole_runbook_place(what: str, data: dict[str, Any]) -> Loc:
    """Where to point for a problem the model finds with the runbook as a whole: its dns places, or the first
    step that needs a DNS name."""
    if what.startswith("dns.places"):  # the model's words name the place already
        return ("dns", "places")
    steps = data.get("steps")
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, dict) and (step.get("do") == Do.SWITCH_DNS or step.get("wait") == Wait.DNS_SETTLED):
            return ("steps", index)
    return ()


def _problems(runbook: Runbook) -> Iterator[Problem]:
    """What the schema cannot say about one runbook."""
    if runbook.standby == runbook.primary:
        yield ("standby",), f"expected another group than the primary ({runbook.primary})"
    switched = False
    for index, step in enumerate(runbook.steps):
        yield from _keys_that_do_nothing(index, step)
        if step.wait is Wait.DNS_SETTLED and not switched:
            yield ("steps", index, "wait"), "dns_settled waits for a DNS change: put a switch_dns step before it"
        switched = switched or step.do is Do.SWITCH_DNS
    yield from runbook_params.problems(runbook)
    for index, condition in enumerate(runbook.preconditions):
        if condition is Precondition.REPLICATION_LAG_BELOW and runbook.replication is None:
            yield ("preconditions", index), "replication_lag_below reads the replication check: add replication: url"
        if condition in _NEEDS_DNS and runbook.dns is None:
            yield ("preconditions", index), f"{condition.value} reads where DNS points: add the runbook's dns"


def _keys_that_do_nothing(index: int, step: Step) -> Iterator[Problem]:
    kind = step.do or step.wait
    for key in sorted(step.model_fields_set & _ONLY_ON.keys()):
        meant_for, kinds = _ONLY_ON[key]
        if kind not in kinds:
            yield ("steps", index, key), f"{key} is for {meant_for}: this step does not use it"


def _across(runbook: Runbook, document: YamlDocument, read: list[tuple[Runbook, YamlDocument]]) -> Iterator[Problem]:
    """A name unique across the files, and at most one failover and one failback of each primary: the files read
    before this one (in the order of their names) keep theirs."""
    before = read[: next(i for i, (_, d) in enumerate(read) if d is document)]
    if first := next((d for r, d in before if r.name == runbook.name), None):
        yield ("name",), f"{runbook.name} is already the name of the runbook in {first.path.name}: rename one"
    if other := next(((r, d) for r, d in before if (r.primary, r.kind) == (runbook.primary, runbook.kind)), None):
        yield ("kind",), f"{runbook.primary} already has a {runbook.kind}: {other[0].name} in {other[1].path.name}"


def _people_problems(runbook: Runbook, policy: Policy) -> Iterator[Problem]:
    roles = list(policy.roles)
    for index, step in enumerate(runbook.steps):
        if step.human and tick_role(step) not in policy.roles:
            role = tick_role(step)
            hint = did_you_mean(role, roles) or f" (roles: {', '.join(roles)})"
            if step.role is None:
                yield ("steps", index, "human"), f"no role is named, and the policy has no role '{TICK_ROLE}'{hint}"
            else:
                yield ("steps", index, "role"), f"unknown role '{role}'{hint}"
    users = list(policy.users)
    for index, user in enumerate(runbook.stakeholders):
        if user not in policy.users:
            yield ("stakeholders", index), f"unknown user '{user}'{did_you_mean(user, users)}"
