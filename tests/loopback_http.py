"""The one small HTTP server the tests stand up on 127.0.0.1 when the other end must be a real socket: an SNS
host a subscription is confirmed at, an HTTPS certificate host, a Prometheus exporter, a webhook receiver, a web
page where AWS was expected.

`LoopbackHttp(answer)` records every GET and POST (`requests`) and answers each with `answer(request)`; with `tls`
it serves HTTPS. It is a context manager: entering starts its thread, leaving shuts the server down and joins it.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with its query string
    headers: Message
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str | None = None


class LoopbackHttp:
    """An HTTP(S) server on a free 127.0.0.1 port (`url`, `port`) answering every request with `answer(request)`."""

    def __init__(self, answer: Callable[[Request], Answer], *, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Request] = []
        self._answer = answer
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served._handle(self)

            def do_POST(self) -> None:
                served._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # the base class's parameter name
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port: int = self._server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)

    def __enter__(self) -> LoopbackHttp:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        request = Request(handler.command, handler.path, handler.headers, body)
        self.requests.append(request)
        answer = self._answer(request)
        handler.send_response(answer.status)
        if answer.content_type is not None:
            handler.send_header("Content-Type", answer.content_type)
        handler.send_header("Content-Length", str(len(answer.body)))
        handler.end_headers()
        handler.wfile.write(answer.body)
