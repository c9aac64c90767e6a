"""Checks that need more than one part of the alerting file, or the main policy too: routes name
escalations that exist, steps name schedules that exist, the people named are users of the policy, and
everyone an SMS or call step may page has a phone. Each problem carries the path of the offending value,
so the loader can name its line."""

from __future__ import annotations

from collections.abc import Iterator

from policies.alerting.identities import is_e164, phone_identities
from policies.alerting.model import SCHEDULE_PREFIX, TARGETS, AlertingPolicy, Notify, Step
from policies.model import Policy, did_you_mean
from policies.references import Loc, Problem


def find_problems(alerting: AlertingPolicy) -> list[Problem]:
    """Problems within the file itself."""
    return [*_names(alerting), *_escalation_refs(alerting), *_step_targets(alerting)]


def cross_problems(alerting: AlertingPolicy, policy: Policy) -> list[Problem]:
    """Problems between the file and the main policy (its users, their phones, its environments)."""
    return [*_people(alerting, policy), *_environments(alerting, policy), *_phones(alerting, policy)]


def _names(alerting: AlertingPolicy) -> Iterator[Problem]:
    routes = [r.name for r in alerting.routes]
    windows = [m.name for m in alerting.maintenance]
    freezes = [f.name for f in alerting.deploy_freezes]
    for field, names in (("routes", routes), ("maintenance", windows), ("deploy_freezes", freezes)):
        for index, name in enumerate(names):
            if name in names[:index]:
                yield (field, index, "name"), f"the name '{name}' is used twice"


def _escalation_refs(alerting: AlertingPolicy) -> Iterator[Problem]:
    known = list(alerting.escalations)
    for index, route in enumerate(alerting.routes):
        if route.escalation is not None and route.escalation not in alerting.escalations:
            hint = did_you_mean(route.escalation, known) if known else " (there are no escalations)"
            yield ("routes", index, "escalation"), f"unknown escalation '{route.escalation}'{hint}"


def _steps(alerting: AlertingPolicy) -> Iterator[tuple[Loc, Step]]:
    for name, escalation in alerting.escalations.items():
        for index, step in enumerate(escalation.steps):
            yield ("escalations", name, "steps", index), step


def _step_targets(alerting: AlertingPolicy) -> Iterator[Problem]:
    default = alerting.default_schedule
    known = list(alerting.schedules)
    for loc, step in _steps(alerting):
        target = step.target
        if target is None:
            continue
        if target.startswith(SCHEDULE_PREFIX):
            name = target.removeprefix(SCHEDULE_PREFIX)
            if name not in alerting.schedules:
                yield (*loc, "to"), f"unknown schedule '{name}'{did_you_mean(name, known)}"
        elif target in TARGETS and default is None:
            yield (*loc, "to" if step.to else "notify"), f"paging '{target}' needs a schedule: add one under schedules"
        elif target == "manager" and default is not None and alerting.schedules[default].manager is None:
            yield (*loc, "to"), f"to: manager, but schedule '{default}' has no manager"


def _people(alerting: AlertingPolicy, policy: Policy) -> Iterator[Problem]:
    users = list(policy.users)

    def check(loc: Loc, name: str, where: str) -> Iterator[Problem]:
        if name not in policy.users:
            yield loc, f"{where}: unknown user '{name}'{did_you_mean(name, users)}"

    for name, schedule in alerting.schedules.items():
        for index, person in enumerate(schedule.people):
            yield from check(("schedules", name, "people", index), person, f"schedule '{name}'")
        if schedule.manager is not None:
            yield from check(("schedules", name, "manager"), schedule.manager, f"schedule '{name}'")
        for index, override in enumerate(schedule.overrides):
            yield from check(("schedules", name, "overrides", index, "person"), override.person, f"schedule '{name}'")
    for loc, step in _steps(alerting):
        target = step.target
        if target is not None and target not in TARGETS and not target.startswith(SCHEDULE_PREFIX):
            yield from check((*loc, "to"), target, f"escalation '{loc[1]}' step {int(loc[3]) + 1}")


def _environments(alerting: AlertingPolicy, policy: Policy) -> Iterator[Problem]:
    known = list(policy.environments)
    matches = [(("routes", i, "match"), r.match) for i, r in enumerate(alerting.routes)]
    matches += [(("maintenance", i, "match"), m.match) for i, m in enumerate(alerting.maintenance)]
    for loc, match in matches:
        for index, env in enumerate(match.environment or ()):
            if env not in known:
                yield (*loc, "environment", index), f"unknown environment '{env}'{did_you_mean(env, known)}"
    for i, freeze in enumerate(alerting.deploy_freezes):
        given = freeze.environments if "environments" in freeze.model_fields_set else ()  # not the default prod
        for index, env in enumerate(given):
            if env not in known:
                what = f"unknown environment '{env}'{did_you_mean(env, known)}"
                yield ("deploy_freezes", i, "environments", index), what


def _paged_by_phone(alerting: AlertingPolicy) -> dict[str, tuple[Loc, set[str]]]:
    """user -> (the first step that may phone them, the kinds of phone step)."""
    found: dict[str, tuple[Loc, set[str]]] = {}
    for loc, step in _steps(alerting):
        if step.notify not in (Notify.SMS, Notify.CALL) or step.target is None:
            continue
        for person in _who(alerting, step.target):
            found.setdefault(person, ((*loc, "notify"), set()))[1].add(step.notify.value)
    return found


def _who(alerting: AlertingPolicy, target: str) -> list[str]:
    """Everyone `target` may resolve to, overrides in the file included."""
    name = target.removeprefix(SCHEDULE_PREFIX) if target.startswith(SCHEDULE_PREFIX) else alerting.default_schedule
    schedule = alerting.schedules.get(name) if name is not None else None
    if target not in TARGETS and not target.startswith(SCHEDULE_PREFIX):
        return [target]
    if schedule is None:
        return []
    if target == "manager":
        return [schedule.manager] if schedule.manager else []
    return [*schedule.people, *(o.person for o in schedule.overrides)]


def _phones(alerting: AlertingPolicy, policy: Policy) -> Iterator[Problem]:
    for person, (loc, kinds) in _paged_by_phone(alerting).items():
        if person not in policy.users:
            continue  # reported as an unknown user
        numbers = phone_identities(policy, person)
        steps = " and ".join(sorted(kinds, reverse=True))  # "sms and call"
        if not numbers:
            yield loc, f"{person} has no phone identity: {steps} steps cannot reach them"
        elif not any(is_e164(n) for n in numbers):
            yield loc, f"{person}'s phone '{numbers[0]}' is not E.164 (like +15550100001): {steps} steps fail"


def phone_step_problems(alerting: AlertingPolicy, reason: str) -> list[Problem]:
    """One line per escalation whose SMS or call steps cannot page (`reason`: why), at its first such step."""
    found: dict[str, tuple[Loc, Step, int]] = {}
    for loc, step in _steps(alerting):
        if step.notify in (Notify.SMS, Notify.CALL):
            first, kind, count = found.get(str(loc[1]), (loc, step, 0))
            found[str(loc[1])] = (first, kind, count + 1)
    problems: list[Problem] = []
    for name, (loc, step, count) in found.items():
        more = f" (and {count - 1} more phone step{'s' if count > 2 else ''})" if count > 1 else ""
        what = f"escalation '{name}' step {int(loc[3]) + 1} pages by {step.notify.value} but {reason}{more}"
        problems.append(((*loc, "notify"), what))
    return problems
