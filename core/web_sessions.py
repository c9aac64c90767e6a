"""Who is signed in to the phone dashboard (bot/web): sessions and one-time sign-in links, in Redis so that every
replica of `opsbot serve` knows them. A session is a random token (never derived from anything guessable) that
names an opsbot user and the platform identity they proved ("telegram:123", "slack:U1"), and expires. A link is a
random token that a chat answer carries ("dashboard" in chat); it is redeemed once, within its lifetime, for a
session of the user it was made for.

Only hashes of the tokens are stored: someone who reads Redis cannot sign in with what they read."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import cast

import redis

SESSION = "opsbot:web:session:"
LINK = "opsbot:web:link:"
TOKEN_BYTES = 32  # 256 random bits, as URL-safe base64 (43 characters)
MAX_TOKEN_CHARS = 100  # what a caller hands in is refused unread beyond this


@dataclass(frozen=True)
class Session:
    user: str  # the opsbot user ("alice"), as policies.engine.user_for names them
    identity: str  # the platform identity that proved it ("telegram:123456", "slack:U024BE7LH")
    expires_at: float  # unix seconds


def _key(prefix: str, token: str) -> str:
    return prefix + hashlib.sha256(token.encode()).hexdigest()


def _usable(token: str) -> bool:
    return 0 < len(token) <= MAX_TOKEN_CHARS and token.isascii()


class WebSessions:
    def __init__(self, connection: redis.Redis, *, session_seconds: int, link_seconds: int) -> None:
        self._r = connection
        self.session_seconds = session_seconds
        self.link_seconds = link_seconds

    def open(self, user: str, identity: str, now: float) -> tuple[str, Session]:
        """A new session for `user`; returns its token (handed to the browser once) and what it holds."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        session = Session(user=user, identity=identity, expires_at=now + self.session_seconds)
        body = json.dumps({"user": user, "identity": identity, "expires_at": session.expires_at})
        self._r.set(_key(SESSION, token), body, ex=self.session_seconds)
        return token, session

    def get(self, token: str, now: float) -> Session | None:
        """The session of `token`, or None when there is none (unknown, expired, closed, or not a token at all)."""
        if not _usable(token):
            return None
        raw = self._r.get(_key(SESSION, token))
        if raw is None:
            return None
        data = json.loads(cast(bytes, raw))
        if data["expires_at"] <= now:
            return None
        return Session(user=data["user"], identity=data["identity"], expires_at=data["expires_at"])

    def close(self, token: str) -> None:
        if _usable(token):
            self._r.delete(_key(SESSION, token))

    def make_link(self, user: str, identity: str) -> str:
        """A one-time sign-in token for `user`, valid `link_seconds`."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        self._r.set(_key(LINK, token), json.dumps({"user": user, "identity": identity}), ex=self.link_seconds)
        return token

    def redeem_link(self, token: str) -> tuple[str, str] | None:
        """(user, identity) of a link token, which is used up by this call; None when unknown, expired or used."""
        if not _usable(token):
            return None
        raw = self._r.getdel(_key(LINK, token))
        if raw is None:
            return None
        data = json.loads(cast(bytes, raw))
        return str(data["user"]), str(data["identity"])
