"""The release manifest: the shipped example for the demo world, every problem of a broken one with its line, and
what a person types matched to the manifest's names."""

from __future__ import annotations

import pytest

from actions.deploy.manifest import SHIPPED, find_service, load_manifest, version_named
from actions.deploy.model import Manifest
from core.errors import ConfigError
from tests.deploy.conftest import SMALL, WriteReleases


def problems(write_releases: WriteReleases, text: str) -> list[str]:
    path = write_releases(text)
    with pytest.raises(ConfigError) as caught:
        load_manifest(path)
    return [problem.removeprefix(f"{path}:") for problem in caught.value.problems]


def test_shipped_manifest_describes_the_demo_world() -> None:
    manifest = load_manifest(None)
    assert load_manifest(SHIPPED) == manifest
    web, api = manifest.services["web"], manifest.services["api"]
    assert [g.group for g in web.environments["prod"].groups] == ["web-prod", "web-canary", "web-edge-prod", "web-dr"]
    assert [g.group for g in web.environments["staging"].groups] == ["web-staging", "web-preview"]
    assert list(web.versions) == ["v2.2", "v2.3", "v2.4", "v2.5"]
    v24 = web.versions["v2.4"]
    assert v24.aws is not None and v24.aws.describe() == "launch template web v24"
    assert v24.azure is not None and v24.azure.describe() == "2.4.0"
    assert v24.gcp is not None and v24.gcp.describe() == "web-v2-4"
    assert v24.changes and v24.commit
    assert [name for name, v in web.versions.items() if v.simulate_unhealthy] == ["v2.5"]
    assert [g.group for g in api.environments["prod"].groups] == ["api-prod", "api-dr"]
    assert list(api.versions) == ["v5.0", "v5.1", "v5.2"]
    assert all(v.aws is None and v.azure is None and v.gcp is not None for v in api.versions.values())


def test_schema_problems_name_line_and_place(write_releases: WriteReleases) -> None:
    text = SMALL.replace('template_version: "1"', 'template_version: "$Latest"')
    text = text.replace("instance_template: shop-v1-1", "instance_templat: shop-v1-1")
    text = text.replace('aws: {launch_template: shop, template_version: "3"}', "aws: {ami: ami-1, image: x}")
    assert problems(write_releases, text) == [
        '15: shop.versions.v1.0.aws.template_version: expected a launch template version number, in quotes ("7"): '
        "never $Latest or $Default, which a rollback cannot return to",
        "21: shop.versions.v1.1.gcp: unknown key 'instance_templat' (did you mean 'instance_template'?)",
        "24: shop.versions.v1.2.aws.ami: expected an AMI id, like ami-0abc1234def567890",
    ]


def test_a_version_says_one_way_per_cloud(write_releases: WriteReleases) -> None:
    text = SMALL.replace(
        'aws: {launch_template: shop, template_version: "3"}', "aws: {ami: ami-0123456789abcdef0, image: x}"
    )
    assert problems(write_releases, text) == [
        "24: shop.versions.v1.2.aws: say one of: launch_template + template_version, ami (AWS); image (Azure); "
        "instance_template (Google)"
    ]


def test_missing_and_empty_parts(write_releases: WriteReleases) -> None:
    text = SMALL.replace("    groups:\n          - group: shop-test", "    groups: []")
    assert problems(write_releases, text) == ["11: shop.environments.staging.groups: give at least one"]
    assert problems(write_releases, "services:\n  shop:\n    environments: {}\n") == [
        "2: shop: missing key 'versions'",
        "3: shop.environments: give at least one",
    ]


def test_a_number_for_a_version_name_asks_for_quotes(write_releases: WriteReleases) -> None:
    text = SMALL.replace("versions:\n", "versions:\n      2.0:\n        gcp: {instance_template: x}\n")
    assert problems(write_releases, text) == [
        "14: shop.versions.2.0: expected text, not a number: write a version name in quotes, or with its v (v1.0)"
    ]


