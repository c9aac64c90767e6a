"""Every dashboard route under /app: the static shell (public), sign-in and sign-out, the board and resources, /say
and the live stream. Nothing but the shell answers before a session is proven; every error is one line as
`{"error": ...}`."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from bot.http import Unreadable, json_object
from bot.web.access import COOKIE, EXPIRED, Access, Stranger, refusal
from bot.web.acting import Acting, BadRequest
from bot.web.auth import SignInRefused
from bot.web.data import BoardData
from bot.web.hub import Hub, TooMany
from bot.web.live import LiveStream
from bot.web.static import static_routes
from core.web_sessions import Session

Handler = Callable[[Request, Session], Awaitable[Response]]
PRIVATE = {"Cache-Control": "no-store"}


class Api:
    def __init__(self, access: Access, data: BoardData, acting: Acting, hub: Hub, *, secure_cookie: bool) -> None:
        self._access = access
        self._data = data
        self._acting = acting
        self._hub = hub
        self._secure = secure_cookie

    def routes(self) -> list[BaseRoute]:
        """Relative to /app."""
        return [
            *static_routes(),
            Route("/api/session", self.sign_in, methods=["POST"]),
            Route("/api/logout", self.logout, methods=["POST"]),
            Route("/api/board", self._signed(self.board), methods=["GET"]),
            Route("/api/resources", self._signed(self.resources), methods=["GET"]),
            Route("/api/resources/{resource_id:path}", self._signed(self.resource), methods=["GET"]),
            Route("/api/say", self._signed(self.say), methods=["POST"]),
            Route("/api/events", self.events, methods=["GET"]),
        ]

    async def _session(self, request: Request, *, allow_query: bool = False) -> Session | Response:
        session = await asyncio.to_thread(self._access.session_of, request, allow_query=allow_query)
        if session is None:
            return refusal(401, EXPIRED)
        if self._access.role_of(session) is None:  # taken off the policy since signing in
            return refusal(403, f"You are not on opsbot's list: ask an admin to add {session.identity}.")
        return session

    def _signed(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def route(request: Request) -> Response:
            session = await self._session(request)
            return session if isinstance(session, Response) else await handler(request, session)

        return route

    async def sign_in(self, request: Request) -> Response:
        try:
            body = json_object(await request.body())
            signed = await asyncio.to_thread(self._access.sign_in, body, time.time())
        except Unreadable as exc:
            return refusal(400, f"Sign-in request is {exc}.")
        except Stranger as exc:
            return refusal(403, str(exc))
        except SignInRefused as exc:
            return refusal(401, str(exc))
        session = signed.session
        answer = {"token": signed.token, "user": session.user, "role": signed.role, "expires_at": session.expires_at,
                  # The board too: on a 3G link a second round trip before anything shows costs over half a second.
                  "board": json.loads(await self._data.board_json(session))}  # fmt: skip
        response = JSONResponse(answer, headers=PRIVATE)
        response.set_cookie(COOKIE, signed.token, max_age=int(session.expires_at - time.time()), path="/app",
                            secure=self._secure, httponly=True, samesite="strict")  # fmt: skip
        return response

    async def logout(self, request: Request) -> Response:
        token = self._access.token_of(request)
        if token:
            await asyncio.to_thread(self._access.sessions.close, token)
        response = JSONResponse({"signed_out": True}, headers=PRIVATE)
        response.delete_cookie(COOKIE, path="/app", secure=self._secure, httponly=True, samesite="strict")
        return response

    async def board(self, _request: Request, session: Session) -> Response:
        return Response(await self._data.board_json(session), media_type="application/json", headers=PRIVATE)

    async def resources(self, _request: Request, _session: Session) -> Response:
        return JSONResponse(await self._data.resources(), headers=PRIVATE)

    async def resource(self, request: Request, session: Session) -> Response:
        resource_id = request.path_params["resource_id"]
        page = await self._data.resource(session, resource_id)
        if page is None:
            return refusal(404, f"No resource {resource_id[:80]}.")
        return JSONResponse(page, headers=PRIVATE)

    async def say(self, request: Request, session: Session) -> Response:
        try:
            msg = self._acting.message(session, json_object(await request.body()))
        except Unreadable as exc:
            return refusal(400, f"Request is {exc}.")
        except BadRequest as exc:
            return refusal(exc.status, str(exc))
        return JSONResponse({"replies": await self._acting.say(msg)}, headers=PRIVATE)

    async def events(self, request: Request) -> Response:
        session = await self._session(request, allow_query=True)
        if isinstance(session, Response):
            return session
        stream = LiveStream(self._hub, session, self._data.board_json, self._data.section)
        try:
            await stream.open(request.headers.get("last-event-id") or request.query_params.get("last_event_id"))
        except TooMany as exc:
            return refusal(503, str(exc))
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}  # nginx: pass each event at once
        return StreamingResponse(stream.events(), media_type="text/event-stream", headers=headers)
