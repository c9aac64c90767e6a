"""Downloading a voice clip someone sent the bot. Slack serves files at `url_private_download` only with the
bot token as a bearer (scope `files:read`); without the scope it answers with its HTML sign-in page, not an
error status. The size is capped (bot.audio_fetch) before the body is read: first by the size in the event, then
by the response's Content-Length, then while reading (a server may not say)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.audio_fetch import check_size, too_large
from bot.slack.payloads import SlackFile
from core.errors import OpsbotError

log = logging.getLogger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10)
_CHUNK = 64 * 1024


class ClipDownloadFailed(OpsbotError):
    """The clip could not be downloaded (network, refusal, missing scope). The message is for the log and
    never carries the token."""


class ClipFetcher:
    """Downloads clips with the Web API client's token and aiohttp session (kept-alive connections)."""

    def __init__(self, client: AsyncWebClient, *, max_bytes: int) -> None:
        self._client = client
        self._max_bytes = max_bytes
        self._api_host = urlsplit(client.base_url).hostname or ""

    async def fetch(self, clip: SlackFile) -> bytes:
        """The clip's bytes. Raises VoiceInputError (too large: a line for the user) or ClipDownloadFailed."""
        check_size(clip.size, self._max_bytes)
        url = clip.url_private_download or clip.url_private
        if not url:
            raise ClipDownloadFailed(f"Slack file {clip.id} has no download URL")
        if not self._trusted(url):  # the bearer token goes only to Slack (or the configured API host)
            raise ClipDownloadFailed(f"Slack file {clip.id} points to an unexpected host: {urlsplit(url).hostname}")
        session = self._client.session
        if session is None:  # the adapter was not started (a one-off use): a short-lived session
            async with aiohttp.ClientSession() as own:
                return await self._download(own, url, clip.id)
        return await self._download(session, url, clip.id)

    def _trusted(self, url: str) -> bool:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host == self._api_host:
            return parts.scheme in ("http", "https")
        return parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))

    async def _download(self, session: aiohttp.ClientSession, url: str, file_id: str) -> bytes:
        headers = {"Authorization": f"Bearer {self._client.token}"}
        try:
            async with session.get(url, headers=headers, timeout=TIMEOUT) as response:
                if response.status != 200:
                    raise ClipDownloadFailed(f"Slack answered {response.status} for file {file_id}")
                if response.content_type == "text/html":
                    raise ClipDownloadFailed(f"Slack sent a web page for file {file_id}: does the app have files:read?")
                check_size(response.content_length, self._max_bytes)
                data = bytearray()
                async for chunk in response.content.iter_chunked(_CHUNK):
                    data += chunk
                    if len(data) > self._max_bytes:
                        raise too_large(None, self._max_bytes)
                return bytes(data)
        except (aiohttp.ClientError, TimeoutError) as exc:
            # The exception's text names the URL at most, never the header: safe to log.
            raise ClipDownloadFailed(f"downloading Slack file {file_id} failed: {type(exc).__name__}") from exc
