"""The dashboard the browser benchmark measures: `opsbot serve`'s Service with only the app adapter, over the
simulated world (10,000 resources), on the bench Redis, served from a thread of this process on a free port of
127.0.0.1 - so the benchmark can write changes (alerts) with the same runtime while a page watches. Pages sign in as
Telegram opens a Mini App: initData signed with the bot token the settings name."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import time
import urllib.parse
from pathlib import Path
from types import TracebackType
from typing import Self

from pydantic import SecretStr

from alerts.model import Incoming, Severity
from bot.runtime import Runtime
from bot.serve import Service
from bot.web.adapter import AppAdapter
from bot.web.auth import sign_init_data
from core.settings import Settings

BOT_TOKEN = "123456:BENCHdqTcvCH1vGWJxfSeofSAs0K5PALDsa"
CAROL = 345678901  # an admin of the default policy: every action button is shown


class ServedDashboard:
    """`with ServedDashboard(tmp, redis_url, resources) as served:` - `served.url`, `served.runtime`; stopped as
    SIGTERM would (Service.stop), on an event loop of its own thread."""

    def __init__(self, tmp: Path, redis_url: str, resources: int) -> None:
        settings = Settings(redis_url=redis_url, data_dir=tmp / "data", sim_resources=resources,
                            sim_step_seconds=0.05, telegram_token=SecretStr(BOT_TOKEN))  # fmt: skip
        self.runtime = Runtime.build(settings, with_worker=True)
        self.service = Service(self.runtime, [AppAdapter(self.runtime)], host="127.0.0.1", port=0)
        self.url = f"http://127.0.0.1:{self.service.port}"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bench-dashboard", daemon=True)
        self._served: concurrent.futures.Future[None] | None = None

    def __enter__(self) -> Self:
        self._thread.start()
        self._served = asyncio.run_coroutine_threadsafe(self.service.run(), self._loop)
        started = asyncio.run_coroutine_threadsafe(self.service.started.wait(), self._loop)
        started.result(timeout=60)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._loop.call_soon_threadsafe(self.service.stop)
        if self._served is not None:
            self._served.result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(60)
        self._loop.close()
        self.runtime.close()

    def fire(self, name: str, severity: Severity = Severity.CRITICAL, resource: str = "web-prod") -> None:
        """An alert through the alert desk, as an intake webhook stores it (the change feed announces it)."""
        alert = Incoming(source="generic", fingerprint=name, severity=severity, summary=name, resource=resource)
        self.runtime.alerting.desk.ingest([alert])


def init_data(user_id: int = CAROL) -> str:
    """What Telegram hands a Mini App opened by `user_id` now, signed for the bench's bot."""
    user = json.dumps({"id": user_id, "first_name": "Bench"}, separators=(",", ":"))
    fields = {"query_id": "AAHbench", "user": user, "auth_date": str(int(time.time()))}
    fields["hash"] = sign_init_data(fields, BOT_TOKEN)
    return urllib.parse.urlencode(fields)
