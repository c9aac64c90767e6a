"""The HTTP server under the platform fakes that speak plain HTTP or HTTPS (Telegram, Twilio, Azure ARM, Compute
Engine, the AWS limits proxy): a `ThreadingHTTPServer` on 127.0.0.1 at a free port, serving from a daemon thread,
each request on a thread of its own. `start()` and `stop()`, or a `with` block; `url` is what the client library's
base-URL setting takes. Their request handlers are `LoopbackHandler`s: quiet, and one way to send an answer."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LoopbackHandler(BaseHTTPRequestHandler):
    def reply(self, status: int, body: bytes, headers: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        """Send `status`, `headers`, the Content-Length and `body` (not for a HEAD request). A client that has gone
        meanwhile (a hang test, a long poll cancelled at shutdown) is let go."""
        try:
            self.send_response(status)
            for key, value in headers.items() if isinstance(headers, Mapping) else headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        return  # quiet: the test output is about opsbot


class LoopbackServer:
    def __init__(
        self, handler: type[BaseHTTPRequestHandler], name: str, *, poll: float = 0.05, tls: ssl.SSLContext | None = None
    ) -> None:
        """`handler` answers the requests; `poll`: how often the serving thread looks for `stop()`; `tls`: serve
        HTTPS with this context."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(poll,), name=name, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (requests in progress finish on their own threads) and free the port."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
