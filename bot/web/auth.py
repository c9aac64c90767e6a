"""Who opened the dashboard: Telegram's Mini App `initData`, checked exactly as Telegram documents it, or a one-time
link from chat (core.web_sessions). Either proves a platform identity ("telegram:123"); the policy then names the
opsbot user and role, and a stranger is refused before any data is read.

initData is a query string signed by Telegram with a key only the bot's token gives:
secret_key = HMAC-SHA256(key="WebAppData", msg=bot_token), hash = hex HMAC-SHA256(key=secret_key,
msg=data_check_string), where data_check_string is every field but `hash` as "key=value", sorted, joined by "\\n".
A page signed for another bot, changed on the way, or older than a day is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qsl

from core.errors import OpsbotError

MAX_INIT_DATA_CHARS = 4096  # Telegram's initData is well under 1 KB; more is not Telegram's
FRESH_SECONDS = 24 * 3600  # an initData older than this is refused (Telegram: "outdated data")
FUTURE_SECONDS = 60  # clocks differ a little; an auth_date further ahead was not made by Telegram


class SignInRefused(OpsbotError):
    """A sign-in that proves nothing; `str()` is the one line answered (status 401)."""


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _fields(init_data: str) -> dict[str, str]:
    if not init_data or len(init_data) > MAX_INIT_DATA_CHARS:
        raise SignInRefused("Telegram's sign-in data is missing or too long.")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise SignInRefused("Telegram's sign-in data is malformed.") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise SignInRefused("Telegram's sign-in data repeats a field.")
    return fields


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """The `hash` Telegram puts in an initData with these fields (used by the check below and by tests)."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()) if key != "hash")
    return hmac.new(_secret_key(bot_token), check.encode(), hashlib.sha256).hexdigest()


def telegram_identity(init_data: str, bot_token: str, now: float) -> str:
    """The identity ("telegram:123456") that `init_data` proves, or SignInRefused saying why not."""
    fields = _fields(init_data)
    given = fields.get("hash", "")
    if not given:
        raise SignInRefused("Telegram's sign-in data has no signature.")
    if not hmac.compare_digest(sign_init_data(fields, bot_token), given.lower()):
        raise SignInRefused("Telegram's sign-in data is not signed for this bot.")
    try:
        signed_at = int(fields["auth_date"])
    except (KeyError, ValueError):
        raise SignInRefused("Telegram's sign-in data has no valid auth_date.") from None
    if signed_at < now - FRESH_SECONDS:
        raise SignInRefused("Telegram's sign-in data expired: open the dashboard again from Telegram.")
    if signed_at > now + FUTURE_SECONDS:
        raise SignInRefused("Telegram's sign-in data is dated in the future.")
    try:
        user = json.loads(fields["user"])
        user_id = user["id"] if isinstance(user, dict) else None
    except (KeyError, ValueError):
        user_id = None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise SignInRefused("Telegram's sign-in data names no user.")
    return f"telegram:{user_id}"
