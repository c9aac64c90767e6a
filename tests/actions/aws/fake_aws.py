"""A tiny AWS query-protocol endpoint on 127.0.0.1 for what moto will not do: throttle, fail with 5xx, or keep
an instance "stopping" forever. Answers each request by its `Action` with a scripted (status, XML, headers);
actions without a script get a 503 RequestLimitExceeded. Records the actions it was asked for."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


def ec2_error(code: str, message: str) -> str:
    error = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return f"<Response><Errors>{error}</Errors><RequestID>r-1</RequestID></Response>"


def query_error(code: str, message: str) -> str:
    """The error shape of the Auto Scaling / CloudWatch query APIs."""
    error = f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
    return f"<ErrorResponse>{error}<RequestId>r-1</RequestId></ErrorResponse>"


def _state(tag: str, name: str, code: int) -> str:
    return f"<{tag}><code>{code}</code><name>{name}</name></{tag}>"


def _response(operation: str, content: str) -> str:
    return f'<{operation}Response xmlns="{EC2_NS}"><requestId>r-1</requestId>{content}</{operation}Response>'


def describe_instances(instance_id: str, name: str, state: str, code: int) -> str:
    tags = f"<tagSet><item><key>Name</key><value>{name}</value></item></tagSet>"
    instance = (
        f"<item><instanceId>{instance_id}</instanceId><instanceType>t3.medium</instanceType>"
        f"{_state('instanceState', state, code)}{tags}</item>"
    )
    reservation = f"<item><reservationId>r-1</reservationId><instancesSet>{instance}</instancesSet></item>"
    return _response("DescribeInstances", f"<reservationSet>{reservation}</reservationSet>")


def stop_instances(instance_id: str) -> str:
    states = _state("currentState", "stopping", 64) + _state("previousState", "running", 16)
    return _response(
        "StopInstances", f"<instancesSet><item><instanceId>{instance_id}</instanceId>{states}</item></instancesSet>"
    )


@dataclass
class FakeAws:
    url: str = ""
    scripts: dict[str, tuple[int, str, dict[str, str]]] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)

    def answer(self, action: str, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        self.scripts[action] = (status, body, headers or {})


@contextmanager
def fake_aws() -> Iterator[FakeAws]:
    fake = FakeAws()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            form = parse_qs(self.rfile.read(length).decode())
            action = form.get("Action", [""])[0]
            fake.actions.append(action)
            status, body, headers = fake.scripts.get(
                action, (503, ec2_error("RequestLimitExceeded", "Request limit exceeded."), {})
            )
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
