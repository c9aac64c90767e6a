"""The replication lag a runbook's check reads from a URL (a loopback server here): "dr status" shows it against its
limit, or why it was not read, and the replication_lag_below precondition refuses a failover while it is too high."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from actions.dr.replication import read_lag
from bot.runtime import Runtime
from core.errors import ProviderError
from core.settings import Settings
from fakes.loopback import LoopbackHandler, LoopbackServer
from policies.runbooks import SHIPPED
from tests.conversation.conftest import Say, SayFactory


class Lag(LoopbackHandler):
    seconds: ClassVar[float] = 4.0
    status: ClassVar[int] = 200
    plain: ClassVar[bool] = False  # a bare number as text, as a small script would answer

    def do_GET(self) -> None:
        if type(self).plain:
            self.reply(type(self).status, f"{type(self).seconds}\n".encode())
            return
        body = json.dumps({"lag_seconds": type(self).seconds, "replica": "db-dr"}).encode()
        self.reply(type(self).status, body, {"Content-Type": "application/json"})


@pytest.fixture
def lag_server() -> Iterator[LoopbackServer]:
    Lag.seconds, Lag.status, Lag.plain = 4.0, 200, False
    with LoopbackServer(Lag, "replication-lag") as server:
        yield server


@pytest.fixture
def dr(settings: Settings, say_factory: SayFactory, tmp_path: Path, lag_server: LoopbackServer) -> tuple[Runtime, Say]:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    for shipped in SHIPPED.glob("*.yaml"):
        (folder / shipped.name).write_text(shipped.read_text())
    failover = folder / "web-failover.yaml"
    text = failover.read_text().replace(
        "stakeholders:",
        f"replication:\n  url: {lag_server.url}/{{service}}/lag\n  field: lag_seconds\n  limit_seconds: 30\n"
        "stakeholders:",
        1,
    )
    failover.write_text(text.replace("  - standby_exists\n", "  - standby_exists\n  - replication_lag_below\n"))
    return say_factory(settings.model_copy(update={"runbooks": folder}))


def test_dr_status_shows_the_lag_against_its_limit(dr: tuple[Runtime, Say]) -> None:
    _runtime, say = dr
    (status,) = say("dr status", user="dave")
    assert "  replication lag 4 s (limit 30 s)" in status.text.splitlines()
    Lag.seconds = 45
    (status,) = say("dr status", user="dave")
    assert "  replication lag 45 s (limit 30 s) - above the limit" in status.text.splitlines()
    Lag.status = 503
    (status,) = say("dr status", user="dave")
    assert any(
        line.startswith("  replication lag: not read - ") and line.endswith("/web/lag answered HTTP 503")
        for line in status.text.splitlines()
    ), status.text


def test_a_failover_is_refused_while_the_lag_is_above_its_limit(dr: tuple[Runtime, Say]) -> None:
    _runtime, say = dr
    (preview,) = say("fail over web-prod")
    assert preview.kind == "confirm"
    assert "replication lag 4 s (limit 30 s)" in preview.text.splitlines()
    assert "Preconditions: all 3 hold." in preview.text.splitlines()
    Lag.seconds = 45
    (refused,) = say("fail over web-prod", user="bob")
    assert refused.kind == "refusal"
    assert refused.text == "Cannot fail over web: precondition failed - replication lag 45 s is above 30 s."


def test_the_lag_reads_a_plain_number_and_refuses_what_is_not_one(lag_server: LoopbackServer) -> None:
    Lag.plain, Lag.seconds = True, 12.5
    assert read_lag(f"{lag_server.url}/lag") == 12.5
    with pytest.raises(ProviderError, match="answered an object: name its field"):
        Lag.plain = False
        read_lag(f"{lag_server.url}/lag")
