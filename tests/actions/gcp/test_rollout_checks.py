"""What stops a MIG update from starting, read through the real SDK from the Compute Engine fake: each check failing
gives its one line (the cloud, the group, the fix), and a group ready to roll gives none."""

from __future__ import annotations

import pytest
from google.auth.credentials import AnonymousCredentials

from actions.gcp.rollout import GcpRollouts
from core.cloud_config import GcpProject
from fakes.gcp_compute import FakeComputeApi
from tests.actions.gcp.conftest import PROJECT, ZONE_B, ZONE_C, mig_change

GROUP = "web-edge-prod"


@pytest.fixture
def group(fake: FakeComputeApi) -> FakeComputeApi:
    fake.rollouts.add_template(PROJECT, "web-v2-3", "n2-standard-8")
    fake.rollouts.add_template(PROJECT, "web-v2-4", "n2-standard-8")
    fake.add_mig(PROJECT, ZONE_B, GROUP, 6, machine_type="n2-standard-8", template="web-v2-3")
    return fake


def test_a_group_ready_to_roll_has_nothing_in_the_way(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    assert rollouts.check(mig_change(size=6, surge=2)) == []
    assert group.seen("/global/instanceTemplates/web-v2-4", "GET")
    assert group.seen(f"/zones/{ZONE_B}/machineTypes/n2-standard-8", "GET")
    assert group.seen("/regions/europe-west1", "GET")
    assert not group.seen("", "PATCH")  # read-only


def test_a_missing_template_is_named_with_the_fix(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    lines = rollouts.check(mig_change(template="web-v2-9", version="v2.9", size=6))

    assert lines == [
        f"GCP: instance template web-v2-9 for {GROUP} was not found in project {PROJECT}: create it, or fix "
        "versions.v2.9.gcp.instance_template in the release manifest"
    ]


def test_a_machine_type_the_zone_does_not_offer(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    group.rollouts.withdrawn.add((ZONE_B, "n2-standard-8"))

    lines = rollouts.check(mig_change(size=6))

    assert lines == [
        f"GCP: machine type n2-standard-8 (template web-v2-4) is not offered in {ZONE_B}, where {GROUP} runs: "
        "make the template with a machine type the zone offers"
    ]


def test_too_little_quota_for_the_surge(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    group.rollouts.set_quota(PROJECT, "europe-west1", "N2_CPUS", 64, 56)  # 8 free; a surge of 2 x 8 needs 16

    lines = rollouts.check(mig_change(size=6, surge=2))

    assert lines == [
        f"GCP: {GROUP} needs 16 N2_CPUS in europe-west1 for its surge (2 x n2-standard-8), 8 of 64 free: "
        "ask Google for more quota or lower the surge"
    ]
    assert rollouts.check(mig_change(size=6, surge=1)) == []  # 8 fit


def test_a_family_without_its_own_metric_counts_against_cpus(fake: FakeComputeApi, rollouts: GcpRollouts) -> None:
    fake.rollouts.add_template(PROJECT, "web-v2-4", "e2-standard-4")
    fake.add_mig(PROJECT, ZONE_B, GROUP, 2, machine_type="e2-standard-4")
    fake.rollouts.set_quota(PROJECT, "europe-west1", "CPUS", 24, 22)

    assert rollouts.check(mig_change(size=2)) == [
        f"GCP: {GROUP} needs 4 CPUS in europe-west1 for its surge (1 x e2-standard-4), 2 of 24 free: "
        "ask Google for more quota or lower the surge"
    ]


def test_a_group_too_unhealthy_to_start(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    for member in group.members(PROJECT, ZONE_B, GROUP)[:2]:
        member.health = "UNHEALTHY"

    lines = rollouts.check(mig_change(size=6, min_healthy_percent=75))

    assert lines == [
        f"GCP: {GROUP} has 4 of 6 instances healthy, fewer than the 75% it keeps in service: repair it first (or "
        "lower min_healthy_percent in the release manifest)"
    ]
    assert rollouts.check(mig_change(size=6, min_healthy_percent=50)) == []


def test_a_strategy_that_can_replace_nothing(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    lines = rollouts.check(mig_change(size=6, surge=0, min_healthy_percent=100))

    assert lines == [
        f"GCP: {GROUP} cannot roll with surge 0 while keeping 100% in service: allow a surge or lower "
        "min_healthy_percent in the release manifest"
    ]


def test_every_problem_at_once(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    group.members(PROJECT, ZONE_B, GROUP)[0].health = "TIMEOUT"

    lines = rollouts.check(mig_change(template="web-v2-9", version="v2.9", size=6, min_healthy_percent=100))

    assert len(lines) == 2
    assert lines[0].startswith(f"GCP: instance template web-v2-9 for {GROUP} was not found")
    assert lines[1].startswith(f"GCP: {GROUP} has 5 of 6 instances healthy, fewer than the 100%")


@pytest.mark.parametrize(
    ("status", "line"),
    [
        (403, f"GCP {GROUP}: credentials refused for project {PROJECT}"),
        (429, f"GCP {GROUP}: GCP is throttling project {PROJECT}; try again shortly."),
        (503, f"GCP {GROUP}: GCP answered 503 for project {PROJECT}."),
    ],
)
def test_a_cloud_error_while_checking_is_one_line(
    group: FakeComputeApi, rollouts: GcpRollouts, status: int, line: str
) -> None:
    group.fail("/global/instanceTemplates/", status)

    lines = rollouts.check(mig_change(size=6))

    assert len(lines) == 1 and lines[0].startswith(line)


def test_a_group_opsbot_does_not_manage(fake: FakeComputeApi) -> None:
    zoned = GcpRollouts([GcpProject(id=PROJECT, zones=[ZONE_C])], compute_url=fake.url,
                        credentials=AnonymousCredentials(), timeout=2.0)  # type: ignore[no-untyped-call]  # fmt: skip

    assert zoned.check(mig_change(size=6)) == [f"GCP: {GROUP} is in a project or zone opsbot does not manage."]
