from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from bot.runtime import Runtime
from core.settings import Settings


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    built = Runtime.build(settings, with_worker=False)
    yield built
    built.close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
