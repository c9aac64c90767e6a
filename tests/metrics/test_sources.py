"""Which metric sources the settings build, in the order a resource tries them; the mapping override they use (and
the FILE:LINE a bad one is reported with); and that building them loads only the SDKs of the configured sources."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from actions.metric_sources import build_sources, check
from actions.metrics.prometheus import PrometheusSource
from core.cloud_config import AwsAccount, AzureSubscription, GcpProject
from core.errors import ConfigError
from core.settings import Settings

AWS: dict[str, Any] = {"aws_accounts": [AwsAccount(name="prod", regions=["us-east-1"])]}
AZURE: dict[str, Any] = {
    "azure_subscriptions": [AzureSubscription(id="11111111-2222-3333-4444-555555555555", name="shop")]
}
GCP: dict[str, Any] = {"gcp_projects": [GcpProject(id="shop-prod")]}
PROMETHEUS: dict[str, Any] = {"prometheus_url": "http://127.0.0.1:9/"}


def names(**settings: Any) -> list[str]:
    return [source.name for source in build_sources(Settings(**settings))]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, ["simulated"]),
        (PROMETHEUS, ["Prometheus", "simulated"]),
        ({**PROMETHEUS, **AWS, **AZURE, **GCP}, ["Prometheus", "CloudWatch", "Azure Monitor", "Cloud Monitoring"]),
        ({**AWS, **GCP}, ["CloudWatch", "Cloud Monitoring"]),
        (AZURE, ["Azure Monitor"]),
        ({**PROMETHEUS, **AWS, "cloud_metrics": False}, ["Prometheus"]),
        ({**AWS, "cloud_metrics": False}, []),  # real clouds and no metrics source: every answer says so
    ],
    ids=["simulated", "prometheus-first", "all", "aws-gcp", "azure", "prometheus-only", "none"],
)
def test_the_settings_choose_the_sources_in_order(settings: dict[str, Any], expected: list[str]) -> None:
    assert names(**settings) == expected


def test_the_simulated_source_follows_the_worlds_seed() -> None:
    (source,) = build_sources(Settings(sim_seed=7))
    assert source.name == "simulated" and getattr(source, "seed", None) == 7


def test_a_mapping_override_reaches_the_sources(tmp_path: Path) -> None:
    override = tmp_path / "metrics.yaml"
    override.write_text("prometheus:\n  instance_label: host\n", encoding="utf-8")
    prometheus = build_sources(Settings(**PROMETHEUS, metrics_mapping=override))[0]
    assert isinstance(prometheus, PrometheusSource)
    assert prometheus.mapping.instance_label == "host"
    assert prometheus.mapping.queries  # the shipped queries stay where the override names none
    assert check(Settings(metrics_mapping=override)) == []


def test_a_bad_mapping_override_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    override = tmp_path / "metrics.yaml"
    override.write_text("gcp:\n  cpu:\n    aligner: ALIGN_MEAN\n    scale: lots\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        build_sources(Settings(metrics_mapping=override))
    assert raised.value.problems == [
        f"{override}:4: gcp.cpu.scale: Input should be a valid number, unable to parse string as a number"
    ]
    assert check(Settings(metrics_mapping=override)) == raised.value.problems


def test_a_mapping_override_that_is_not_yaml_names_its_line(tmp_path: Path) -> None:
    override = tmp_path / "metrics.yaml"
    override.write_text("azure:\n  cpu: {name: Percentage CPU\n", encoding="utf-8")
    (problem,) = check(Settings(metrics_mapping=override))
    assert problem.startswith(f"{override}:3: ")


def test_a_missing_mapping_override_is_one_line(tmp_path: Path) -> None:
    assert check(Settings(metrics_mapping=tmp_path / "nowhere.yaml")) == [
        f"{tmp_path / 'nowhere.yaml'}: cannot read it (No such file or directory)"
    ]


# One process builds each configuration in turn and prints what each newly loaded: lighter ones first.
BUILD = """
import json, sys
from core.settings import Settings
from actions.metric_sources import build_sources
heavy = ("boto3", "azure", "google", "matplotlib")  # not botocore: settings check AWS regions against its data
def loaded():
    return {m.split(".")[0] for m in sys.modules if m.split(".")[0] in heavy}
for given in json.loads(sys.argv[1]):
    before = loaded()
    build_sources(Settings.model_validate_json(given))
    print(" ".join(sorted(loaded() - before)) or "-")
"""


def test_building_loads_only_the_sdks_of_the_configured_sources() -> None:
    steps = [({}, "-"), (PROMETHEUS, "-"), ({**AWS, "cloud_metrics": False}, "-"), (AWS, "boto3")]
    given = [Settings(**settings).model_dump_json(include=set(settings)) for settings, _ in steps]
    done = subprocess.run([sys.executable, "-c", BUILD, json.dumps(given)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:-1] == [loaded for _, loaded in steps]
