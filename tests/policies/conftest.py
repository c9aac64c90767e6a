"""Policies from the shipped default or from small files written by the test."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from core.models import ActionName, ConversationRef, IntentName
from policies.engine import PolicyEngine, PolicyRequest
from policies.loader import load_policy

CONSOLE = ConversationRef(channel="console", conversation_id="ops-room")

WritePolicy = Callable[[str], Path]


@pytest.fixture
def write_policy(tmp_path: Path) -> WritePolicy:
    def write(text: str) -> Path:
        path = tmp_path / "policy.yaml"
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def engine() -> PolicyEngine:
    return PolicyEngine(load_policy())


def ask(
    user: str,
    action: ActionName | None = None,
    environment: str | None = None,
    *,
    intent: IntentName | None = None,
    ref: ConversationRef = CONSOLE,
    instances: int = 0,
    scale_down: bool = False,
) -> PolicyRequest:
    """A request as the conversation core builds it: a changing action carries its intent of the same name."""
    return PolicyRequest(
        user=user,
        intent=intent or (IntentName(action.value) if action else IntentName.STATUS),
        action=action,
        environment=environment,
        ref=ref,
        instances_affected=instances,
        scale_down=scale_down,
    )
