"""/metrics tells whether alerts are being escalated: open alerts, running escalations, and how late the most
overdue step is (it grows when no worker runs the timers)."""

from __future__ import annotations

import asyncio
import re
import time

import httpx

from alerts.model import Incoming, Severity
from bot.http import build_app
from bot.runtime import Runtime
from core.settings import Settings
from tests.clock import ManualClock


def _metrics(runtime: Runtime) -> dict[str, float]:
    async def get() -> str:
        transport = httpx.ASGITransport(app=build_app(runtime, []))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return (await client.get("/metrics")).text

    text = asyncio.run(get())
    found = re.findall(r"^(opsbot_(?:alerts|escalation)\w*) (\S+)$", text, re.MULTILINE)
    return {name: float(value) for name, value in found}


def test_metrics_show_open_alerts_and_overdue_escalation(settings: Settings) -> None:
    runtime = Runtime.build(Settings(**{**settings.model_dump(), "incident_channels": ["console:ops-room"]}))
    try:
        assert _metrics(runtime) == {"opsbot_alerts_open": 0, "opsbot_escalations_running": 0,
                                     "opsbot_escalation_overdue_seconds": 0}  # fmt: skip
        item = Incoming(source="generic", fingerprint="f", severity=Severity.CRITICAL, summary="5xx above 5%")
        runtime.alerting.escalator.ingest([item])
        after = _metrics(runtime)
        assert (after["opsbot_alerts_open"], after["opsbot_escalations_running"]) == (1, 1)
        assert after["opsbot_escalation_overdue_seconds"] == 0  # the next step is minutes away
        assert runtime.ticker is not None
        runtime.ticker.stop()  # no worker runs the timers any more
        runtime.alerting.escalator.clock = ManualClock(time.time() - 1.2)
        assert runtime.alerting.escalator.timers.hurry(1)  # the step fell due 1.2 s ago ...
        assert _metrics(runtime)["opsbot_escalation_overdue_seconds"] >= 1.0  # ... and nobody ran it
    finally:
        runtime.close()
