"""Azure and Google Cloud resources answer to the ids their consoles show: an Azure resource id and a Compute
selfLink, through azure-mgmt-compute and google-cloud-compute against the loopback fakes. A MIG member is stopped
by its selfLink and the cloud stops that instance only; labels are tags to `find`."""

from __future__ import annotations

from tests.conversation.conftest import button, outbox_after
from tests.conversation.test_real_clouds import PROJECT, RG, SUB, ZONE, Clouds, clouds

__all__ = ["clouds"]  # the Azure and GCP fakes behind a whole opsbot, as test_real_clouds builds them

ARM = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/db-prod"
LINK = f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/zones/{ZONE}/instances/"


def test_an_azure_vm_is_shown_by_its_resource_id(clouds: Clouds) -> None:
    for typed in (ARM, ARM.upper().replace("DB-PROD", "db-prod"), f"azure:{SUB}:{RG}:vm/db-prod", "vm/db-prod"):
        [shown] = clouds.say(f"show {typed}")
        assert shown.text.startswith("db-prod: running. Azure instance"), (typed, shown.text)


def test_a_mig_member_is_stopped_by_its_selflink_and_only_it(clouds: Clouds) -> None:
    first, second, third = (m.name for m in clouds.gcp.members(PROJECT, ZONE, "api-prod"))
    [ask] = clouds.say(f"stop {LINK}{second}")
    assert ask.text.startswith(f"Stop: {second} (GCP {ZONE}): running -> stopped"), ask.text
    assert "Critical (stop in prod)" in ask.text
    clouds.say(press=button([ask], "Approve"), user="carol")  # an admin
    outbox_after(clouds.runtime)
    statuses = {m.name: m.status for m in clouds.gcp.members(PROJECT, ZONE, "api-prod")}
    assert statuses == {first: "RUNNING", second: "TERMINATED", third: "RUNNING"}
    assert clouds.gcp.seen(f"/instances/{second}/stop", "POST")


def test_labels_are_tags_to_find(clouds: Clouds) -> None:
    [found] = clouds.say("find env=staging batch")
    assert found.text.startswith("10 of 30:\n- batch-0000 (GCP europe-west1-b, instance"), found.text
    [found] = clouds.say("find environment=prod")
    assert "api-prod (GCP" in found.text and "db-prod (Azure" in found.text
