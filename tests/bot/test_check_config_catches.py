"""`opsbot check-config` catches what would fail later: a malformed endpoint URL (boto3's own AWS_ENDPOINT_URL
too), a misspelt region, SMS and call steps with no Twilio to send them. One line each, naming the setting and
what to check; exit 1; never a secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from policies.alerting.loader import DEFAULT_ALERTING

SECRET = "Sup3rSecretValue"
OK = "OK: settings, policy, alerting, the metrics mapping and the release manifest are valid.\n"
runner = CliRunner()
TWILIO = {
    "OPSBOT_TWILIO_ACCOUNT_SID": "AC" + "0123456789abcdef" * 2,
    "OPSBOT_TWILIO_AUTH_TOKEN": SECRET,
    "OPSBOT_TWILIO_FROM": "+15550100001",
}


def _check(env: dict[str, str]) -> tuple[int, list[str], str]:
    done = runner.invoke(app, ["check-config"], env=env)
    return done.exit_code, done.stderr.splitlines(), done.stdout


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("AWS_ENDPOINT_URL", "http//127.0.0.1:5055", "no '://' after http (like http://127.0.0.1:5000)"),
        ("AWS_ENDPOINT_URL", f"http://opsbot:{SECRET}@127.0.0.1:port", "the port is not a number up to 65535"),
        ("AWS_ENDPOINT_URL_EC2", "ftp://127.0.0.1:5055", "it starts with ftp://, not http:// or https://"),
        ("OPSBOT_AZURE_ARM_URL", "http//127.0.0.1:5055", "no '://' after http (like https://host:8443/path)"),
        ("OPSBOT_GCP_COMPUTE_URL", "127.0.0.1:5056", "it does not start with http:// or https://"),
        ("OPSBOT_TWILIO_API_URL", f"https://{SECRET}@:8443", "no host after https://"),
        ("OPSBOT_TELEGRAM_API_URL", "http://127.0.0.1:99999/bot", "the port is not a number up to 65535"),
        ("OPSBOT_SLACK_API_URL", "https:/slack.internal/api/", "no '://' after https"),
    ],
)
def test_a_malformed_endpoint_url_is_one_line_saying_what_is_wrong(name: str, value: str, problem: str) -> None:
    code, lines, out = _check({name: value})
    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith(f"{name}: not an http(s) URL: {problem}"), lines
    used = runner.invoke(app, ["parse", "status"], env={name: value})
    assert (used.exit_code, used.stderr.splitlines()) == (2, lines)  # a command refuses to start, with the same line
    assert SECRET not in "".join(lines) + out + used.output


def test_well_formed_endpoint_urls_pass() -> None:
    env = {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:5055",
        "AWS_ENDPOINT_URL_STS": "https://sts.eu-west-1.amazonaws.com",
        "OPSBOT_AZURE_ARM_URL": "https://127.0.0.1:5056/",
        "OPSBOT_GCP_COMPUTE_URL": "http://[::1]:5057",
    }
    assert _check(env)[:2] == (0, [])


def test_a_misspelt_aws_region_names_the_account_and_the_closest_region(tmp_path: Path) -> None:
    accounts = '[{"name": "shop", "regions": ["eu-west-1"]}, {"name": "prod", "regions": ["us-east-1", "us-esat-1"]}]'
    code, lines, _ = _check({"OPSBOT_AWS_ACCOUNTS": accounts})
    assert (code, lines) == (
        1,
        ["OPSBOT_AWS_ACCOUNTS: item 2 (prod): regions: 'us-esat-1' is not an AWS region (did you mean us-east-1?)"],
    )
    config = tmp_path / "opsbot.yaml"
    config.write_text("aws_accounts:\n  - name: prod\n    regions:\n      - eu-west-1\n      - mars-north-1\n")
    code, lines, _ = _check({"OPSBOT_CONFIG": str(config)})
    assert (code, lines) == (1, [f"{config}:5: 'mars-north-1' is not an AWS region (like us-east-1)"])


def test_every_partition_of_aws_is_known() -> None:
    regions = '[{"name": "world", "regions": ["us-east-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"]}]'
    assert _check({"OPSBOT_AWS_ACCOUNTS": regions})[:2] == (0, [])


def test_a_gcp_region_given_as_a_zone_is_named() -> None:
    code, lines, _ = _check({"OPSBOT_GCP_PROJECTS": '[{"id": "shop-prod", "zones": ["europe-west1-b", "us-east1"]}]'})
    assert (code, lines) == (
        1,
        ["OPSBOT_GCP_PROJECTS: item 1 (shop-prod): zones: 'us-east1' is a region, not a zone (like us-east1-b)"],
    )


def test_every_phone_step_without_twilio_is_a_line_naming_what_is_missing(tmp_path: Path) -> None:
    alerting = tmp_path / "alerting.yaml"
    alerting.write_text(
        "routes:\n"
        "  - {name: all, escalation: page}\n"
        "escalations:\n"
        "  page:\n"
        "    steps:\n"
        "      - {notify: channel}\n"
        "      - {after: 5m, notify: sms, to: alice}\n"
        "      - {after: 5m, notify: call, to: alice}\n"
        "  night:\n"
        "    steps:\n"
        "      - {notify: call, to: bob}\n"
    )
    env = {"OPSBOT_ALERTING": str(alerting)}
    code, lines, _ = _check(env)
    assert code == 1
    assert lines == [
        f"{alerting}:7: escalation 'page' step 2 pages by sms but OPSBOT_TWILIO_* is not set",
        f"{alerting}:8: escalation 'page' step 3 pages by call but OPSBOT_TWILIO_* is not set",
        f"{alerting}:11: escalation 'night' step 1 pages by call but OPSBOT_TWILIO_* is not set",
    ]
    partial = {**env, "OPSBOT_TWILIO_ACCOUNT_SID": TWILIO["OPSBOT_TWILIO_ACCOUNT_SID"]}
    code, lines, _ = _check(partial)
    missing = "OPSBOT_TWILIO_AUTH_TOKEN and OPSBOT_TWILIO_FROM are not set"
    assert lines[0] == f"{alerting}:7: escalation 'page' step 2 pages by sms but {missing}"
    assert (code, len(lines)) == (1, 3)
    assert _check({**env, **TWILIO})[:2] == (0, [])


def test_the_shipped_alerting_without_twilio_warns_of_each_skipped_step_in_a_deployment() -> None:
    assert _check({}) == (
        0,
        [],
        OK,
    )  # the demo: nothing to page
    slack = {"OPSBOT_SLACK_BOT_TOKEN": f"xoxb-{SECRET}", "OPSBOT_SLACK_APP_TOKEN": "xapp-1-A1-1-abc"}
    code, lines, out = _check(slack)
    assert code == 0 and out == OK
    assert lines, "the shipped default pages by SMS and call"
    assert all(line.startswith(f"{DEFAULT_ALERTING}:") for line in lines)
    assert all(": warning: escalation 'default' step " in line for line in lines)
    assert all(line.endswith("but OPSBOT_TWILIO_* is not set: the shipped alerting skips it") for line in lines)
    assert SECRET not in "".join(lines)
    assert _check({**slack, **TWILIO})[:2] == (0, [])
