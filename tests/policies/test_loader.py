"""Policy files with mistakes: each reported as FILE:LINE: what, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.models import ActionName, IntentName
from policies.engine import PolicyEngine
from policies.loader import DEFAULT_POLICY, load_policy
from policies.model import Policy, Role
from tests.policies.conftest import WritePolicy

BASE = """
roles:
  viewer:
    intents: [status]
  operator:
    inherits: viewer
    actions:
      scale: [prod]
users:
  alice:
    role: operator
    identities: ["slack:U1"]
"""


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    return err.value.problems


def test_shipped_default_loads() -> None:
    policy = load_policy()
    assert list(policy.roles) == ["viewer", "operator", "admin"]
    assert {name: user.role for name, user in policy.users.items()} == {
        "alice": "operator",
        "bob": "operator",
        "carol": "admin",
        "dave": "viewer",
        "erin": "admin",
    }
    assert load_policy(DEFAULT_POLICY) == policy


def test_small_valid_file(write_policy: WritePolicy) -> None:
    policy = load_policy(write_policy(BASE))
    assert policy.roles["operator"].actions == {ActionName.SCALE: ("prod",)}
    assert policy.roles["viewer"].intents == {IntentName.STATUS: ("*",)}
    assert policy.default_role is None  # strangers read nothing unless the file says otherwise


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param("    role: operator", "    rol: operator", ["9: missing key 'role'", "10: unknown key 'rol'"],
                     id="a typoed key"),
        pytest.param('["slack:U1"]\n', '["slack:U1"]\nrate_limit:\n  - counts: messages\n',
                     ["12: unknown key 'rate_limit'"], id="a typoed top-level key"),
        pytest.param("      scale: [prod]", "      scael: [prod]",
                     ["7: unknown action 'scael' (did you mean 'scale'?)"], id="an unknown action"),
        pytest.param("intents: [status]", "intents:\n      - status\n      - stauts",
                     ["5: unknown intent 'stauts' (did you mean 'status'?)"], id="an unknown intent in a list"),
        pytest.param("intents: [status]", "intents: [status, restart]",
                     ["3: 'restart' changes infrastructure: list it under actions"], id="a change among the intents"),
        pytest.param("    role: operator", "    role: operater",
                     ["10: unknown role 'operater' (did you mean 'operator'?)"], id="a user with an unknown role"),
        pytest.param("    intents: [status]", "    inherits: operator",
                     ["3: roles inherit in a loop: viewer -> operator -> viewer",
                      "5: roles inherit in a loop: operator -> viewer -> operator"], id="an inheritance loop"),
    ],
)  # fmt: skip
def test_a_mistake_is_named_at_its_line(write_policy: WritePolicy, old: str, new: str, expected: list[str]) -> None:
    path = write_policy(BASE.replace(old, new))
    assert problems_of(path) == [f"{path}:{problem}" for problem in expected]


def test_several_reference_problems_come_together(write_policy: WritePolicy) -> None:
    path = write_policy(
        BASE.replace("inherits: viewer", "inherits: guest").replace("[prod]", "[prod, prdo]")
        + "  bob:\n    role: admin\n    identities: [slack:U2, slack:U1]\napprovals: {critical: root}\n"
    )
    assert problems_of(path) == [
        f"{path}:5: unknown role 'guest'",
        f"{path}:7: unknown environment 'prdo' (did you mean 'prod'?)",
        f"{path}:13: unknown role 'admin'",
        f"{path}:14: identity 'slack:U1' already belongs to alice",
        f"{path}:15: unknown role 'root'",
    ]


def test_bad_values(write_policy: WritePolicy) -> None:
    path = write_policy(
        BASE
        + """rate_limits:
  - counts: requests
    limit: 0
    per_seconds: 60
  - role: operator
    user: alice
    counts: changes
    limit: 3
    per_seconds: 60
risk:
  stop: {prod: read}
"""
    )
    assert problems_of(path) == [
        f"{path}:13: Input should be 'messages' or 'changes'",
        f"{path}:14: Input should be greater than or equal to 1",
        f"{path}:16: give role or user, not both",
        f"{path}:22: an action's risk is change or critical",
    ]


def test_bad_identity_and_conversation_key(write_policy: WritePolicy) -> None:
    path = write_policy(BASE.replace('["slack:U1"]', '["U1"]') + 'conversations:\n  "C0DEV": {read_only: true}\n')
    assert problems_of(path) == [
        f"{path}:11: identity 'U1' should look like 'slack:U123ABC' or 'telegram:123456789'",
        f"{path}:13: identity 'C0DEV' should look like 'slack:U123ABC' or 'telegram:123456789'",
    ]


def test_yaml_syntax_error_names_its_line(write_policy: WritePolicy) -> None:
    path = write_policy(BASE.replace("scale: [prod]", "scale: [prod"))
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:8: not valid YAML")
    assert problem.endswith("(while parsing a flow sequence on line 7)")


def test_bare_star_gets_a_hint(write_policy: WritePolicy) -> None:
    path = write_policy(BASE.replace("scale: [prod]", "scale: *"))
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:7: not valid YAML")
    assert problem.endswith("(quote a lone '*')")


def test_duplicate_keys_are_errors(write_policy: WritePolicy) -> None:
    path = write_policy(BASE + "  alice:\n    role: viewer\n")
    assert problems_of(path) == [f"{path}:12: duplicate key 'alice' (first on line 9)"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ":1: expected a mapping with at least 'roles'"),
        ("- roles\n", ":1: expected a mapping with at least 'roles'"),
        ("users: {}\n", ":1: missing key 'roles'"),
    ],
)
def test_not_a_policy(write_policy: WritePolicy, text: str, expected: str) -> None:
    path = write_policy(text)
    assert problems_of(path) == [f"{path}{expected}"]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    assert problems_of(path) == [f"{path}: cannot read (No such file or directory)"]


def test_engine_refuses_a_policy_built_in_code_with_dangling_names() -> None:
    policy = Policy(roles={"viewer": Role()}, default_role="nobody")
    with pytest.raises(ConfigError) as err:
        PolicyEngine(policy)
    assert err.value.problems == ["default_role: unknown role 'nobody'"]
