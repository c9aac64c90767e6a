"""Assuming an account's role through STS, and Cost Explorer's month-to-date figures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import boto3
import pytest

from actions.aws import AwsBackend
from actions.aws.costs import month_to_date
from core.cloud_config import AwsAccount
from core.errors import ProviderAuthError
from tests.actions.aws.conftest import ACCOUNT, REGION, World

# moto names CloudWatch actions by the signing name ("monitoring:"); AWS by "cloudwatch:".
READ_ONLY = ["ec2:Describe*", "autoscaling:Describe*", "cloudwatch:GetMetricData", "monitoring:GetMetricData"]


def _policy(actions: list[str]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})


@pytest.fixture
def base_keys(world: World) -> Iterator[tuple[str, str, str]]:
    """A user who may only assume the reader role; moto checks every key while the test runs."""
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="opsbot")
    iam.put_user_policy(UserName="opsbot", PolicyName="assume", PolicyDocument=_policy(["sts:AssumeRole"]))
    key = iam.create_access_key(UserName="opsbot")["AccessKey"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName="opsbot-reader", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName="opsbot-reader", PolicyName="read", PolicyDocument=_policy(READ_ONLY))
    world.post("/moto-api/reset-auth", b"0")
    try:
        yield key["AccessKeyId"], key["SecretAccessKey"], role["Arn"]
    finally:
        world.post("/moto-api/reset-auth", b"inf")


def test_the_accounts_role_is_assumed_for_every_call(base_keys: tuple[str, str, str]) -> None:
    key_id, secret, role_arn = base_keys

    def user_session(_account: AwsAccount) -> boto3.Session:
        return boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret)

    with_role = AwsBackend([AwsAccount(name="prod", regions=[REGION], role_arn=role_arn)], session_factory=user_session)
    names = {r.name for r in with_role.fetch(with_role.scopes()[0])}
    assert {"web-prod", "db-prod", "db-data"} <= names
    without_role = AwsBackend([AwsAccount(name="prod", regions=[REGION])], session_factory=user_session)
    with pytest.raises(ProviderAuthError, match=r"^AWS: credentials refused for prod - check AWS_PROFILE"):
        without_role.fetch(without_role.scopes()[0])


def test_a_role_that_cannot_be_assumed_names_the_role(world: World) -> None:
    world.post("/moto-api/reset-auth", b"0")  # the default "testing" key is unknown: STS refuses it
    role_arn = "arn:aws:iam::123456789012:role/opsbot-reader"
    backend = AwsBackend([AwsAccount(name="prod", regions=[REGION], role_arn=role_arn)])
    try:
        with pytest.raises(ProviderAuthError) as refused:
            backend.fetch(backend.scopes()[0])
    finally:
        world.post("/moto-api/reset-auth", b"inf")
    assert str(refused.value) == f"AWS: credentials refused for prod - check the role {role_arn}"


def _seed(world: World, groups: list[tuple[str, str]]) -> None:
    world.seed_costs([{
        "ResultsByTime": [{
            "TimePeriod": {"Start": "2026-11-01", "End": "2026-11-29"},
            "Total": {},
            "Groups": [{"Keys": [service], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}
                       for service, amount in groups],
            "Estimated": True,
        }],
        "DimensionValueAttributes": [],
    }])  # fmt: skip


def test_month_to_date_by_service_biggest_first(backend: AwsBackend, world: World) -> None:
    _seed(world, [("Amazon Simple Storage Service", "12.3456"), ("Amazon Elastic Compute Cloud - Compute", "1234.5"),
                  ("AWS Lambda", "0.004")])  # fmt: skip
    spend = backend.month_to_date("prod", today=date(2026, 11, 28))
    assert list(spend.items()) == [
        ("Amazon Elastic Compute Cloud - Compute", 1234.5),
        ("Amazon Simple Storage Service", 12.35),
        ("AWS Lambda", 0.0),
    ]


def test_month_to_date_without_charges_is_empty_and_refusals_are_auth_errors(world: World) -> None:
    assert month_to_date(ACCOUNT, today=date(2026, 11, 1)) == {}
    world.post("/moto-api/reset-auth", b"0")
    try:
        with pytest.raises(ProviderAuthError, match=r"^AWS: credentials refused for prod"):
            month_to_date(ACCOUNT, today=date(2026, 11, 1))
    finally:
        world.post("/moto-api/reset-auth", b"inf")
