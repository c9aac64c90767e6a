"""Who the bot is in its workspace, from auth.test: its user id (to strip its @mention and to skip its
own messages) and, by answering at all, proof that the token works (readiness). A dead token stops
start-up with one line; an unreachable Slack is retried in the background until it answers."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from core.errors import ConfigError
from core.retrying import RetryCallState, RetryPolicy

log = logging.getLogger(__name__)

DEAD_TOKEN = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})
# Asking an unreachable Slack: 1 s, 2 s, 4 s ... 60 s apart until it answers. No jitter: one connection.
REASK = RetryPolicy(first=1.0, most=60.0, jitter=False)


class BotIdentity:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self.user_id: str | None = None  # "U0LAN0Z89": how mentions of the bot appear in text
        self.bot_id: str | None = None
        self.team_id: str | None = None
        self._retrying: asyncio.Task[None] | None = None

    @property
    def known(self) -> bool:
        return self.user_id is not None

    async def start(self) -> None:
        try:
            await self._ask()
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if isinstance(exc.response.data, dict) else ""
            if error in DEAD_TOKEN:
                raise ConfigError(f"Slack refused the bot token ({error}): check OPSBOT_SLACK_BOT_TOKEN") from exc
            self._retry_later(f"Slack answered auth.test with {error or exc.response.status_code}")
        except (OSError, aiohttp.ClientError) as exc:
            self._retry_later(f"Slack's Web API is unreachable ({type(exc).__name__})")

    async def stop(self) -> None:
        if self._retrying is not None:
            self._retrying.cancel()
            self._retrying = None

    async def _ask(self) -> None:
        response = await self._client.auth_test()
        self.bot_id = _text(response.get("bot_id"))
        self.team_id = _text(response.get("team_id"))
        self.user_id = _text(response.get("user_id"))

    def _retry_later(self, why: str) -> None:
        log.warning("%s; retrying in the background", why)
        self._retrying = asyncio.create_task(self._keep_asking())

    async def _keep_asking(self) -> None:
        await asyncio.sleep(REASK.backoff(1))  # start() asked first
        await REASK.async_retrying(_unanswered, before_sleep=_still_failing)(self._ask)
        log.info("Slack answered auth.test: bot user %s", self.user_id)


def _unanswered(exc: BaseException) -> bool:
    return isinstance(exc, SlackApiError | OSError | aiohttp.ClientError)


def _still_failing(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    log.warning("Slack auth.test still failing (%s)", type(error).__name__)


def _text(value: object) -> str | None:
    return str(value) if isinstance(value, str) and value else None
