"""Route 53 changes that take a while, in front of moto's server: moto applies a ChangeResourceRecordSets at once
and answers every change INSYNC under one fixed id; Route 53 gives each change its own id, PENDING until its name
servers have it (usually under a minute), then INSYNC. This proxy forwards everything to moto and
- lists a wildcard name as Route 53 does ("\\052.example.com.") and takes it back so;
- gives each accepted ChangeResourceRecordSets a new change id, PENDING in its answer;
- answers GetChange itself: PENDING for the first `pending_reads` reads of a change, INSYNC after; NoSuchChange
  (404) for an id it never gave;
- can answer the next requests with an error of Route 53's REST-XML shape (`fail`): Throttling (400),
  PriorRequestNotComplete (400), AccessDenied (403), ServiceUnavailable (503), as the API reference gives them.
Point boto3's route53 client at `AwsRoute53(moto_url).start().url`."""

from __future__ import annotations

import re
import secrets
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from fakes.aws_limits import AwsLimits

_NS = "https://route53.amazonaws.com/doc/2013-04-01/"
_CHANGE = re.compile(r"^/2013-04-01/change/([^/?]+)")
_RRSET = re.compile(r"^/2013-04-01/hostedzone/[^/]+/rrset/?$")
NO_SUCH_CHANGE = "A change with the specified change ID does not exist."


def route53_error(code: str, message: str, *, sender: bool = True) -> bytes:
    """The body of a Route 53 error answer."""
    kind = "Sender" if sender else "Receiver"
    return (
        f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{_NS}"><Error><Type>{kind}</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()


@dataclass
class Failure:
    status: int
    code: str
    message: str
    on: str  # "change" (ChangeResourceRecordSets), "get" (GetChange), "list" (ListResourceRecordSets), "" (any)
    times: int


class AwsRoute53(AwsLimits):
    def __init__(self, moto_url: str, *, pending_reads: int = 2) -> None:
        super().__init__(moto_url)
        self.pending_reads = pending_reads
        self._lock = threading.Lock()
        self._reads: dict[str, int] = {}  # change id -> GetChange reads so far
        self._failures: list[Failure] = []
        self.batches: list[str] = []  # the ChangeResourceRecordSets bodies moto accepted, in order

    def fail(self, status: int, code: str, message: str, *, on: str = "", times: int = 1) -> None:
        """Answer the next `times` requests of kind `on` with this error instead of forwarding them."""
        with self._lock:
            self._failures.append(Failure(status, code, message, on, times))

    def clear(self) -> None:
        with self._lock:
            self._reads.clear()
            self._failures.clear()
            self.batches.clear()

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list[Any], bytes]:
        change = _CHANGE.match(path)
        kind = "get" if change else "change" if method == "POST" and _RRSET.match(path) else ""
        kind = kind or ("list" if method == "GET" and "/rrset" in path else "")
        failure = self._failure(kind)
        if failure is not None:
            xml = [("Content-Type", "text/xml")]
            return failure.status, xml, route53_error(failure.code, failure.message, sender=failure.status < 500)
        if change is not None:
            return self._get_change(change.group(1))
        if kind == "change":  # Route 53 reads the escape back as "*"; moto would make a record named "\\052..."
            body = body.replace(b"<Name>\\052", b"<Name>*")
        status, answer_headers, answer = super().forward(method, path, headers, body)
        if kind == "list" and status == 200:  # Route 53 lists a wildcard as its octal escape; moto as "*"
            answer = answer.replace(b"<Name>*", b"<Name>\\052")
        if kind == "change" and status == 200:
            answer = self._pending(answer)
            self.batches.append(body.decode("utf-8", "replace"))
        return status, answer_headers, answer

    def _failure(self, kind: str) -> Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.on in ("", kind) and failure.times > 0:
                    failure.times -= 1
                    return failure
        return None

    def _pending(self, answer: bytes) -> bytes:
        """moto's answer with a change id of its own and PENDING, as Route 53 answers."""
        change_id = "C" + secrets.token_hex(10).upper()
        with self._lock:
            self._reads[change_id] = 0
        text = re.sub(r"<Id>[^<]*</Id>", f"<Id>/change/{change_id}</Id>", answer.decode(), count=1)
        return re.sub(r"<Status>[^<]*</Status>", "<Status>PENDING</Status>", text, count=1).encode()

    def _get_change(self, change_id: str) -> tuple[int, list[Any], bytes]:
        xml = [("Content-Type", "text/xml")]
        with self._lock:
            if change_id not in self._reads:
                return 404, xml, route53_error("NoSuchChange", NO_SUCH_CHANGE)
            self._reads[change_id] += 1
            status = "PENDING" if self._reads[change_id] <= self.pending_reads else "INSYNC"
        info = (
            f"<ChangeInfo><Id>/change/{change_id}</Id><Status>{status}</Status>"
            "<SubmittedAt>2026-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo>"
        )
        return 200, xml, f'<?xml version="1.0"?>\n<GetChangeResponse xmlns="{_NS}">{info}</GetChangeResponse>'.encode()
