"""The intake routes under test: a recording `Ingest` (the integrator's seam), the routes in a Starlette app
behind the same body limit as `opsbot serve`, starlette's TestClient on it, and the app under uvicorn on a free
port for real senders."""

from __future__ import annotations

import socket
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware

from alerts.model import Incoming
from bot.http import MAX_BODY_BYTES, BodyLimit
from bot.intake import IngestResult
from bot.intake.routes import intake_routes
from bot.intake.sns_verify import SnsVerifier
from core.settings import Settings
from tests.eventually import eventually

with warnings.catch_warnings():  # starlette 1.x asks for httpx2; httpx is what the project has
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


@dataclass
class RecordingIngest:
    """Records each batch; answers as a store would (everything new), or raises `error` when set."""

    batches: list[list[Incoming]] = field(default_factory=list)
    error: Exception | None = None

    def __call__(self, incoming: list[Incoming]) -> IngestResult:
        if self.error is not None:
            raise self.error
        self.batches.append(incoming)
        return IngestResult(stored=len(incoming), updated=0)

    @property
    def alerts(self) -> list[Incoming]:
        return [alert for batch in self.batches for alert in batch]


def intake_app(
    settings: Settings,
    connection: redis.Redis,
    ingest: RecordingIngest,
    *,
    clock: Callable[[], float] | None = None,
    verifier: SnsVerifier | None = None,
    max_bytes: int = MAX_BODY_BYTES,
) -> Starlette:
    """The intake routes behind the same body limit as `opsbot serve`."""
    extra: dict[str, Any] = {} if clock is None else {"clock": clock}
    routes = intake_routes(settings, connection, ingest, sns_verifier=verifier, **extra)
    return Starlette(routes=routes, middleware=[Middleware(BodyLimit, max_bytes=max_bytes)])


Post = Callable[..., Any]  # TestClient.post


def client(app: Starlette) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=True)


class Served:
    """The intake app under uvicorn on a free 127.0.0.1 port, in a thread, for real senders (Alertmanager, curl)."""

    def __init__(self, settings: Settings, connection: redis.Redis, ingest: RecordingIngest) -> None:
        config = uvicorn.Config(intake_app(settings, connection, ingest), log_level="warning", access_log=False,
                                lifespan="off")  # fmt: skip
        self.server = uvicorn.Server(config)
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        eventually(lambda: self.server.started or not self.thread.is_alive(), 20, "uvicorn started")
        assert self.server.started, "uvicorn did not start"
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)
        self.socket.close()
