"""What to cut: each rule on a resource made for it, the change offered with it, the order, and the simulated
world's 10,000 resources."""

from __future__ import annotations

from collections import Counter

from actions.costs.recommendations import Recommendation, one_size_down, recommend
from actions.provider import Resource
from actions.simulated.inventory import generate_inventory
from actions.simulated.prices import hourly_price
from core.models import Cloud, IntentName

NOW = 1_765_000_000.0
BUSY = (40.0, 55.0, 61.0, 48.0, 70.0, 52.0)
QUIET = (2.0, 3.0, 1.0, 4.0, 2.5, 3.5)  # p95 4%: idle
LIGHT = (8.0, 12.0, 10.0, 15.0, 9.0, 11.0)  # p95 15%: oversized


def res(name: str, **fields: object) -> Resource:
    base: dict[str, object] = {
        "id": f"aws:us-east-1:{name}", "name": name, "cloud": Cloud.AWS, "kind": "instance", "region": "us-east-1",
        "environment": "prod", "state": "running", "size": "m5.2xlarge", "hourly_cost": 0.384, "cpu": BUSY,
    }  # fmt: skip
    return Resource.model_validate(base | fields)


def only(resource: Resource, **kwargs: object) -> Recommendation:
    [found] = recommend([resource], now=NOW, **kwargs)  # type: ignore[arg-type]
    return found


def test_an_idle_instance_is_stopped() -> None:
    rec = only(res("web-prod-vm3", cpu=QUIET, hourly_cost=0.0832))
    assert rec.text == "web-prod-vm3: CPU under 5% for 7 days - stop it: saves $61/month"
    assert (rec.kind, rec.intent, rec.target, rec.count) == ("idle", IntentName.STOP, "web-prod-vm3", None)
    assert (rec.resource_id, rec.cloud, rec.environment, rec.monthly_saving) == (
        "aws:us-east-1:web-prod-vm3", Cloud.AWS, "prod", 60.74
    )  # fmt: skip


def test_the_metrics_p95_wins_over_the_inventorys_samples() -> None:
    busy_by_samples = res("web-prod-vm3", cpu=BUSY)
    assert only(busy_by_samples, cpu_p95={"aws:us-east-1:web-prod-vm3": 3.0}).kind == "idle"
    assert only(busy_by_samples, cpu_p95={"web-prod-vm3": 3.0}).kind == "idle"  # by name too
    assert recommend([res("web-prod-vm4", cpu=QUIET)], cpu_p95={"web-prod-vm4": 60.0}, now=NOW) == []


def test_an_oversized_instance_goes_one_size_down_by_hand() -> None:
    rec = only(res("api-prod-vm1", cpu=LIGHT))
    assert rec.text == "api-prod-vm1: CPU p95 15% - resize m5.2xlarge -> m5.xlarge: saves $140/month"
    assert rec.monthly_saving == round(0.384 * 730 / 2, 2)  # a size down halves the price in the clouds' lists
    assert (rec.kind, rec.intent, rec.target) == ("oversized", None, None)
    # priced with the ratio of the two sizes in a list that knows both (the simulated one: 0.192 vs 0.5125)
    priced = only(res("api-prod-vm1", cpu=LIGHT), list_price=lambda cloud, size: hourly_price(cloud, "instance", size))
    assert priced.monthly_saving == round(0.384 * 730 * (1 - 0.192 / 0.5125), 2)


def test_sizes_one_step_down() -> None:
    assert one_size_down(Cloud.AWS, "m5.2xlarge") == "m5.xlarge"
    assert one_size_down(Cloud.AWS, "t3.nano") is None
    assert one_size_down(Cloud.AZURE, "Standard_D8s_v5") == "Standard_D4s_v5"
    assert one_size_down(Cloud.AZURE, "Standard_D2s_v5") is None
    assert one_size_down(Cloud.GCP, "n2-standard-8") == "n2-standard-4"
    assert one_size_down(Cloud.GCP, "e2-medium") == "e2-small"
    assert one_size_down(Cloud.GCP, "custom") is None


