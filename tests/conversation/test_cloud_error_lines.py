"""Cloud errors as chat and the log tell them, on a configured AWS account (boto3 against moto; some requests sent
to a closed port, a malformed endpoint, or an EC2 stand-in that leaves fields out): the billing line names the
account once, and the operation (GetCostAndUsage); a refresh that fails in a way no SDK mapping knows is one line
naming the source, not "unexpected error" with a traceback."""

from __future__ import annotations

import http.server
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
import redis

from actions.aws import AwsBackend
from actions.inventory.store import InventoryStore
from actions.multicloud import MultiCloud
from actions.resilience import Guard
from actions.unexpected_errors import UNKNOWN
from bot.runtime import Runtime
from core.settings import Settings
from tests.actions.aws import conftest as aws
from tests.actions.aws.conftest import ACCOUNT, REGION, RoutedSession, World
from tests.conversation.conftest import speaker
from workers.inventory import InventoryRefresher

moto_url, world, shared_session = aws.moto_url, aws.world, aws.shared_session  # moto's server and the account


_EC2 = "http://ec2.amazonaws.com/doc/2016-11-15/"
_AUTOSCALING = "http://autoscaling.amazonaws.com/doc/2011-01-01/"


class _HalfAws(http.server.BaseHTTPRequestHandler):
    """An EC2 stand-in that answers in AWS's own XML but leaves out what AWS always sends (an instance's state):
    the SDK parses it, and opsbot's own reading of it is what fails."""

    def do_POST(self) -> None:
        form = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        action = dict(pair.split("=", 1) for pair in form.split("&") if "=" in pair).get("Action", "")
        answers = {
            "DescribeInstances": f'<DescribeInstancesResponse xmlns="{_EC2}"><requestId>1</requestId><reservationSet>'
            "<item><reservationId>r-1</reservationId><instancesSet><item><instanceId>i-0abc1234</instanceId>"
            "</item></instancesSet></item></reservationSet></DescribeInstancesResponse>",
            "DescribeVolumes": f'<DescribeVolumesResponse xmlns="{_EC2}"><requestId>1</requestId><volumeSet/>'
            "</DescribeVolumesResponse>",
            "DescribeAutoScalingGroups": f'<DescribeAutoScalingGroupsResponse xmlns="{_AUTOSCALING}">'
            "<DescribeAutoScalingGroupsResult><AutoScalingGroups/></DescribeAutoScalingGroupsResult>"
            "<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>",
        }
        self._answer(answers.get(action, "<unknown/>").encode(), "text/xml")

    def _answer(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


def _serve(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def half_aws() -> Iterator[str]:
    yield from _serve(_HalfAws)


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def _backend(session: boto3.Session) -> AwsBackend:
    return AwsBackend([ACCOUNT], timeout=2.0, poll_seconds=0.05, session_factory=lambda _account: session)


@dataclass
class Opsbot:
    runtime: Runtime
    store: InventoryStore
    backend: AwsBackend

    def say(self, text: str) -> str:
        return speaker(self.runtime)(text)[0].text

    def refresh(self, routes: dict[str, str] | None = None) -> None:
        """A worker's round: every region read into the cache, some through `routes` (region -> URL)."""
        backend = self.backend if routes is None else _backend(RoutedSession(routes))
        InventoryRefresher([backend], self.store, Guard(fail_max=50, attempts=1), every_seconds=60.0).refresh_all()

    def refresh_billing(self, routes: dict[str, str]) -> None:
        refresher = InventoryRefresher([_backend(RoutedSession(routes))], self.store, Guard(), every_seconds=60.0)
        refresher.refresh_billing()


@pytest.fixture
def opsbot(
    world: World, settings: Settings, redis_conn: redis.Redis, shared_session: boto3.Session
) -> Iterator[Opsbot]:
    backend = _backend(shared_session)
    store = InventoryStore(redis_conn)
    provider = MultiCloud([backend], store, Guard(), timeout_for=lambda _request: 30.0)
    # The account without a cost source (Cost Explorer's daily history off): cost is the list-price estimate with
    # the inventory's month-to-date bill, whose failures these tests read.
    quick = settings.model_copy(
        update={"status_deadline_seconds": 0.1, "aws_accounts": [ACCOUNT], "cost_explorer": False}
    )
    runtime = Runtime.build(quick, with_worker=False, provider=provider)
    yield Opsbot(runtime, store, backend)
    runtime.close()


def _billing_line(text: str) -> str:
    [line] = [line for line in text.splitlines() if line.startswith("AWS prod bill")]
    return line


def test_cost_explorer_not_answering_names_the_account_once(opsbot: Opsbot) -> None:
    opsbot.refresh()
    opsbot.refresh_billing({REGION: _closed_port()})  # Cost Explorer is served from us-east-1
    line = _billing_line(opsbot.say("cost this month"))
    assert line == "AWS prod billing (Cost Explorer): did not answer; will retry", line


def test_an_unexpected_cost_explorer_error_names_get_cost_and_usage(opsbot: Opsbot) -> None:
    opsbot.refresh()
    opsbot.refresh_billing({REGION: "http//127.0.0.1:1"})  # a malformed endpoint: the SDK raises ValueError
    line = _billing_line(opsbot.say("cost this month"))
    assert line.startswith(
        "AWS prod billing (Cost Explorer): GetCostAndUsage failed: ValueError (invalid endpoint URL) - check "
    ), line


def test_a_refresh_failing_in_opsbot_s_own_reading_is_one_line_naming_the_source(
    opsbot: Opsbot, half_aws: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    opsbot.refresh({REGION: half_aws})
    expected = f"AWS prod {REGION}: refresh failed: KeyError ({UNKNOWN})"
    source = opsbot.store.states()[f"aws:prod:{REGION}"]
    assert source.error == expected, source.error
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in loud] == [expected]
    assert all(r.exc_info is None for r in loud)  # the traceback is at DEBUG only
    text = opsbot.say("status")
    assert f"! AWS prod {REGION}: no data yet - refresh failed: KeyError" in text, text
    assert "unexpected error" not in text
