"""A fake Slack Web API (and Socket Mode endpoint) on 127.0.0.1, for the real slack_sdk / slack_bolt clients.

Runs an aiohttp server in a background thread. Records every call (method, body, bearer token, time),
keeps the messages it was asked to post and update, answers auth.test, chat.postMessage, chat.update,
chat.postEphemeral (kept apart, in `ephemeral`: only the `user` named sees one; Slack answers its `message_ts`),
the files_upload_v2 steps (each file shared, with its thread, name and bytes: `shared`), conversations.create,
conversations.invite and pins.add (an incident's channel, its members and pins: `channels`), views.publish (each
user's Home tab: `homes`) and views.open (modals: `modals`; a trigger_id is good once), both checked against Slack's
view limits (100 blocks, section text 3000, header 150, button text 75, 25 elements an actions block) and refused
with Slack's `invalid_arguments` and its messages, and apps.connections.open (whose URL is a WebSocket served
here). It can be told to answer the next N calls of a method with 429 + Retry-After, or with a Slack error, and
to keep Slack's per-channel limit on chat.postMessage, answering 429 + Retry-After when a channel is overdone.
Files a test registers with `serve_file` download from their `url_private_download`, with the bot token as a
bearer only (401 without it, as files.slack.com refuses)."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from fakes.throttle import ConversationLimit

BOT_USER_ID = "U0LAN0Z89"  # the bot mentioned in Slack's docs app_mention example
BOT_ID = "B0BOTBOT1"
TEAM_ID = "T123ABC456"


@dataclass
class ApiCall:
    method: str
    body: dict[str, Any]
    token: str | None
    at: float  # monotonic


@dataclass
class PostedMessage:
    channel: str
    ts: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]]
    versions: list[str] = field(default_factory=list)  # the text after each chat.update, oldest first
    user: str | None = None  # an ephemeral message: the one person who sees it

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [e for b in self.blocks if b.get("type") == "actions" for e in b.get("elements", [])]

    @property
    def mrkdwn(self) -> str:
        """The text of the section blocks as sent (Slack's escapes in)."""
        return "\n".join(b["text"]["text"] for b in self.blocks if b.get("type") == "section")

    @property
    def shown(self) -> str:
        """The text as a phone shows it: Slack renders &lt; &gt; &amp; as the characters."""
        return self.mrkdwn.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@dataclass(frozen=True)
class SharedFile:
    """A file the bot uploaded and shared (files.completeUploadExternal), as its channel shows it."""

    file_id: str
    channel: str | None
    thread_ts: str | None  # the thread it was shared into; None: the channel itself
    title: str
    content: bytes  # what arrived at its upload URL
    filename: str = ""  # as files.getUploadURLExternal named it


@dataclass
class Channel:
    """A channel made by conversations.create: its members (the creating bot first) and pinned message ts."""

    id: str
    name: str
    members: list[str] = field(default_factory=lambda: [BOT_USER_ID])
    pins: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Download:
    file_id: str
    status: int  # what the fake answered: 200, 401, 404


@dataclass(frozen=True)
class _ServedFile:
    content: bytes
    token: str
    content_type: str
    chunked: bool  # sent without a Content-Length, in 1 kB chunks


@dataclass
class _Failure:
    remaining: int
    status: int
    error: str
    retry_after: float | None


class FakeSlackApi:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/"
        self.calls: list[ApiCall] = []
        self.messages: list[PostedMessage] = []  # in the order they were posted
        self.ephemeral: list[PostedMessage] = []  # chat.postEphemeral: each seen by its `user` only
        self.uploads: dict[str, bytes] = {}  # file id -> bytes received at the upload URL
        self._filenames: dict[str, str] = {}  # file id -> the name its upload URL was asked for with
        self.shared: list[SharedFile] = []  # files completed and shared, in order
        self.socket_acks: list[dict[str, Any]] = []
        self.downloads: list[Download] = []  # every GET of a served file, in order
        self._files: dict[str, _ServedFile] = {}  # file id -> what to serve
        self._failures: dict[str, _Failure] = {}
        self.throttled: list[tuple[ApiCall, float]] = []  # every call answered 429, with its Retry-After
        self.homes: dict[str, list[dict[str, Any]]] = {}  # views.publish: user id -> every view published, in order
        self.modals: list[dict[str, Any]] = []  # views.open: the modals opened, in order
        self._triggers: set[str] = set()  # trigger_ids already exchanged for a modal
        self.channels: dict[str, Channel] = {}  # conversations.create: id -> the channel, its members and pins
        self._channel_limit: ConversationLimit | None = None
        self._ts = itertools.count(1)
        self._cond = threading.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-slack", daemon=True)

    # -- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> FakeSlackApi:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _serve(self) -> None:
        app = web.Application(client_max_size=2**22)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link", self._websocket)
        app.router.add_get("/files-pri/{team_file}/download/{name}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _shutdown(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what tests control and read -----------------------------------------------------------------
    def fail_next(self, method: str, count: int, *, status: int = 429, error: str = "ratelimited",
                  retry_after: float | None = 0.2) -> None:  # fmt: skip
        with self._cond:
            self._failures[method] = _Failure(count, status, error, retry_after)

    def limit_channels(self, *, per_second: float, burst: int) -> None:
        """From now on chat.postMessage into one channel takes `burst` messages at once, then `per_second`,
        and answers 429 with Retry-After (in fractions of a second) beyond that, as Slack does."""
        with self._cond:
            self._channel_limit = ConversationLimit(per_second, burst)

    def serve_file(self, file_id: str, content: bytes, *, name: str, token: str,
                   content_type: str = "application/octet-stream", chunked: bool = False) -> str:  # fmt: skip
        """Serve `content` to GETs bearing `token`; returns its url_private_download."""
        with self._cond:
            self._files[file_id] = _ServedFile(content, token, content_type, chunked)
        return f"http://127.0.0.1:{self.port}/files-pri/{TEAM_ID}-{file_id}/download/{name}"

    def calls_to(self, method: str) -> list[ApiCall]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, what: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not what():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"fake Slack: condition not met in {timeout} s; calls: {self._summary()}")
                self._cond.wait(left)

    def message_where(self, predicate: Callable[[PostedMessage], bool], timeout: float = 15.0) -> PostedMessage:
        found: list[PostedMessage] = []

        def _match() -> bool:
            found[:] = [m for m in self.messages if predicate(m)]
            return bool(found)

        self.wait_for(_match, timeout)
        return found[0]

    def top_level(self, channel: str) -> list[PostedMessage]:
        """What everyone in `channel` sees in the channel itself (not in threads, not ephemeral)."""
        with self._cond:
            return [m for m in self.messages if m.channel == channel and m.thread_ts is None]

    def thread(self, parent: PostedMessage) -> list[PostedMessage]:
        """The replies in `parent`'s thread, oldest first."""
        with self._cond:
            return [m for m in self.messages if m.channel == parent.channel and m.thread_ts == parent.ts]

    def push(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope to every connected client."""
        asyncio.run_coroutine_threadsafe(self._push(json.dumps(envelope)), self._loop).result(timeout=10)

    def connected_sockets(self) -> int:
        with self._cond:
            return sum(1 for ws in self._sockets if not ws.closed)

    def _summary(self) -> str:
        return ", ".join(f"{c.method}" for c in self.calls[-30:])

    # -- the server ----------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await _body(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else body.get("token")
        with self._cond:
            call = ApiCall(method, body, token, time.monotonic())
            self.calls.append(call)
            failure = self._failures.get(method)
            if failure is not None and failure.remaining > 0:
                failure.remaining -= 1
                if failure.status == 429:
                    self.throttled.append((call, failure.retry_after or 0.0))
                self._cond.notify_all()
                headers = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after is not None else {}
                return web.json_response({"ok": False, "error": failure.error}, status=failure.status, headers=headers)
            wait = self._overdone(method, body, call.at)
            if wait:
                self.throttled.append((call, wait))
                self._cond.notify_all()
                headers = {"Retry-After": f"{wait:g}"}
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers=headers)
            answer = self._answer(method, body)
            self._cond.notify_all()
        return web.json_response(answer)

    def _overdone(self, method: str, body: dict[str, Any], now: float) -> float:
        """Seconds until the channel may take this post, or 0.0 (and it counts) when it may now."""
        if method != "chat.postMessage" or self._channel_limit is None:
            return 0.0
        return self._channel_limit.wait(str(body.get("channel")), now)

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": "opsbot",
                    "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID}  # fmt: skip
        if method == "chat.postMessage":
            ts = f"{1_700_000_000 + next(self._ts)}.000100"
            blocks = _json_field(body.get("blocks"))
            message = PostedMessage(body["channel"], ts, body.get("thread_ts"), body.get("text", ""), blocks)
            self.messages.append(message)
            return {"ok": True, "channel": body["channel"], "ts": ts, "message": {"text": message.text, "ts": ts}}
        if method == "chat.postEphemeral":
            if not body.get("user") or not body.get("channel"):
                return {"ok": False, "error": "user_not_in_channel" if body.get("channel") else "channel_not_found"}
            ts = f"{1_700_000_000 + next(self._ts)}.000200"
            blocks = _json_field(body.get("blocks"))
            message = PostedMessage(body["channel"], ts, body.get("thread_ts"), body.get("text", ""), blocks,
                                    user=str(body["user"]))  # fmt: skip
            self.ephemeral.append(message)
            return {"ok": True, "message_ts": ts}
        if method == "chat.update":
            for message in self.messages:
                if message.channel == body.get("channel") and message.ts == body.get("ts"):
                    message.text = body.get("text", "")
                    message.blocks = _json_field(body.get("blocks"))
                    message.versions.append(message.shown)
                    return {"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text}
            return {"ok": False, "error": "message_not_found"}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            self._filenames[file_id] = str(body.get("filename", ""))
            return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = _json_field(body.get("files", "[]"))
            if any(f.get("id") not in self.uploads for f in files):
                return {"ok": False, "error": "file_not_found"}  # completed before its bytes were uploaded
            channel, thread = body.get("channel_id"), body.get("thread_ts") or None
            for f in files:
                shared = SharedFile(f["id"], channel, thread, f.get("title", ""), self.uploads[f["id"]],
                                    self._filenames.get(f["id"], ""))  # fmt: skip
                self.shared.append(shared)
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}
        if method.startswith(("conversations.", "pins.")):
            return self._channel_call(method, body)
        if method in ("views.publish", "views.open"):
            return self._view_call(method, body)
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link?ticket=fake"}
        return {"ok": False, "error": "unknown_method"}

    def home_of(self, user: str) -> dict[str, Any] | None:
        """The Home tab `user` sees now (the last view published for them)."""
        with self._cond:
            views = self.homes.get(user)
            return views[-1] if views else None

    def _view_call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        view = body.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": ["[ERROR] no view"]}}
        problems = view_problems(view, "home" if method == "views.publish" else "modal")
        if problems:
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": problems}}
        if method == "views.publish":
            user = str(body.get("user_id", ""))
            if not user:
                return {"ok": False, "error": "invalid_arguments"}
            self.homes.setdefault(user, []).append(view)
        else:
            trigger = str(body.get("trigger_id", ""))
            if not trigger:
                return {"ok": False, "error": "invalid_trigger_id"}
            if trigger in self._triggers:
                return {"ok": False, "error": "exchanged_trigger_id"}
            self._triggers.add(trigger)
            self.modals.append(view)
        return {"ok": True, "view": {"id": f"V{next(self._ts):08d}", **view}}

    def take_name(self, name: str) -> str:
        """A channel called `name` exists already (made by someone else): conversations.create answers name_taken."""
        with self._cond:
            channel = Channel(f"C{next(self._ts):08d}", name, members=["U0SOMEONE"])
            self.channels[channel.id] = channel
            return channel.id

    def channel_named(self, name: str) -> Channel | None:
        with self._cond:
            return next((c for c in self.channels.values() if c.name == name), None)

    def _channel_call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        """conversations.create / invite and pins.add, with the errors Slack answers them with."""
        if method == "conversations.create":
            name = str(body.get("name", ""))
            problem = _name_problem(name)
            if problem is None and any(c.name == name for c in self.channels.values()):
                problem = "name_taken"
            if problem is not None:
                return {"ok": False, "error": problem}
            channel = Channel(f"C{next(self._ts):08d}", name)
            self.channels[channel.id] = channel
            return {"ok": True, "channel": {"id": channel.id, "name": name, "is_channel": True, "is_member": True,
                                            "name_normalized": name, "creator": BOT_USER_ID}}  # fmt: skip
        found = self.channels.get(str(body.get("channel", "")))
        if found is None:
            return {"ok": False, "error": "channel_not_found"}
        if method == "conversations.invite":
            users = [u for u in str(body.get("users", "")).split(",") if u]
            if not users:
                return {"ok": False, "error": "no_user"}
            forced = str(body.get("force", "")).lower() in ("true", "1")  # the valid ones invited, the rest listed
            errors = [{"user": u, "ok": False, "error": _invite_refusal(u)}
                      for u in users if u == BOT_USER_ID or u in found.members]  # fmt: skip
            if (errors and not forced) or len(errors) == len(users):
                return {"ok": False, "error": errors[0]["error"], "errors": errors}
            found.members.extend(u for u in users if u != BOT_USER_ID and u not in found.members)
            answer = {"ok": True, "channel": {"id": found.id, "name": found.name}}
            return {**answer, "errors": errors} if errors else answer
        if method == "pins.add":
            ts = str(body.get("timestamp", ""))
            if not ts:
                return {"ok": False, "error": "no_item_specified"}
            if not any(m.channel == found.id and m.ts == ts for m in self.messages):
                return {"ok": False, "error": "message_not_found"}
            if ts in found.pins:
                return {"ok": False, "error": "already_pinned"}
            found.pins.append(ts)
            return {"ok": True}
        return {"ok": False, "error": "unknown_method"}

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        with self._cond:
            self.uploads[request.match_info["file_id"]] = data
            self._cond.notify_all()
        return web.Response(text=f"OK - {len(data)}")

    async def _file(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["team_file"].removeprefix(f"{TEAM_ID}-")
        auth = request.headers.get("Authorization", "")
        with self._cond:
            served = self._files.get(file_id)
            authorised = served is not None and auth == f"Bearer {served.token}"
            status = 404 if served is None else 200 if authorised else 401
            self.downloads.append(Download(file_id, status))
            self._cond.notify_all()
        if served is None or status != 200:
            return web.Response(status=status, text="not_found" if status == 404 else "not_authed")
        if not served.chunked:
            return web.Response(body=served.content, content_type=served.content_type)
        stream = web.StreamResponse(headers={"Content-Type": served.content_type})
        stream.enable_chunked_encoding()
        await stream.prepare(request)
        try:
            for start in range(0, len(served.content), 1024):
                await stream.write(served.content[start : start + 1024])
            await stream.write_eof()
        except ConnectionResetError:  # the client stopped reading (over its cap)
            pass
        return stream

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        # Counted before the handshake's answer goes out: the client may see itself connected (and a test
        # look) before this coroutine runs again after prepare().
        with self._cond:
            self._sockets.append(ws)
            self._cond.notify_all()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A111"}}))
        async for frame in ws:
            if frame.type == WSMsgType.TEXT:
                with self._cond:
                    self.socket_acks.append(json.loads(frame.data))
                    self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()
        return ws

    async def _push(self, text: str) -> None:
        for ws in list(self._sockets):
            if not ws.closed:
                await ws.send_str(text)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    fields: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json" and raw:
        fields.update(json.loads(raw))
    elif raw:
        fields.update(parse_qsl(raw.decode(), keep_blank_values=True))
    return fields


# Slack's limits for a view (api.slack.com/reference/block-kit): (json pointer suffix, limit)
_VIEW_BLOCKS = 100
_TEXT_LIMITS = {"section": 3000, "header": 150}
_BUTTON_TEXT, _BUTTON_VALUE, _BUTTON_URL, _ACTION_ID = 75, 2000, 3000, 255
_ACTIONS_ELEMENTS, _CONTEXT_ELEMENTS, _MODAL_TITLE = 25, 10, 24


def view_problems(view: dict[str, Any], kind: str) -> list[str]:
    """What Slack would refuse in `view`, in its own words ("[ERROR] must be less than 3001 characters
    [json-pointer:/view/blocks/3/text/text]"); empty when it would take it."""
    problems: list[str] = []

    def over(value: object, limit: int, where: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            problems.append(f"[ERROR] must be less than {limit + 1} characters [json-pointer:/view/{where}]")

    if view.get("type") != kind:
        problems.append(f"[ERROR] must be '{kind}' [json-pointer:/view/type]")
    if kind == "modal":
        over((view.get("title") or {}).get("text"), _MODAL_TITLE, "title/text")
    blocks = view.get("blocks") or []
    if len(blocks) > _VIEW_BLOCKS:
        problems.append(f"[ERROR] must be less than {_VIEW_BLOCKS + 1} items [json-pointer:/view/blocks]")
    for n, block in enumerate(blocks):
        kind_of = block.get("type")
        if kind_of in _TEXT_LIMITS:
            over((block.get("text") or {}).get("text"), _TEXT_LIMITS[kind_of], f"blocks/{n}/text/text")
        elements = [block["accessory"]] if "accessory" in block else list(block.get("elements") or [])
        if kind_of == "actions" and len(elements) > _ACTIONS_ELEMENTS:
            problems.append(f"[ERROR] must be less than {_ACTIONS_ELEMENTS + 1} items [json-pointer:/view/blocks/{n}]")
        if kind_of == "context" and len(elements) > _CONTEXT_ELEMENTS:
            problems.append(f"[ERROR] must be less than {_CONTEXT_ELEMENTS + 1} items [json-pointer:/view/blocks/{n}]")
        for m, element in enumerate(elements):
            where = f"blocks/{n}/elements/{m}"
            if element.get("type") == "button":
                over((element.get("text") or {}).get("text"), _BUTTON_TEXT, f"{where}/text/text")
                over(element.get("value"), _BUTTON_VALUE, f"{where}/value")
                over(element.get("url"), _BUTTON_URL, f"{where}/url")
                over(element.get("action_id"), _ACTION_ID, f"{where}/action_id")
            elif kind_of == "context":
                over(element.get("text"), 3000, f"{where}/text")
    return problems


def _invite_refusal(user: str) -> str:
    return "cant_invite_self" if user == BOT_USER_ID else "already_in_channel"


def _name_problem(name: str) -> str | None:
    """Slack's refusal of a channel name: empty, over 80 characters, other than lowercase letters, digits, hyphens
    and underscores, or punctuation only."""
    if not name:
        return "invalid_name_required"
    if len(name) > 80:
        return "invalid_name_maxlength"
    if any(not (c.isascii() and (c.islower() or c.isdigit() or c in "-_")) for c in name):
        return "invalid_name_specials"
    if not any(c.isalnum() for c in name):
        return "invalid_name_punctuation"
    return None


def _json_field(value: Any) -> list[dict[str, Any]]:
    """blocks arrive as a list in a JSON body, or as a JSON string in a form body."""
    if isinstance(value, str):
        return list(json.loads(value))
    return list(value or [])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
