"""A bug in a route (here: an adapter whose webhook raises with the request's text in its message) answers a
one-line 500 and logs where it happened, never what was sent; the app goes on serving."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.http import build_app
from bot.runtime import Runtime
from tests.http.fake_adapter import FakeAdapter

SENT = "card-number-4111-1111"


class BuggyAdapter(FakeAdapter):
    def routes(self) -> list[BaseRoute]:
        return [Route("/buggy", self._buggy, methods=["POST"])]

    async def _buggy(self, request: Request) -> Response:
        raise ValueError(f"cannot handle {(await request.body()).decode()}")


async def _post(runtime: Runtime) -> tuple[httpx.Response, httpx.Response]:
    transport = httpx.ASGITransport(app=build_app(runtime, [BuggyAdapter()]))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await client.post("/buggy", content=SENT), await client.get("/healthz")


def test_a_bug_is_a_one_line_500_and_a_log_line_without_the_request(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    crashed, after = asyncio.run(_post(runtime))
    assert (crashed.status_code, crashed.text) == (500, "Internal error; try again.")
    assert after.text == "ok"
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.getMessage().startswith("POST /buggy failed with ValueError")
    assert "test_crash_barrier.py" in record.getMessage()  # where it happened
    assert all(SENT not in r.getMessage() and not r.exc_info for r in caplog.records)
