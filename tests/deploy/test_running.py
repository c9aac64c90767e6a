"""What a group runs when opsbot has no word for it: read from its cloud and named by the manifest."""

from __future__ import annotations

import pytest
import redis

from actions.deploy.manifest import load_manifest
from actions.deploy.model import VersionSpec
from actions.deploy.plan import plan_deploy
from actions.deploy.running import name_of, with_running
from actions.registry import build_provider
from actions.rollout_backends import build_rollouts
from core.errors import ProviderError
from core.models import Cloud
from core.settings import Settings

MANIFEST = load_manifest(None)
WEB = MANIFEST.services["web"]
GALLERY = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/images/providers/Microsoft.Compute"


@pytest.mark.parametrize(
    ("cloud", "spec", "name"),
    [
        (Cloud.AWS, VersionSpec(launch_template="web", template_version="24"), "v2.4"),
        (Cloud.AWS, VersionSpec(launch_template="web", template_version="99"), None),
        (Cloud.AZURE, VersionSpec(image=f"{GALLERY}/galleries/opsbot/images/web/versions/2.3.0"), "v2.3"),
        (Cloud.GCP, VersionSpec(instance_template="projects/p/global/instanceTemplates/web-v2-2"), "v2.2"),
        (Cloud.GCP, VersionSpec(instance_template="web-v2-5"), "v2.5"),
        (Cloud.GCP, None, None),
    ],
)
def test_a_clouds_model_is_named_by_the_manifest(cloud: Cloud, spec: VersionSpec | None, name: str | None) -> None:
    assert name_of(WEB, cloud, spec) == name


def test_groups_opsbot_has_no_word_for_are_read_from_their_cloud(settings: Settings, redis_conn: redis.Redis) -> None:
    inventory = {
        r.name: r.model_copy(update={"version": None})
        for r in build_provider(settings, redis_conn).snapshot().resources
    }  # as a real cloud's inventory: no version on the groups
    backends = build_rollouts(settings, redis_conn, MANIFEST)
    asked = {"kind": "deploy", "service": "web", "version": "v2.4", "groups": inventory, "running": {}}
    request = plan_deploy(MANIFEST, environment="staging", requested_by="alice", **asked)  # type: ignore[arg-type]
    assert {g.from_version for g in request.groups} == {None}
    read = with_running(request, WEB, backends)
    assert {g.group: g.from_version for g in read.groups} == {"web-staging": "v2.3", "web-preview": "v2.3"}
    asked["version"] = "v2.3"
    back = plan_deploy(MANIFEST, environment="staging", requested_by="alice", **asked)  # type: ignore[arg-type]
    with pytest.raises(ProviderError, match=r"^web staging already runs v2\.3 everywhere$"):
        with_running(back, WEB, backends)