def test_an_oversized_group_runs_fewer_instances() -> None:
    group = res("api-prod", kind="group", size="n2-standard-4", cloud=Cloud.GCP, count=8, min_count=2,
                unit_hourly_cost=0.1942, hourly_cost=8 * 0.1942, cpu=LIGHT)  # fmt: skip
    rec = only(group)
    assert rec.text == "api-prod: CPU p95 15% - 8 -> 3 instances: saves $709/month"
    assert (rec.intent, rec.target, rec.count) == (IntentName.SCALE, "api-prod", 3)
    members = [res(f"api-prod-{n}", group="api-prod", cpu=QUIET) for n in range(3)]
    assert [r.resource for r in recommend([group, *members], now=NOW)] == ["api-prod"]  # members go with it


def test_non_prod_running_around_the_clock_gets_a_schedule() -> None:
    rec = only(res("web-staging-vm2", environment="staging", hourly_cost=0.192))
    assert rec.text == "web-staging-vm2: staging, on 24/7 - switch it off nights and weekends: saves $107/month"
    assert rec.monthly_saving == round(0.192 * 730 * 128 / 168, 2)
    assert (rec.kind, rec.intent, rec.target) == ("schedule", IntentName.STOP, "web-staging-vm2")
    group = res("web-staging", kind="group", environment="staging", count=3, hourly_cost=1.5, unit_hourly_cost=0.5)
    assert (only(group).intent, only(group).count) == (IntentName.SCALE, 0)
    assert recommend([res("x", environment="staging", tags={"schedule": "office-hours"})], now=NOW) == []
    assert recommend([res("web-dr", kind="group", environment="dr", count=0, hourly_cost=0.0)], now=NOW) == []


def test_an_idle_non_prod_instance_is_stopped_rather_than_scheduled() -> None:
    assert only(res("etl-staging-vm1", environment="staging", cpu=QUIET)).kind == "idle"


def test_disks() -> None:
    loose = res("vol-0abc", kind="disk", state="available", size="512 GiB gp3", hourly_cost=0.0561, cpu=())
    rec = only(loose)
    assert rec.text == "vol-0abc: 512 GiB gp3 disk attached to nothing - delete it: saves $41/month"
    assert (rec.kind, rec.intent) == ("unattached_disk", None)
    assert recommend([res("vol-1", kind="disk", state="in-use", hourly_cost=0.0561, cpu=())], now=NOW) == []

    stopped = res("report-staging-vm2", state="stopped", hourly_cost=0.0, cpu=())
    disks = [res(f"vol-{n}", kind="disk", state="in-use", hourly_cost=0.02, cpu=(),
                 tags={"attached_to": "aws:us-east-1:report-staging-vm2"}) for n in range(2)]  # fmt: skip
    [rec] = recommend([stopped, *disks], now=NOW)
    assert (
        rec.text == "report-staging-vm2: stopped, still paying for 2 disks - snapshot and delete them: saves $29/month"
    )
    assert rec.kind == "stopped_with_disks"
    assert recommend([stopped], now=NOW) == []  # no disk known to be its


def test_biggest_saving_first_and_nothing_for_what_is_busy_or_free() -> None:
    found = recommend(
        [res("busy"), res("small", cpu=QUIET, hourly_cost=0.05), res("big", cpu=QUIET, hourly_cost=1.0),
         res("free", cpu=QUIET, hourly_cost=0.0), res("db", kind="database", cpu=QUIET)],
        now=NOW,
    )  # fmt: skip
    assert [r.resource for r in found] == ["big", "small"]


def test_the_simulated_world_has_savings_of_every_common_kind() -> None:
    inventory = generate_inventory(42, 10_000)
    found = recommend(inventory, now=NOW)
    kinds = Counter(r.kind for r in found)
    assert {"schedule", "unattached_disk", "oversized"} <= set(kinds)
    assert [r.monthly_saving for r in found] == sorted((r.monthly_saving for r in found), reverse=True)
    assert all(r.intent is not None and r.target == r.resource for r in found if r.kind == "schedule")
