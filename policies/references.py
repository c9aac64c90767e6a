"""Checks that need the whole file: every role, user and environment a rule names must exist, each
platform identity belongs to one user, and inheritance has no loops. Each problem carries the path of
the offending value in the file, so the loader can name its line."""

from __future__ import annotations

from collections.abc import Iterator

from policies.budgets import scope_problem
from policies.model import ANY, Policy, did_you_mean

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]


def find_problems(policy: Policy) -> list[Problem]:
    return [*_roles(policy), *_users(policy), *_environments(policy), *_scoped(policy), *_budgets(policy)]


def _unknown_role(name: str | None, policy: Policy) -> str | None:
    if name is None or name in policy.roles:
        return None
    return f"unknown role '{name}'{did_you_mean(name, list(policy.roles))}"


def _roles(policy: Policy) -> Iterator[Problem]:
    if (problem := _unknown_role(policy.default_role, policy)) is not None:
        yield ("default_role",), problem
    for key, rule in policy.conversations.items():
        if (problem := _unknown_role(rule.members, policy)) is not None:
            yield ("conversations", key, "members"), problem
    for risk, approver in policy.approvals.items():
        if (problem := _unknown_role(approver, policy)) is not None:
            yield ("approvals", risk.value), problem
    for name, role in policy.roles.items():
        if role.inherits is None:
            continue
        if (problem := _unknown_role(role.inherits, policy)) is not None:
            yield ("roles", name, "inherits"), problem
            continue
        chain: list[str] = [name]
        current: str | None = role.inherits
        while current is not None and current in policy.roles:
            chain.append(current)
            if current in chain[:-1]:
                yield ("roles", name, "inherits"), f"roles inherit in a loop: {' -> '.join(chain)}"
                break
            current = policy.roles[current].inherits


def _users(policy: Policy) -> Iterator[Problem]:
    owners: dict[str, str] = {}
    for name, user in policy.users.items():
        if (problem := _unknown_role(user.role, policy)) is not None:
            yield ("users", name, "role"), problem
        for index, identity in enumerate(user.identities):
            owner = owners.setdefault(identity, name)
            if identity in user.identities[:index]:
                yield ("users", name, "identities", index), f"identity '{identity}' is listed twice"
            elif owner != name:
                yield ("users", name, "identities", index), f"identity '{identity}' already belongs to {owner}"


def _environments(policy: Policy) -> Iterator[Problem]:
    known = [*policy.environments, ANY]

    def check(loc: Loc, env: str) -> Iterator[Problem]:
        if env not in known:
            yield loc, f"unknown environment '{env}'{did_you_mean(env, known)}"

    for name, role in policy.roles.items():
        for field, grants in (("intents", role.intents), ("actions", role.actions)):
            for subject, envs in grants.items():
                for index, env in enumerate(envs):
                    yield from check(("roles", name, field, subject.value, index), env)
    for key, rule in policy.conversations.items():
        for index, env in enumerate(rule.environments):
            yield from check(("conversations", key, "environments", index), env)
    for action, per_env in policy.risk.items():
        for env in per_env:
            yield from check(("risk", action.value, env, "[key]"), env)
    for effect, per_env in policy.effects.risk.items():
        for env in per_env:
            yield from check(("effects", "risk", effect.value, env, "[key]"), env)


def _scoped(policy: Policy) -> Iterator[Problem]:
    rules = [("rate_limits", i, r.role, r.user) for i, r in enumerate(policy.rate_limits)]
    rules += [("blast_radius", i, r.role, r.user) for i, r in enumerate(policy.blast_radius)]
    for field, index, role, user in rules:
        if role is not None and (problem := _unknown_role(role, policy)) is not None:
            yield (field, index, "role"), problem
        if user is not None and user not in policy.users:
            yield (field, index, "user"), f"unknown user '{user}'{did_you_mean(user, list(policy.users))}"


def _budgets(policy: Policy) -> Iterator[Problem]:
    for scope in policy.budgets:
        if (problem := scope_problem(scope, policy.environments)) is not None:
            yield ("budgets", scope, "[key]"), problem
