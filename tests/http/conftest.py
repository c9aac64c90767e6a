"""Fixtures of the HTTP tests: a runtime without a worker, a port nothing listens on, real `opsbot serve`
processes (`opsbot_serve`, from tests.serve_process) and the fake Slack Web API (`fake_slack`, the Slack tests')."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.runtime import Runtime
from core.settings import Settings
from fakes.daemon import free_port
from tests.serve_process import opsbot_serve  # noqa: F401 - fixtures, used through pytest
from tests.slack.conftest import fake_slack  # noqa: F401


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    built = Runtime.build(settings, with_worker=False)
    yield built
    built.close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on."""
    return free_port()
