"""Signing in to the dashboard and finding the session of a request. A session comes from the `opsbot_session`
cookie, an `Authorization: Bearer` header, or - for the live stream only, as EventSource cannot send headers -
`?token=`. Every refusal is one short line as `{"error": ...}`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.web.auth import SignInRefused, telegram_identity
from core.web_sessions import Session, WebSessions
from policies.engine import PolicyEngine

COOKIE = "opsbot_session"
EXPIRED = "Sign in again: the session expired."


def refusal(status: int, text: str) -> JSONResponse:
    return JSONResponse({"error": text}, status_code=status, headers={"Cache-Control": "no-store"})


class Stranger(SignInRefused):
    """A proven identity that the policy does not list (status 403)."""


@dataclass(frozen=True)
class SignedIn:
    token: str
    session: Session
    role: str


class Access:
    """Signs people in (initData or a link) and finds the session behind a request."""

    def __init__(self, sessions: WebSessions, policy: PolicyEngine, bot_token: str | None) -> None:
        self.sessions = sessions
        self._policy = policy
        self._bot_token = bot_token

    def sign_in(self, body: dict[str, Any], now: float) -> SignedIn:
        """A new session for what `body` proves: SignInRefused (401) or Stranger (403) when it proves nobody."""
        init_data, link = body.get("init_data"), body.get("link")
        if isinstance(init_data, str):
            if self._bot_token is None:
                raise SignInRefused("This opsbot has no Telegram bot: sign in with a link from chat.")
            identity = telegram_identity(init_data, self._bot_token, now)
            user = self._policy.user_for("app", identity)
        elif isinstance(link, str):
            redeemed = self.sessions.redeem_link(link)
            if redeemed is None:
                raise SignInRefused("That sign-in link was used or expired: ask opsbot for a new one.")
            user, identity = redeemed
        else:
            raise SignInRefused("Sign in from Telegram or with a link from chat.")
        role = self._policy.role_of(user)
        if role is None:
            raise Stranger(f"You are not on opsbot's list: ask an admin to add {identity}.")
        token, session = self.sessions.open(user, identity, now)
        return SignedIn(token, session, role)

    def token_of(self, request: Request, *, allow_query: bool = False) -> str | None:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        cookie = request.cookies.get(COOKIE)
        if cookie:
            return cookie
        return request.query_params.get("token") if allow_query else None

    def session_of(self, request: Request, *, allow_query: bool = False) -> Session | None:
        """Blocking (Redis): call it from a thread."""
        token = self.token_of(request, allow_query=allow_query)
        return self.sessions.get(token, time.time()) if token else None

    def role_of(self, session: Session) -> str | None:
        return self._policy.role_of(session.user)
