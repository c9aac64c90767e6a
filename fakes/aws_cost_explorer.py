"""A loopback AWS Cost Explorer for what moto's does not do: GetCostForecast, GetRightsizingRecommendation,
scripted NextPageToken pages, refusals (AccessDenied, LimitExceededException, DataUnavailableException) and a
server that never answers. It speaks the protocol boto3 uses for Cost Explorer (AWS JSON 1.1, the operation in
the X-Amz-Target header; errors as {"__type", "Message"}). Point boto3's endpoint_url at `url`.

Each operation answers from its own queue of scripted (status, body); an operation with an empty queue answers
500, so a test sees a request it did not expect. `requests` records (operation, body) of every request."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

from fakes.loopback import LoopbackHandler, LoopbackServer

_CONTENT_TYPE = "application/x-amz-json-1.1"


class FakeCostExplorer(LoopbackServer):
    def __init__(self) -> None:
        self.answers: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.hang: threading.Event | None = None  # set: every request waits (up to 10 s) for it, then gets nothing
        self._lock = threading.Lock()
        super().__init__(_handler(self), "fake-cost-explorer")

    def answer(self, operation: str, body: dict[str, Any]) -> None:
        """Queue a 200 answer for the next request of `operation` ("GetCostForecast")."""
        self.answers.setdefault(operation, []).append((200, body))

    def refuse(self, operation: str, status: int, code: str, message: str) -> None:
        """Queue an error answer: `code` is the exception's name ("LimitExceededException")."""
        self.answers.setdefault(operation, []).append((status, {"__type": code, "Message": message}))

    def operations(self) -> list[str]:
        return [operation for operation, _body in self.requests]

    def stop(self) -> None:
        if self.hang is not None:
            self.hang.set()
        super().stop()

    def next_answer(self, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append((operation, body))
            queue = self.answers.get(operation) or []
            if not queue:
                return 500, {"__type": "InternalFailure", "Message": f"the fake has no answer for {operation}"}
            return queue.pop(0)


def _handler(fake: FakeCostExplorer) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            operation = str(self.headers.get("X-Amz-Target", "")).rpartition(".")[2]
            status, answer = fake.next_answer(operation, body)
            if fake.hang is not None:
                fake.hang.wait(10)
                return
            headers = {"Content-Type": _CONTENT_TYPE, "x-amzn-RequestId": "fake-ce-1"}
            self.reply(status, json.dumps(answer).encode(), headers)

    return Handler
