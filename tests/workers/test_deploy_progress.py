"""The one progress message of a deploy, as a phone shows it."""

from __future__ import annotations

from actions.deploy.model import (
    DeployRecord,
    DeployRequest,
    GroupChange,
    GroupRollout,
    RolloutState,
    Strategy,
    VersionSpec,
)
from core.models import Cloud, ConversationRef
from workers.deploy_progress import progress_buttons, progress_text

NOW = 1_790_000_000.0


def record(*states: RolloutState | None, state: str = "starting") -> DeployRecord:
    changes = [
        GroupChange(group_id=f"aws:prod:us-east-1:asg/{name}", group=name, cloud=Cloud.AWS, region="us-east-1",
                    size=size, from_version="v2.3", to_version="v2.4",
                    to=VersionSpec(launch_template="web", template_version="24"), strategy=Strategy(),
                    expected_seconds=300)
        for name, size in (("web-prod", 12), ("web-dr", 0))
    ]  # fmt: skip
    request = DeployRequest(kind="deploy", service="web", environment="prod", version="v2.4", groups=tuple(changes),
                            requested_by="alice")  # fmt: skip
    groups = tuple(
        GroupRollout(change=c, state=s) if s is not None else GroupRollout(change=c)
        for c, s in zip(changes, states, strict=True)
    )
    return DeployRecord(id=7, request=request, state=state, groups=groups,
                        ref=ConversationRef(channel="console", conversation_id="ops"), reply_key="k1",
                        approved_by="carol", created_at=NOW - 90)  # fmt: skip


def test_a_deploy_not_read_yet_shows_sizes_not_made_up_counts() -> None:
    text = progress_text(record(None, None), NOW)
    assert text.splitlines() == [
        "Starting: web v2.4 to prod at 0%",
        "web-prod (AWS) 12 instances - waiting",
        "web-dr (AWS) standby, 0 instances - waiting",
        "Deploy 7, elapsed 1 min (asked by alice, approved by carol)",
    ]


def test_a_rolling_deploy_counts_new_and_healthy_and_offers_pause_and_cancel() -> None:
    rolling = RolloutState(status="rolling", percent=50, updated=6, healthy=11, total=12, unhealthy=("web-prod-7",))
    done = RolloutState(status="succeeded", percent=100)
    shown = record(rolling, done, state="rolling")
    lines = progress_text(shown, NOW).splitlines()
    assert lines[0] == "Deploying web v2.4 to prod: 50%"
    assert lines[1] == "web-prod (AWS) 6/12 new, 11/12 healthy; failing: web-prod-7"
    assert lines[2] == "web-dr (AWS) standby, 0 instances - done"
    assert [b.id for b in progress_buttons(shown)] == ["deploy:pause:7", "deploy:cancel:7"]
