"""Roles resolved once: what each role may use with its inherited grants, and which roles hold which."""

from __future__ import annotations

from core.models import ActionName, IntentName
from policies.model import ANY, Policy

# Intents that change infrastructure are granted as actions (the schema refuses them under intents), and
# StrEnum members equal their text, so IntentName.SCALE finds the grant of ActionName.SCALE.
Subject = IntentName | ActionName


class RoleBook:
    def __init__(self, policy: Policy) -> None:
        self._order = list(policy.roles)  # lowest first
        self._lineage: dict[str, tuple[str, ...]] = {}
        for name in policy.roles:
            lineage, current = [name], policy.roles[name].inherits
            while current is not None and current not in lineage:
                lineage.append(current)
                current = policy.roles[current].inherits
            self._lineage[name] = tuple(lineage)
        # (role, subject) -> environments, with everything inherited folded in
        self._grants: dict[tuple[str, Subject], frozenset[str]] = {}
        for name, ancestors in self._lineage.items():
            for ancestor in ancestors:
                role = policy.roles[ancestor]
                granted: list[tuple[Subject, tuple[str, ...]]] = [*role.intents.items(), *role.actions.items()]
                for subject, envs in granted:
                    key = (name, subject)
                    self._grants[key] = self._grants.get(key, frozenset()) | frozenset(envs)

    def holds(self, role: str, required: str) -> bool:
        """Whether `role` is `required` or inherits from it."""
        return required in self._lineage.get(role, (role,))

    def permits(self, role: str, subject: Subject, environment: str | None) -> bool:
        """An unknown environment (None) is permitted only by a grant for any environment."""
        envs = self._grants.get((role, subject), frozenset())
        return ANY in envs or (environment is not None and environment in envs)

    def permits_somewhere(self, role: str, subject: Subject) -> bool:
        return bool(self._grants.get((role, subject)))

    def lowest_permitting(self, subject: Subject, environment: str | None) -> str | None:
        return next((role for role in self._order if self.permits(role, subject, environment)), None)
