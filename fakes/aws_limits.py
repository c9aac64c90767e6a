"""A loopback proxy in front of moto's server that enforces an Auto Scaling group's MinSize/MaxSize, as AWS does.

moto 5 accepts any SetDesiredCapacity and any DesiredCapacity in UpdateAutoScalingGroup; real AWS refuses a
capacity outside the group's bounds with HTTP 400 and a query-protocol `ValidationError` ("New SetDesiredCapacity
value 20 is above max value 10 for the AutoScalingGroup."). This proxy answers those requests itself, with AWS's
error, and forwards every other request to moto unchanged. Point boto3 at `AwsLimits(moto_url).start().url`.

The group's bounds are read from moto at the moment of the request (a DescribeAutoScalingGroups with the caller's
own headers, so the same region and account), so a limit changed after opsbot planned is enforced too."""

from __future__ import annotations

import http.client
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fakes.loopback import LoopbackHandler, LoopbackServer

_NS = "{http://autoscaling.amazonaws.com/doc/2011-01-01/}"
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "host"})


def validation_error(message: str) -> bytes:
    """The body AWS's query protocol sends with a 400 ValidationError."""
    return (
        '<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">'
        f"<Error><Type>Sender</Type><Code>ValidationError</Code><Message>{message}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()


def refusal(action: str, params: dict[str, str], bounds: tuple[int, int, int] | None) -> str | None:
    """AWS's message for a capacity outside the group's bounds, or None when AWS would accept the request.
    `bounds` is the group's (min, max, desired) now; None when the group does not exist (moto answers that)."""
    if bounds is None:
        return None
    low, high, _desired = bounds
    if action == "SetDesiredCapacity" and "DesiredCapacity" in params:
        wanted = int(params["DesiredCapacity"])
        if wanted > high:
            return f"New SetDesiredCapacity value {wanted} is above max value {high} for the AutoScalingGroup."
        if wanted < low:
            return f"New SetDesiredCapacity value {wanted} is below min value {low} for the AutoScalingGroup."
    if action == "UpdateAutoScalingGroup":
        low = int(params.get("MinSize", low))
        high = int(params.get("MaxSize", high))
        if low > high:
            return f"Max bound, {high}, must be greater than or equal to min bound, {low}"
        if "DesiredCapacity" in params:
            wanted = int(params["DesiredCapacity"])
            if not low <= wanted <= high:
                return f"Desired capacity:{wanted} must be between the specified min size:{low} and max size:{high}"
    return None


class AwsLimits(LoopbackServer):
    """The proxy: `start()` serves on 127.0.0.1 (a free port), `url` is what boto3's endpoint_url takes."""

    def __init__(self, moto_url: str) -> None:
        target = urlsplit(moto_url)
        self.moto_host, self.moto_port = target.hostname or "127.0.0.1", target.port or 80
        self.refused: list[str] = []  # every message sent back instead of forwarding, in order
        super().__init__(_handler(self), "aws-limits")

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list[Any], bytes]:
        connection = http.client.HTTPConnection(self.moto_host, self.moto_port, timeout=60)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
            sent["Content-Length"] = str(len(body))
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            connection.close()

    def bounds(self, group: str, headers: dict[str, str]) -> tuple[int, int, int] | None:
        """(MinSize, MaxSize, DesiredCapacity) of `group` as moto holds it now."""
        query = {
            "Action": "DescribeAutoScalingGroups",
            "Version": "2011-01-01",
            "AutoScalingGroupNames.member.1": group,
        }
        status, _headers, body = self.forward("POST", "/", headers, urlencode(query).encode())
        if status != 200:
            return None
        found = ET.fromstring(body).find(f".//{_NS}AutoScalingGroups/{_NS}member")
        if found is None:
            return None
        low, high, desired = (
            int(found.findtext(f"{_NS}{key}") or 0) for key in ("MinSize", "MaxSize", "DesiredCapacity")
        )
        return low, high, desired


def _handler(proxy: AwsLimits) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def do_HEAD(self) -> None:
            self._serve()

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = dict(self.headers.items())
            params = dict(parse_qsl(body.decode("utf-8", "replace"))) if self.command == "POST" else {}
            action = params.get("Action", "")
            if action in ("SetDesiredCapacity", "UpdateAutoScalingGroup") and "AutoScalingGroupName" in params:
                message = refusal(action, params, proxy.bounds(params["AutoScalingGroupName"], headers))
                if message is not None:
                    proxy.refused.append(message)
                    self.reply(400, validation_error(message), {"Content-Type": "text/xml"})
                    return
            status, answer_headers, answer = proxy.forward(self.command, self.path, headers, body)
            self.reply(status, answer, [(k, v) for k, v in answer_headers if k.lower() not in _HOP_BY_HOP])

    return Handler
