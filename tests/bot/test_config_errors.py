"""A malformed setting, through the real `opsbot` command: one line per problem, naming the variable and what a
good value looks like; exit 1 from `check-config`, 2 from the commands that need the settings; never a traceback,
and never a secret's value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

OPSBOT = str(Path(sys.executable).parent / "opsbot")
SECRET = "Sup3rSecretValue"  # planted in every secret below: it must never be printed
runner = CliRunner()

CASES = [
    (
        "OPSBOT_INCIDENT_CHANNELS",
        '["slack:C1",',
        'not valid JSON (expected a list like ["slack:C0123ABCD", "telegram:-100123"])',
    ),
    (
        "OPSBOT_INCIDENT_CHANNELS",
        '["#incident"]',
        '"#incident" is not a channel reference (slack:<channel id> or telegram:<chat id>)',
    ),
    ("OPSBOT_INCIDENT_CHANNELS", '"slack:C0INCIDENT"', "not a list (expected a list like"),
    ("OPSBOT_INCIDENT_CHANNELS", "[5]", 'not text (expected a list like ["slack:C0123ABCD", "telegram:-100123"])'),
    ("OPSBOT_TELEGRAM_TOKEN", f"12345-{SECRET}", "not a bot token (looks like 123456:ABC-...)"),
    ("OPSBOT_TELEGRAM_TOKEN", f"123456:{SECRET}", "not a bot token (looks like 123456:ABC-...)"),
    ("OPSBOT_SLACK_BOT_TOKEN", f"xoxp-{SECRET}", "not a bot token (looks like xoxb-...)"),
    ("OPSBOT_SLACK_APP_TOKEN", f"xoxb-{SECRET}", "not an app-level token (looks like xapp-...)"),
    ("OPSBOT_REDIS_URL", f"redis//:{SECRET}@cache:6379/0", "not a Redis URL (looks like redis://127.0.0.1:6379/0)"),
    ("OPSBOT_REDIS_URL", f"redis://:{SECRET}@cache:port/0", "not a Redis URL (looks like redis://127.0.0.1:6379/0)"),
    (
        "OPSBOT_PUBLIC_URL",
        "ops.example.com",
        "not an http(s) URL: it does not start with http:// or https:// (like https://host:8443/path)",
    ),
    ("OPSBOT_SLACK_API_URL", "http://", "not an http(s) URL: no host after http:// (like https://host:8443/path)"),
    (
        "OPSBOT_ALERT_SOURCES",
        f'{{"generic": {{"token": "{SECRET}"',
        'not valid JSON (expected an object like {"alertmanager": {"token": "..."}})',
    ),
    ("OPSBOT_ALERT_SOURCES", f'{{"generic": {{"tokn": "{SECRET}"}}}}', "generic: unknown key 'tokn' (did you mean"),
    ("OPSBOT_ALERT_SOURCES", '{"generic": {}}', "generic: give a token or an hmac_secret"),
    ("OPSBOT_ALERT_SOURCES", '{"generic": "t0ken"}', "generic: not an object"),
    ("OPSBOT_AWS_ACCOUNTS", '[{"name": "prod"}]', "item 1 (prod): missing key 'regions'"),
    (
        "OPSBOT_AWS_ACCOUNTS",
        '[{"name": "prod", "regions": ["us-east-1"], "role": "r"}]',
        "item 1 (prod): unknown key 'role' (did you mean 'role_arn'?)",
    ),
    (
        "OPSBOT_AWS_ACCOUNTS",
        '["prod"]',
        'item 1: not an object (expected an object like {"name": "prod", "regions": ["us-east-1"]})',
    ),
    ("OPSBOT_AWS_ACCOUNTS", '[{"name": "prod", "regions": "us-east-1"}]', "item 1 (prod): regions: not a list"),
    (
        "OPSBOT_AWS_ACCOUNTS",
        '[{"name": "prod", "regions": ["us-east1"]}]',
        "item 1 (prod): regions: 'us-east1' is not an AWS region (did you mean us-east-1?)",
    ),
    (
        "OPSBOT_AWS_ACCOUNTS",
        '[{"name": "prod", "regions": ["us-east-1"], "role_arn": "opsbot-reader"}]',
        "item 1 (prod): role_arn: 'opsbot-reader' is not a role ARN (like arn:aws:iam::123456789012:role/opsbot)",
    ),
    (
        "OPSBOT_GCP_PROJECTS",
        '[{"id": "shop", "zones": ["europe-west1"]}]',
        "item 1 (shop): zones: 'europe-west1' is a region, not a zone (like europe-west1-b)",
    ),
    ("OPSBOT_AWS_ACCOUNTS", '[{"name": "prod", "regions": ["us-east-1"]},', "not valid JSON (expected a list like"),
    ("OPSBOT_AZURE_SUBSCRIPTIONS", '[{"name": "shop"}]', "item 1 (shop): missing key 'id'"),
    ("OPSBOT_GCP_PROJECTS", '{"id": "shop"}', 'not a list (expected a list like [{"id": "shop-prod"}])'),
    ("OPSBOT_SNS_TOPICS", '["alerts"]', "not an SNS topic ARN (looks like arn:aws:sns:us-east-1:123456789012:alerts)"),
    ("OPSBOT_TWILIO_ACCOUNT_SID", "SK123", "not an account SID (AC and 32 hex digits)"),
    ("OPSBOT_TWILIO_FROM", "555-0100", "not E.164 (like +15550100001)"),
    ("OPSBOT_CONFIRM_TTL_SECONDS", "2m", "not a whole number (expected 5 to 3600)"),
    ("OPSBOT_HTTP_PORT", "99999", "out of range (expected 1 to 65535)"),
    ("OPSBOT_CLOUD_TIMEOUT_SECONDS", "0", "out of range (expected above 0, up to 300)"),
    ("OPSBOT_VOICE_CONFIRM_BELOW", "high", "not a number (expected 0.0 to 1.0)"),
    ("OPSBOT_VOICE_BACKEND", "whisper", "not one of 'auto', 'vosk' or 'pocketsphinx'"),
    ("OPSBOT_LOG_LEVEL", "loud", "not a log level (one of DEBUG, INFO, WARNING, ERROR, CRITICAL)"),
]


@pytest.mark.parametrize(("name", "value", "problem"), CASES)
def test_a_malformed_setting_is_one_line_naming_the_variable(name: str, value: str, problem: str) -> None:
    checked = runner.invoke(app, ["check-config"], env={name: value})
    assert checked.exit_code == 1
    assert checked.stderr.splitlines() == [checked.stderr.strip()]  # one line
    assert checked.stderr.startswith(f"{name}: {problem}"), checked.stderr
    used = runner.invoke(app, ["parse", "status"], env={name: value})
    assert used.exit_code == 2
    assert used.stderr == checked.stderr  # the same line
    assert SECRET not in checked.output + used.output


def test_every_command_names_every_problem_at_once_without_a_traceback() -> None:
    env = {"OPSBOT_INCIDENT_CHANNELS": '["slack:C1",', "OPSBOT_TELEGRAM_TOKEN": SECRET, "OPSBOT_JOB_RETRIES": "a few"}
    expected = [
        'OPSBOT_INCIDENT_CHANNELS: not valid JSON (expected a list like ["slack:C0123ABCD", "telegram:-100123"])',
        "OPSBOT_TELEGRAM_TOKEN: not a bot token (looks like 123456:ABC-...)",
        "OPSBOT_JOB_RETRIES: not a whole number (expected 0 to 10)",
    ]
    base = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_") or k.startswith("OPSBOT_TEST_")}
    for args, code in [
        (["check-config"], 1),
        (["shell"], 2),
        (["say", "status"], 2),
        (["serve"], 2),
        (["worker", "--burst"], 2),
        (["parse", "status"], 2),
    ]:
        done = subprocess.run(
            [OPSBOT, *args], env={**base, **env}, input="", capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == code, (args, done.stderr)
        assert sorted(done.stderr.splitlines()) == sorted(expected), (args, done.stderr)
        assert done.stdout == "" and SECRET not in done.stderr


def test_well_formed_settings_pass() -> None:
    env = {
        "OPSBOT_INCIDENT_CHANNELS": '["slack:C0INCIDENT", "telegram:-1001234567890", "telegram:@opsroom"]',
        "OPSBOT_TELEGRAM_TOKEN": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        "OPSBOT_SLACK_BOT_TOKEN": "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
        "OPSBOT_SLACK_APP_TOKEN": "xapp-1-A111-111-abcdef",
        "OPSBOT_PUBLIC_URL": "https://opsbot.example.com",
        "OPSBOT_TELEGRAM_API_URL": "http://127.0.0.1:8081/bot",
        "OPSBOT_REDIS_URL": "rediss://:pw@cache.internal:6380/2",
        "OPSBOT_TWILIO_ACCOUNT_SID": "AC" + "0123456789abcdef" * 2,
        "OPSBOT_TWILIO_AUTH_TOKEN": "any-token",
        "OPSBOT_TWILIO_FROM": "+15550100001",
        "OPSBOT_SNS_TOPICS": '["arn:aws:sns:eu-west-1:123456789012:opsbot-alerts"]',
        "OPSBOT_LOG_LEVEL": "info",
    }
    done = runner.invoke(app, ["check-config"], env=env)
    assert done.exit_code == 0, done.output


def test_an_empty_variable_is_an_unset_one() -> None:
    env = {"OPSBOT_INCIDENT_CHANNELS": "", "OPSBOT_TWILIO_FROM": "", "OPSBOT_REDIS_URL": "", "OPSBOT_HTTP_PORT": ""}
    done = runner.invoke(app, ["check-config"], env=env)
    assert done.exit_code == 0, done.output


def test_an_alerting_file_with_both_kinds_of_problem_lists_them_all_at_once(tmp_path: Path) -> None:
    alerting = tmp_path / "alerting.yaml"
    alerting.write_text(
        "routes:\n"
        "  - {name: all, escalation: nightly}\n"  # no such escalation
        "escalations:\n"
        "  prod:\n"
        "    steps:\n"
        "      - {after: 5 minutes, notify: sms}\n"  # not a duration
        "      - {after: 5m, notify: call, to: frank}\n"  # no such user
        "schedules:\n"
        "  primary: {handoff: 'mon 9am', start: 2026-01-05, people: [alice, bobb]}\n"  # bad time, no such user
    )
    done = runner.invoke(app, ["check-config"], env={"OPSBOT_ALERTING": str(alerting)})
    assert done.exit_code == 1
    assert done.stderr.splitlines() == [
        f"{alerting}:2: unknown escalation 'nightly'",
        f"{alerting}:6: bad duration '5 minutes': use 30s, 5m, 1h, 1h30m, 2d or a number of seconds",
        f"{alerting}:6: escalation 'prod' step 1 pages by sms but OPSBOT_TWILIO_* is not set",
        f"{alerting}:7: escalation 'prod' step 2: unknown user 'frank'",
        f"{alerting}:7: escalation 'prod' step 2 pages by call but OPSBOT_TWILIO_* is not set",
        f"{alerting}:9: bad time of day '9am': use HH:MM, like \"09:00\"",
        f"{alerting}:9: schedule 'primary': unknown user 'bobb' (did you mean 'bob'?)",
    ]


def test_a_settings_file_gives_the_same_lines_with_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "opsbot.yaml"
    config.write_text(
        f"sim_seed: 1\ntelegram_token: {SECRET}\nlog_levle: INFO\naws_accounts:\n  - name: prod\n    regions: eu\n"
    )
    checked = runner.invoke(app, ["check-config"], env={"OPSBOT_CONFIG": str(config)})
    assert checked.exit_code == 1
    assert sorted(checked.stderr.splitlines()) == [
        f"{config}:2: not a bot token (looks like 123456:ABC-...)",
        f"{config}:3: unknown key 'log_levle'",
        f"{config}:6: not a list",
    ]
    used = runner.invoke(app, ["shell"], env={"OPSBOT_CONFIG": str(config)})
    assert used.exit_code == 2
    assert sorted(used.stderr.splitlines()) == sorted(checked.stderr.splitlines())
    assert SECRET not in checked.output + used.output
    variable = runner.invoke(app, ["shell"], env={"OPSBOT_CONFIG": str(config), "OPSBOT_TELEGRAM_TOKEN": "x"})
    assert "OPSBOT_TELEGRAM_TOKEN: not a bot token (looks like 123456:ABC-...)" in variable.stderr.splitlines()
