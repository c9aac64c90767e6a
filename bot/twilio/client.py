"""`TwilioPager`: the `workers.paging.Pager` that sends pages through Twilio's REST API with the real
`twilio` client. Each message and call carries callback URLs naming its alert and page, so Twilio's status
callbacks and the callee's keypresses come back to `/twilio/status` and `/twilio/voice` (bot.twilio.webhooks).

Errors: Twilio refusing a page for good (4xx: invalid number, unverified caller id) is `PageFailed`; 429,
5xx and network failures are `TransientProviderError` (the caller retries). Neither carries the auth token."""

# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode, urlsplit

import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from core.errors import ConfigError, TransientProviderError
from core.settings import Settings
from workers.paging import PageFailed, PageRef

log = logging.getLogger(__name__)

VOICE_PATH = "/twilio/voice"
STATUS_PATH = "/twilio/status"
SMS_PATH = "/twilio/sms"
TIMEOUT_SECONDS = 10.0
RING_SECONDS = 25  # how long a call rings before Twilio gives up ("no-answer")
_TWILIO_HOST = "api.twilio.com"
_CLIENT_PREFIX = re.compile(r"^Unable to (create|fetch|update|delete) record: ")  # the client's, before Twilio's


def public_base(settings: Settings) -> str:
    """The URL Twilio reaches opsbot at, without a trailing slash."""
    if not settings.public_url:
        raise ConfigError("OPSBOT_PUBLIC_URL is needed for Twilio callbacks")
    return settings.public_url.rstrip("/")


def callback_url(base: str, path: str, alert: int, token: str, **extra: str) -> str:
    """`base` + `path` + the query naming the page: alert number, page token, and `extra`."""
    return f"{base}{path}?{urlencode({'alert': alert, 'token': token, **extra})}"


class RedirectingHttpClient(TwilioHttpClient):
    """Sends what the client addresses to api.twilio.com to `base_url` instead (a loopback fake, a proxy).
    The `edge`/`region` settings of the client only move between twilio.com hosts."""

    def __init__(self, base_url: str | None, timeout: float = TIMEOUT_SECONDS) -> None:
        super().__init__(timeout=timeout)
        self._base = urlsplit(base_url.rstrip("/")) if base_url else None

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        target = urlsplit(url)
        if self._base is not None and target.hostname == _TWILIO_HOST:
            url = target._replace(scheme=self._base.scheme, netloc=self._base.netloc,
                                  path=self._base.path + target.path).geturl()  # fmt: skip
        return super().request(method, url, params, data, headers, auth, timeout, allow_redirects)


class TwilioPager:
    """Pages by SMS and phone call from `settings.twilio_from`."""

    def __init__(self, settings: Settings) -> None:
        if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from):
            raise ConfigError("Twilio needs OPSBOT_TWILIO_ACCOUNT_SID, OPSBOT_TWILIO_AUTH_TOKEN and OPSBOT_TWILIO_FROM")
        self._base = public_base(settings)
        self._from = settings.twilio_from
        self._client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            http_client=RedirectingHttpClient(settings.twilio_api_url),
        )

    def sms(self, to: str, text: str, page: PageRef) -> str:
        status = callback_url(self._base, STATUS_PATH, page.alert, page.token, kind="sms")
        try:
            message = self._client.messages.create(to=to, from_=self._from, body=text, status_callback=status)
        except (TwilioException, requests.RequestException) as exc:
            raise _mapped(exc, f"SMS to {to}") from exc
        log.info("twilio: SMS %s for alert %s queued", message.sid, page.alert)
        return str(message.sid)

    def call(self, to: str, page: PageRef) -> str:
        try:
            call = self._client.calls.create(
                to=to,
                from_=self._from,
                url=callback_url(self._base, VOICE_PATH, page.alert, page.token),
                status_callback=callback_url(self._base, STATUS_PATH, page.alert, page.token, kind="call"),
                status_callback_event=["completed"],
                timeout=RING_SECONDS,
            )
        except (TwilioException, requests.RequestException) as exc:
            raise _mapped(exc, f"call to {to}") from exc
        log.info("twilio: call %s for alert %s placed", call.sid, page.alert)
        return str(call.sid)


def _mapped(exc: Exception, what: str) -> Exception:
    """Our error for a failed request, in one line with Twilio's own message. Neither it nor the exception
    it is raised from shows the auth token (it travels only in the Authorization header)."""
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    detail = str(getattr(exc, "msg", None) or getattr(exc, "detail", None) or getattr(exc, "title", None) or "")
    detail = _CLIENT_PREFIX.sub("", " ".join(detail.split()))[:200]
    if isinstance(status, int) and 400 <= status < 500 and status != 429:
        suffix = f" ({code})" if code else ""
        log.warning("twilio: %s refused: HTTP %s %s%s", what, status, detail, suffix)
        return PageFailed(f"Twilio refused the {what}: {detail or f'HTTP {status}'}{suffix}")
    if isinstance(status, int):
        return TransientProviderError(f"Twilio answered HTTP {status} to the {what}: {detail or 'no detail'}")
    if isinstance(exc, requests.Timeout):
        return TransientProviderError(f"Twilio did not answer the {what} within {TIMEOUT_SECONDS:g} s")
    return TransientProviderError(f"Twilio unreachable for the {what} ({type(exc).__name__})")
