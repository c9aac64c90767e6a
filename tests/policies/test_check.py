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


def test_a_conversation_opened_to_a_role_that_does_not_exist_is_refused_with_its_line(
    write_policy: WritePolicy,
) -> None:
    policy = write_policy(
        "roles:\n  viewer:\n    intents: [status]\n"
        'conversations:\n  "slack:C0INCIDENT":\n    name: "#incident"\n    members: veiwer\n'
        '  "telegram:-100123": {members: admin}\n'
    )
    assert check_config({"OPSBOT_POLICY": str(policy)}) == [
        f"{policy}:7: unknown role 'veiwer' (did you mean 'viewer'?)",
        f"{policy}:8: unknown role 'admin'",
    ]
    policy.write_text(policy.read_text().replace("veiwer", "viewer").replace("admin", "viewer"))
    assert not [p for p in check_config({"OPSBOT_POLICY": str(policy)}) if str(policy) in p]


def test_policy_is_checked_even_when_settings_are_bad(write_policy: WritePolicy) -> None:
    policy = write_policy("roles: {}\n")
    assert check_config({"OPSBOT_POLICY": str(policy), "OPSBOT_SIM_RESOURCES": "5"}) == [
        "OPSBOT_SIM_RESOURCES: out of range (expected 100 to 200000)",
        f"{policy}:1: a policy needs at least one role",
    ]


def test_alerting_file_problems_name_file_and_line_all_in_one_run(tmp_path: Path) -> None:
    alerting = tmp_path / "alerting.yaml"
    alerting.write_text(
        "routes:\n"
        "  - name: all\n"
        "    escalation: nightly\n"  # no such escalation
        "escalations:\n"
        "  prod:\n"
        "    steps:\n"
        "      - notify: sms\n"
        "        to: frank\n"  # no such user
        "      - {after: 5 minutes, notify: call}\n"  # not a duration
    )
    assert check_config({"OPSBOT_ALERTING": str(alerting)}) == [
        f"{alerting}:3: unknown escalation 'nightly'",
        f"{alerting}:7: escalation 'prod' step 1 pages by sms but OPSBOT_TWILIO_* is not set",
        f"{alerting}:8: escalation 'prod' step 1: unknown user 'frank'",
        f"{alerting}:9: bad duration '5 minutes': use 30s, 5m, 1h, 1h30m, 2d or a number of seconds",
        f"{alerting}:9: paging 'oncall' needs a schedule: add one under schedules",
        f"{alerting}:9: escalation 'prod' step 2 pages by call but OPSBOT_TWILIO_* is not set",
    ]


def test_phone_steps_of_ones_own_alerting_file_need_twilio(tmp_path: Path) -> None:
    alerting = tmp_path / "alerting.yaml"
    alerting.write_text("routes:\n  - {name: all, escalation: page}\nescalations:\n  page:\n    steps:\n"
                        "      - {notify: channel}\n      - {after: 5m, notify: sms, to: alice}\n")  # fmt: skip
    env = {"OPSBOT_ALERTING": str(alerting)}
    twilio = {
        "OPSBOT_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "OPSBOT_TWILIO_AUTH_TOKEN": "secret",
        "OPSBOT_TWILIO_FROM": "+15550109999",
    }
    problem = f"{alerting}:7: escalation 'page' step 2 pages by sms but"
    assert check_config(env) == [f"{problem} OPSBOT_TWILIO_* is not set"]
    assert check_config({**env, **twilio, "OPSBOT_TWILIO_FROM": ""}) == [f"{problem} OPSBOT_TWILIO_FROM is not set"]
    assert check_config({**env, **twilio}) == []
    assert check_config({}) == []  # the shipped default's phone steps wait until Twilio is configured


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
