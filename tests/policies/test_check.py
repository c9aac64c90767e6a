"""`opsbot check-config`: settings and policy problems, each with the file and line (or variable)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.check import check_config
from tests.policies.conftest import WritePolicy


def test_defaults_are_fine() -> None:
    assert check_config({}) == []


def test_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_JOB_RETRIES", "many")
    assert check_config() == ["OPSBOT_JOB_RETRIES: not a whole number (expected 0 to 10)"]


def test_bad_variable_and_unknown_variable(tmp_path: Path) -> None:
    env = {
        "OPSBOT_CONFIRM_TTL_SECONDS": "1",
        "OPSBOT_REDIS_UR": "redis://x",
        "OPSBOT_TEST_REDIS_DB": "3",  # the test harness's, not a setting
        "HOME": "/root",
    }
    assert check_config(env) == [
        "OPSBOT_REDIS_UR: not a setting (did you mean 'OPSBOT_REDIS_URL'?)",
        "OPSBOT_CONFIRM_TTL_SECONDS: out of range (expected 5 to 3600)",
    ]


def test_settings_file_problems_name_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "opsbot.yaml"
    config.write_text("sim_seed: 1\nconfirm_ttl_seconds: 2\nlog_levle: INFO\n")
    assert check_config({"OPSBOT_CONFIG": str(config)}) == [
        f"{config}:2: out of range (expected 5 to 3600)",
        f"{config}:3: unknown key 'log_levle'",
    ]


def test_variable_overrides_file_and_takes_the_blame(tmp_path: Path) -> None:
    config = tmp_path / "opsbot.yaml"
    config.write_text("sim_seed: 1\n")
    assert check_config({"OPSBOT_CONFIG": str(config), "OPSBOT_SIM_SEED": "x"}) == [
        "OPSBOT_SIM_SEED: not a whole number (like 42)"
    ]
    assert check_config({"OPSBOT_CONFIG": str(config), "OPSBOT_SIM_SEED": "7"}) == []


def test_broken_settings_file(tmp_path: Path) -> None:
    config = tmp_path / "opsbot.yaml"
    config.write_text("sim_seed: 1\nlog_level: [\n")
    (problem,) = check_config({"OPSBOT_CONFIG": str(config)})
    assert problem.startswith(f"{config}:3: not valid YAML")
    config.write_text("- sim_seed\n")
    assert check_config({"OPSBOT_CONFIG": str(config)}) == [f"{config}:1: expected a mapping of settings"]
    missing = tmp_path / "missing.yaml"
    assert check_config({"OPSBOT_CONFIG": str(missing)}) == [f"{missing}: cannot read (No such file or directory)"]


def test_policy_named_by_variable_or_file(tmp_path: Path, write_policy: WritePolicy) -> None:
    policy = write_policy("roles:\n  viewer:\n    intents: [status]\n  ops:\n    actions: [scale, reboot]\n")
    expected = [f"{policy}:5: unknown action 'reboot'"]
    assert check_config({"OPSBOT_POLICY": str(policy)}) == expected
    config = tmp_path / "opsbot.yaml"
    config.write_text(f"policy: {policy}\n")
    assert check_config({"OPSBOT_CONFIG": str(config)}) == expected


def test_policy_is_checked_even_when_settings_are_bad(write_policy: WritePolicy) -> None:
    policy = write_policy("roles: {}\n")
    assert check_config({"OPSBOT_POLICY": str(policy), "OPSBOT_SIM_RESOURCES": "5"}) == [
        "OPSBOT_SIM_RESOURCES: out of range (expected 100 to 200000)",
        f"{policy}:1: a policy needs at least one role",
    ]


def test_alerting_file_problems_name_file_and_line(tmp_path: Path) -> None:
    alerting = tmp_path / "alerting.yaml"
    alerting.write_text(
        "routes:\n"
        "  - name: all\n"
        "    escalation: nightly\n"  # no such escalation
        "escalations:\n"
        "  prod:\n"
        "    steps:\n"
        "      - notify: sms\n"
        "        to: zed\n"  # no such user
        "      - {after: 5 minutes, notify: call}\n"  # not a duration
    )
    problems = check_config({"OPSBOT_ALERTING": str(alerting)})
    assert any(p.startswith(f"{alerting}:9:") and "bad duration" in p for p in problems), problems
    loaded = tmp_path / "fixed.yaml"
    loaded.write_text(alerting.read_text().replace("5 minutes", "5m"))
    problems = check_config({"OPSBOT_ALERTING": str(loaded)})
    assert any(p.startswith(f"{loaded}:3:") and "nightly" in p for p in problems), problems
    assert any(p.startswith(f"{loaded}:8:") and "zed" in p for p in problems), problems


def test_json_variables_are_read_as_the_settings_read_them() -> None:
    env = {
        "OPSBOT_AWS_ACCOUNTS": '[{"name": "prod", "regions": ["us-east-1"]}]',
        "OPSBOT_ALERT_SOURCES": '{"generic": {"token": "t0k"}}',
        "OPSBOT_INCIDENT_CHANNELS": '["slack:C0INCIDENT"]',
    }
    assert check_config(env) == []
    assert check_config({"OPSBOT_ALERT_SOURCES": "{generic"}) == [
        'OPSBOT_ALERT_SOURCES: not valid JSON (expected an object like {"alertmanager": {"token": "..."}})'
    ]
    assert check_config({"OPSBOT_ALERT_SOURCES": '{"generic": {}}'}) == [
        "OPSBOT_ALERT_SOURCES: generic: give a token or an hmac_secret"
    ]
