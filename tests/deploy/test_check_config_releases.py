"""`opsbot check-config` checks the release manifest too: OPSBOT_RELEASES (or `releases` in the settings file), or
the shipped example; each problem with its file and line, beside the other files' problems."""

from __future__ import annotations

from pathlib import Path

from policies.check import check_config
from tests.deploy.conftest import SMALL, WriteReleases

BROKEN = SMALL.replace('template_version: "2"', "template_version: $Latest").replace(
    "- group: shop-test", "- group: shop-west"
)


def test_the_shipped_manifest_is_clean() -> None:
    assert check_config({}) == []


def test_a_broken_manifest_named_by_the_variable(write_releases: WriteReleases) -> None:
    releases = write_releases(BROKEN)
    assert check_config({"OPSBOT_RELEASES": str(releases)}) == [
        f"{releases}:20: shop.versions.v1.1.aws.template_version: expected a launch template version number, in "
        'quotes ("7"): never $Latest or $Default, which a rollback cannot return to'
    ]
    releases.write_text(releases.read_text().replace("$Latest", '"2"'))
    assert check_config({"OPSBOT_RELEASES": str(releases)}) == [
        f"{releases}:12: shop.environments.staging.groups.0.group: shop-west is already in shop prod: a group belongs "
        "to one environment"
    ]
    releases.write_text(SMALL)
    assert check_config({"OPSBOT_RELEASES": str(releases)}) == []


def test_a_manifest_named_in_the_settings_file(tmp_path: Path, write_releases: WriteReleases) -> None:
    releases = write_releases("services:\n  shop: {}\n")
    config = tmp_path / "opsbot.yaml"
    config.write_text(f"releases: {releases}\n")
    assert check_config({"OPSBOT_CONFIG": str(config)}) == [
        f"{releases}:2: shop: missing key 'environments'",
        f"{releases}:2: shop: missing key 'versions'",
    ]


def test_the_manifest_is_checked_even_when_settings_are_bad(write_releases: WriteReleases) -> None:
    releases = write_releases("- not a manifest\n")
    assert check_config({"OPSBOT_RELEASES": str(releases), "OPSBOT_DEPLOY_POLL_SECONDS": "0"}) == [
        "OPSBOT_DEPLOY_POLL_SECONDS: out of range (expected above 0, up to 60)",
        f"{releases}:1: expected a mapping with at least 'services'",
    ]


def test_a_manifest_that_cannot_be_read(tmp_path: Path) -> None:
    missing = tmp_path / "releases.yaml"
    assert check_config({"OPSBOT_RELEASES": str(missing)}) == [f"{missing}: cannot read (No such file or directory)"]
