"""The README and docs examples on a configured AWS account, not only on the demo world: opsbot set up the way an
operator does it (an account and two regions in the settings, boto3's credential chain, AWS_ENDPOINT_URL) in front
of moto with an account of 300 tagged instances, Auto Scaling groups with their own limits, stopped instances and
unattached volumes. Every quoted command must be understood and answered as on the demo world."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from bot.runtime import Runtime
from core.cloud_config import AwsAccount
from core.models import ConversationRef, Message, Reply
from core.settings import Settings
from tests.conversation.aws_account import OTHER_REGION, REGION, AwsAccountWorld, build_account
from tests.conversation.test_doc_examples import broken_promises

ROOM = ConversationRef(channel="console", conversation_id="ops-room")


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsAccountWorld]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    empty = tmp_path_factory.mktemp("aws") / "none"
    with pytest.MonkeyPatch.context() as env:
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
            env.delenv(key, raising=False)
        env.setenv("AWS_ENDPOINT_URL", url)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", REGION)
        env.setenv("AWS_CONFIG_FILE", str(Path(empty)))
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(Path(empty)))
        env.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield build_account(url)
    server.stop()


@pytest.fixture
def runtime(account: AwsAccountWorld, settings: Settings) -> Iterator[Runtime]:
    configured = settings.model_copy(
        update={"aws_accounts": [AwsAccount(name="prod", regions=[REGION, OTHER_REGION])], "cloud_poll_seconds": 0.05}
    )
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
