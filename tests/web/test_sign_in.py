"""Signing in to the dashboard over real HTTP: Telegram's initData checked as Telegram documents it (forged,
expired, another bot's, malformed and oversized data refused), one-time links, strangers refused before any data,
sessions that end (logout, expiry)."""

from __future__ import annotations

import time

import pytest
import redis

from bot.web.auth import sign_init_data
from core.web_sessions import WebSessions
from tests.web.harness import BOT_TOKEN, OTHER_BOT_TOKEN, Dashboard, init_data, sign_in

ALICE, CAROL, DAVE = 123456789, 345678901, 456789012  # the shipped policy's Telegram ids


def _refusal(dashboard: Dashboard, body: dict[str, str]) -> tuple[int, str]:
    with dashboard.client() as client:
        answer = client.post("/app/api/session", json=body)
        assert "opsbot_session" not in answer.cookies
        return answer.status_code, answer.json()["error"]


def test_telegram_init_data_signs_in_with_a_strict_cookie(dashboard: Dashboard) -> None:
    with dashboard.client() as client:
        answer = client.post("/app/api/session", json={"init_data": init_data(CAROL)})
        assert answer.status_code == 200
        body = answer.json()
        assert (body["user"], body["role"]) == ("carol", "admin") and body["expires_at"] > time.time() + 11 * 3600
        assert body["board"]["user"] == {"name": "carol", "role": "admin"}  # no second round trip before it shows
        cookie = answer.headers["set-cookie"].lower()
        for part in ("opsbot_session=", "httponly", "samesite=strict", "path=/app"):
            assert part in cookie
        assert "secure" not in cookie  # no https public URL: a phone on the LAN could not send it back
        assert client.get("/app/api/board").json()["user"]["name"] == "carol"  # the cookie is the session
    with dashboard.client() as bearer:
        assert bearer.get("/app/api/board", headers={"Authorization": f"Bearer {body['token']}"}).status_code == 200


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: init_data(CAROL).replace("345678901", "345678902"), "not signed for this bot"),  # forged user
        (lambda: init_data(CAROL, token=OTHER_BOT_TOKEN), "not signed for this bot"),
        (lambda: init_data(CAROL, auth_date=time.time() - 2 * 86400), "expired"),
        (lambda: init_data(CAROL, auth_date=time.time() + 3600), "future"),
        (lambda: init_data(CAROL) + "&auth_date=1", "repeats a field"),
        (lambda: "user=%7B&&&==", "malformed"),
        (lambda: init_data(CAROL).split("&hash=")[0], "no signature"),
        (lambda: init_data(CAROL, padding="x" * 5000), "too long"),
    ],
    ids=["forged", "other-bot", "expired", "future", "duplicated", "malformed", "unsigned", "oversized"],
)
def test_bad_init_data_is_refused_with_one_line(dashboard: Dashboard, make: object, says: str) -> None:
    status, error = _refusal(dashboard, {"init_data": make()})  # type: ignore[operator]
    assert status == 401 and says in error and "\n" not in error


def test_init_data_without_a_user_is_refused(dashboard: Dashboard) -> None:
    fields = {"auth_date": str(int(time.time())), "query_id": "AA"}
    signed = "&".join(f"{k}={v}" for k, v in fields.items()) + f"&hash={sign_init_data(fields, BOT_TOKEN)}"
    assert _refusal(dashboard, {"init_data": signed}) == (401, "Telegram's sign-in data names no user.")


def test_a_stranger_is_refused_and_told_how_to_be_added(dashboard: Dashboard) -> None:
    assert _refusal(dashboard, {"init_data": init_data(999)}) == (
        403,
        "You are not on opsbot's list: ask an admin to add telegram:999.",
    )


def test_a_link_signs_in_once(dashboard: Dashboard) -> None:
    link = dashboard.adapter.access.sessions.make_link("dave", "telegram:456789012")
    with dashboard.client() as client:
        first = client.post("/app/api/session", json={"link": link})
        assert (first.status_code, first.json()["user"], first.json()["role"]) == (200, "dave", "viewer")
    used = "That sign-in link was used or expired: ask opsbot for a new one."
    assert _refusal(dashboard, {"link": link}) == (401, used)
    assert _refusal(dashboard, {"link": "made-up"})[0] == 401


def test_no_data_without_a_session_and_none_after_logout(dashboard: Dashboard) -> None:
    with dashboard.client() as client:
        for path in ("/app/api/board", "/app/api/resources", "/app/api/resources/x", "/app/api/events"):
            answer = client.get(path)
            assert (answer.status_code, answer.json()) == (401, {"error": "Sign in again: the session expired."})
        assert client.post("/app/api/say", json={"text": "status"}).status_code == 401
        sign_in(client, ALICE)
        assert client.get("/app/api/board").status_code == 200
        assert client.post("/app/api/logout").status_code == 200
        assert client.get("/app/api/board").status_code == 401


def test_a_session_ends_when_it_expires(redis_conn: redis.Redis) -> None:
    sessions = WebSessions(redis_conn, session_seconds=60, link_seconds=30)
    token, session = sessions.open("alice", "telegram:123456789", now=1000.0)
    assert sessions.get(token, now=1059.0) == session
    assert sessions.get(token, now=1060.0) is None
    assert 0 < redis_conn.ttl(next(iter(redis_conn.scan_iter("opsbot:web:session:*")))) <= 60  # Redis forgets it too
