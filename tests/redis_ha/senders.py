"""Alertmanager-like senders for the failover tests: each alert posted until it is answered 2xx, a 503 retried at
once (the intake answers 503 while the replicas cannot confirm they have the alert)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

import httpx


@dataclass
class Senders:
    url: str
    http: httpx.Client
    token: str  # the intake's token for the generic source
    acknowledged: set[str] = field(default_factory=set)
    unavailable: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, fingerprint: str, severity: str = "warning") -> None:
        body = json.dumps({"fingerprint": fingerprint, "status": "firing", "severity": severity,
                           "summary": f"disk full on {fingerprint}", "resource": "web-prod"})  # fmt: skip
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        while True:
            answer = self.http.post(self.url + "/alerts/generic", content=body, headers=headers)
            if answer.status_code == 200:
                with self.lock:
                    self.acknowledged.add(fingerprint)
                return
            assert answer.status_code == 503, answer.text
            with self.lock:
                self.unavailable += 1
