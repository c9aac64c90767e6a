"""The README and docs examples on a configured AWS account, not only on the demo world: opsbot set up the way an
operator does it (an account and two regions in the settings, boto3's credential chain, AWS_ENDPOINT_URL) in front
of moto with an account of 300 tagged instances, Auto Scaling groups with their own limits, stopped instances and
unattached volumes. Every quoted command must be understood and answered as on the demo world."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.runtime import Runtime
from core.cloud_config import AwsAccount
from core.models import ConversationRef, Message, Reply
from core.settings import Settings
from tests.actions.aws.conftest import moto_url
from tests.conversation.aws_account import OTHER_REGION, REGION, AwsAccountWorld, build_account
from tests.conversation.test_doc_examples import broken_promises, unlimited_policy

ROOM = ConversationRef(channel="console", conversation_id="ops-room")
__all__ = ["moto_url"]  # the session's moto server, shared with the AWS backend's own tests


@pytest.fixture
def account(moto_url: str) -> AwsAccountWorld:
    return build_account(moto_url)


@pytest.fixture
def runtime(account: AwsAccountWorld, settings: Settings, tmp_path: Path) -> Iterator[Runtime]:
    configured = settings.model_copy(
        update={"aws_accounts": [AwsAccount(name="prod", regions=[REGION, OTHER_REGION])], "cloud_poll_seconds": 0.05,
                "policy": unlimited_policy(tmp_path), "releases": Path(__file__).with_name("aws_releases.yaml"),
                "runbooks": Path(__file__).with_name("aws_runbooks")}
    )  # fmt: skip
    rt = Runtime.build(configured, with_worker=True)
    assert rt.refresher is not None
    rt.refresher.refresh_all()
    yield rt
    rt.close()


def test_every_command_the_docs_quote_works_on_a_configured_aws_account(runtime: Runtime) -> None:
    def say(text: str = "", *, user: str = "alice", press: str | None = None) -> list[Reply]:
        msg = Message(ref=ROOM, sender=user, text=text, button_id=press, received_at=time.time())
        return runtime.conversation.handle(msg)

    failures = broken_promises(runtime, say)
    assert not failures, "\n".join(failures)