def test_checks_beyond_the_schema(write_releases: WriteReleases) -> None:
    text = SMALL.replace("- group: shop-test", "- group: shop-east")
    text = text.replace("v1.1:", "'1.0':").replace("v1.2:", "'v1 <!here>':").replace('"https://', '"ftp://')
    text += "      v9:\n        changes: [nothing]\n"
    assert problems(write_releases, text) == [
        "3: shop.compare_url: expected an http(s) address with {from} and {to} in it",
        "12: shop.environments.staging.groups.0.group: shop-east is already in shop prod: a group belongs to one "
        "environment",
        "19: shop.versions.1.0: 1.0 and v1.0 read as the same version: rename one",
        "23: shop.versions.v1 <!here>: a version name is shown in chat: use up to 40 letters, digits, '.', '_', "
        "'+' or '-'",
        "27: shop.versions.v9: says what it is in no cloud: give aws, azure or gcp",
    ]


def test_a_group_belongs_to_one_service(write_releases: WriteReleases) -> None:
    text = SMALL + "  other:\n    environments:\n      prod:\n        groups: [{group: shop-west}]\n"
    text += "    versions:\n      v1: {gcp: {instance_template: t}}\n"
    assert problems(write_releases, text) == [
        "30: other.environments.prod.groups.0.group: shop-west is already in shop prod: a group belongs to one "
        "environment"
    ]


def test_limits_on_services_and_versions(write_releases: WriteReleases) -> None:
    versions = "".join(f"      v{n}: {{gcp: {{instance_template: t{n}}}}}\n" for n in range(201))
    environments = "    environments: {prod: {groups: [{group: g}]}}\n"
    many_versions = f"services:\n  big:\n{environments}    versions:\n{versions}"
    assert problems(write_releases, many_versions) == ["4: big.versions: at most 200 versions (there are 201)"]
    services = "".join(
        f"  s{n}:\n{environments.replace('g}', f'g{n}}}')}    versions: {{v1: {{gcp: {{instance_template: t}}}}}}\n"
        for n in range(51)
    )
    assert problems(write_releases, f"services:\n{services}") == ["1: at most 50 services (there are 51)"]


def test_unreadable_files(write_releases: WriteReleases) -> None:
    assert problems(write_releases, "- a list\n") == ["1: expected a mapping with at least 'services'"]
    (problem,) = problems(write_releases, "services:\n  web: [\n")
    assert problem.startswith("3: not valid YAML")
    (problem,) = problems(write_releases, "services: {}\nservices: {}\n")
    assert problem == "2: duplicate key 'services' (first on line 1)"


def test_a_changed_file_is_read_again(write_releases: WriteReleases) -> None:
    path = write_releases(SMALL)
    assert list(load_manifest(path).services) == ["shop"]
    path.write_text(path.read_text().replace("shop:", "shoq:", 1))
    assert list(load_manifest(path).services) == ["shoq"]


@pytest.fixture
def shipped() -> Manifest:
    return load_manifest(None)


@pytest.mark.parametrize(
    ("typed", "name"),
    [("v2.4", "v2.4"), ("2.4", "v2.4"), ("V2.4", "v2.4"), (" v2.3 ", "v2.3"), ("9f86d08", "v2.4"),
     ("9F86D081884C", "v2.4"), ("9f86d0", None), ("2.6", None), ("web", None), ("", None)],
)  # fmt: skip
def test_version_named(shipped: Manifest, typed: str, name: str | None) -> None:
    assert version_named(shipped.services["web"], typed) == name


def test_a_commit_prefix_two_versions_share_means_neither(write_releases: WriteReleases) -> None:
    shop = load_manifest(write_releases(SMALL.replace("3333333cccc", "1111111bbbb"))).services["shop"]
    assert version_named(shop, "1111111") is None
    assert version_named(shop, "1111111b") == "v1.2"


def test_find_service(shipped: Manifest) -> None:
    assert find_service(shipped, "web") == ("web", None)
    assert find_service(shipped, "API") == ("api", None)
    assert find_service(shipped, "web-prod") == ("web", "prod")
    assert find_service(shipped, "web-preview") == ("web", "staging")
    assert find_service(shipped, "api-dr") == ("api", "prod")
    assert find_service(shipped, "worker-prod") is None
