"""`opsbot dashboard --user NAME`: the phone dashboard alone on 127.0.0.1, without Slack or Telegram, over the
configured world (the simulated one by default, with an in-process worker as `opsbot shell` has), and a one-time
sign-in link for console user NAME. The link's identity is "console:NAME", which only this command makes: the
policy reads it as that console user."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.runtime import Runtime
from bot.serve import Service
from bot.web.adapter import AppAdapter
from core.errors import ConfigError
from core.settings import Settings

HOST = "127.0.0.1"


def run_dashboard(settings: Settings, user: str, port: int, say: Callable[[str], None]) -> None:
    """Serves until SIGINT/SIGTERM; `say` prints the link (and what to do with it)."""
    runtime = Runtime.build(settings, with_worker=True)
    try:
        if runtime.conversation.services.policy.role_of(user) is None:
            raise ConfigError(f"{user} is not on opsbot's list: name a user of the policy (alice, carol, dave...)")
        asyncio.run(_serve(runtime, user, port, say))
    finally:
        runtime.close()


async def _serve(runtime: Runtime, user: str, port: int, say: Callable[[str], None]) -> None:
    adapter = AppAdapter(runtime)
    service = Service(runtime, [adapter], host=HOST, port=port)
    link = await asyncio.to_thread(adapter.access.sessions.make_link, user, f"console:{user}")
    minutes = max(1, adapter.access.sessions.link_seconds // 60)
    say(f"http://{HOST}:{service.port}/app/#link={link}")
    say(f"Open it within {minutes} min, once, as {user} (Ctrl-C stops the dashboard).")
    await service.run()
