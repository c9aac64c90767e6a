"""Reading a policy file. Every problem comes back at once, each as 'FILE:LINE: what is wrong'."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from core.errors import ConfigError
from policies.model import Policy
from policies.references import find_problems
from policies.yamlfile import read_yaml

DEFAULT_POLICY = Path(__file__).with_name("default.yaml")


def load_policy(path: Path | None = None) -> Policy:
    """The policy in `path` (None: the shipped default). Raises ConfigError listing every problem."""
    path = path or DEFAULT_POLICY
    document = read_yaml(path)
    data = document.mapping("a policy", "'roles'")
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems = document.validation_problems(exc)
        raise ConfigError(f"{path}: invalid policy", problems) from exc
    problems = document.problems(find_problems(policy))
    if problems:
        raise ConfigError(f"{path}: invalid policy", problems)
    return policy
