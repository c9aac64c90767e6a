"""A fake Telegram Bot API on 127.0.0.1 for python-telegram-bot to talk to, in a background thread.

Every method is `POST /bot<token>/<method>`, form-encoded (nested objects such as reply_markup arrive as
JSON strings) or JSON. It records each call, serves updates queued by the test through getUpdates (long
polling honours `timeout`, and an `offset` confirms everything below it for good; one long poll waits at a time,
as on the Bot API server: a second one terminates the first with 409 Conflict, recorded in `conflicts()`), keeps
the messages the bot sent with every edit (and which message each replies to: `reply_parameters`), answers each
button press once (answerCallbackQuery; its text is the toast only the presser sees: `toasts()`), and can be told
to answer the next calls of a method with an error (429 with retry_after, 403 ...) or to keep Telegram's per-chat
limit on sendMessage, sendPhoto and sendDocument, answering 429 with retry_after when a chat is overdone. Photos
(sendPhoto, a multipart upload as python-telegram-bot sends it) are kept with their bytes, caption and the message
they reply to: `photos()`; files (sendDocument, at most 50 MB) also with their names: `documents()`. Files
registered by the test download from /file/bot<token>/<path>. setMyCommands keeps the command menu (`commands`,
checked as Telegram checks it: 1-32 of a-z, 0-9 and _, a description of 1-256 characters, at most 100), and
setChatMenuButton the menu button (`menu_button`; a web_app one only with an https URL). A keyboard with a web_app
button is refused outside a private chat ("BUTTON_TYPE_INVALID"), as Telegram refuses it."""

from __future__ import annotations

import itertools
import json
import re
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import cast
from urllib.parse import parse_qsl, unquote

from fakes.loopback import LoopbackHandler, LoopbackServer
from fakes.throttle import ConversationLimit

BOT_USER: dict[str, object] = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "opsbot",
    "username": "OpsTestBot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_API_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
_FILE_PATH = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")
_JSON_FIELDS = {"reply_markup", "allowed_updates", "link_preview_options", "entities", "reply_parameters", "commands",
                "menu_button"}  # fmt: skip
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_PACED = {"sendMessage", "sendPhoto", "sendDocument"}  # what counts against a chat's limit
PHOTO_MAX_BYTES = 10 * 1024 * 1024  # sendPhoto's limit for an uploaded photo
DOCUMENT_MAX_BYTES = 50 * 1024 * 1024  # sendDocument's limit for a file a bot uploads
THUMB_PX = 90  # the smallest size Telegram keeps of a photo
# What the Bot API server answers a waiting long poll when another begins (telegram-bot-api's Client::abort_long_poll).
CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the"
    " same as a current content and reply markup of the message"
)

Json = dict[str, object]


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


@dataclass(frozen=True)
class ApiCall:
    method: str
    params: Json
    at: float  # time.perf_counter() when it arrived (same process: comparable with the test's clock)


@dataclass
class SentMessage:
    chat_id: int
    message_id: int
    text: str
    reply_markup: Json | None
    thread_id: int | None
    history: list[str] = field(default_factory=list)  # every text it showed, oldest first
    reply_to: int | None = None  # the message this one replies to (reply_parameters.message_id)
    photo: bytes | None = None  # a sendPhoto: the picture's bytes as uploaded (`text` is its caption)
    document: bytes | None = None  # a sendDocument: the file's bytes as uploaded (`text` is its caption)
    file_name: str | None = None  # the document's name, as its upload named it

    def button_ids(self) -> list[str]:
        """The callback data of its press buttons (link and Mini App buttons carry none)."""
        return [str(button["callback_data"]) for button in self.keys() if "callback_data" in button]

    def keys(self) -> list[dict[str, object]]:
        """Every inline keyboard button as sent, row by row."""
        rows = cast(list[list[dict[str, object]]], (self.reply_markup or {}).get("inline_keyboard") or [])
        return [button for row in rows for button in row]


class FakeTelegramAPI(LoopbackServer):
    def __init__(self, token: str) -> None:
        self.token = token
        self._lock = threading.Condition()
        self._calls: list[ApiCall] = []
        self._updates: list[Json] = []
        self._polls = itertools.count(1)
        self._long_poll = 0  # the number of the long poll waiting now; 0: none
        self._conflicts: list[ApiCall] = []
        self._losing_confirmations = False
        self._next_update = itertools.count(1)
        self._next_message = itertools.count(100)
        self._messages: dict[tuple[int, int], SentMessage] = {}
        self._failures: dict[str, list[ApiError]] = {}
        self._throttled: list[tuple[ApiCall, float]] = []
        self._chat_limit: ConversationLimit | None = None
        self._files: dict[str, tuple[str, bytes]] = {}
        self.downloads: list[str] = []  # the file paths downloaded, in order
        self._answered_queries: set[str] = set()
        self.webhook: Json = {}
        self.commands: list[Json] = []  # setMyCommands: the command menu, as last set
        self.menu_button: Json | None = None  # setChatMenuButton: the default menu button, as last set
        self._closed = False
        super().__init__(_handler_for(self), "fake-telegram")

    def stop(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()  # long polls in progress end now
        super().stop()

    # -- what the test controls ----------------------------------------------------------------------
    def push_update(self, update: Json) -> int:
        """Queue an update for getUpdates; gives it the next update_id. Returns that id."""
        with self._lock:
            update_id = next(self._next_update)
            self._updates.append({**update, "update_id": update_id})
            self._lock.notify_all()
        return update_id

    def push_batch(self, updates: list[Json]) -> list[int]:
        """Queue updates that the next getUpdates serves together (a poller fetches them as one batch)."""
        with self._lock:
            ids = [next(self._next_update) for _ in updates]
            self._updates.extend({**u, "update_id": update_id} for u, update_id in zip(updates, ids, strict=True))
            self._lock.notify_all()
        return ids

    def next_update_id(self) -> int:
        """An id for an update the test sends by webhook instead."""
        return next(self._next_update)

    def fail_next(
        self, method: str, times: int, status: int = 429, description: str = "", retry_after: int = 1
    ) -> None:
        """The next `times` calls of `method` answer with an error (default: 429 with retry_after)."""
        if status == 429:
            error = ApiError(429, description or f"Too Many Requests: retry after {retry_after}",
                             {"retry_after": retry_after})  # fmt: skip
        else:
            error = ApiError(status, description or HTTPStatus(status).phrase)
        with self._lock:
            self._failures.setdefault(method, []).extend([error] * times)

    def clear_failures(self, method: str) -> None:
        """Calls of `method` answer normally again, however many errors `fail_next` had left."""
        with self._lock:
            self._failures.pop(method, None)

    def lose_confirmations(self, losing: bool) -> None:
        """While `losing`, a getUpdates whose offset would confirm updates is answered 502 and confirms nothing: as
        when the poller died after fetching a batch and before confirming it, the batch is served again."""
        with self._lock:
            self._losing_confirmations = losing

    def limit_chats(self, *, per_second: float, burst: int) -> None:
        """From now on sendMessage into one chat takes `burst` messages at once, then `per_second`, and
        answers 429 with retry_after (in fractions of a second) beyond that, as Telegram does."""
        with self._lock:
            self._chat_limit = ConversationLimit(per_second, burst)

    def add_file(self, file_id: str, content: bytes, path: str = "voice/file_1.oga") -> None:
        with self._lock:
            self._files[file_id] = (path, content)

    # -- what the test observes ----------------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[ApiCall]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def messages(self, chat_id: int) -> list[SentMessage]:
        """What the bot sent into a chat, oldest first, each as it reads now."""
        with self._lock:
            found = [m for (chat, _), m in self._messages.items() if chat == chat_id]
        return sorted(found, key=lambda m: m.message_id)

    def conflicts(self) -> list[ApiCall]:
        """Every getUpdates answered 409 Conflict because another long poll began while it waited (two pollers of
        one bot), oldest first. A long poll whose client hung up first ends quietly: nobody was told."""
        with self._lock:
            return list(self._conflicts)

    def throttled(self) -> list[tuple[ApiCall, float]]:
        """Every call answered 429, with the retry_after it was given, oldest first."""
        with self._lock:
            return list(self._throttled)

    def answered(self) -> list[str]:
        return [str(c.params["callback_query_id"]) for c in self.calls("answerCallbackQuery")]

    def toasts(self) -> list[tuple[str, str]]:
        """(callback query id, text) of each press answered with a text: what only its presser saw."""
        return [(str(c.params["callback_query_id"]), str(c.params["text"]))
                for c in self.calls("answerCallbackQuery") if c.params.get("text")]  # fmt: skip

    def photos(self, chat_id: int) -> list[SentMessage]:
        """The photos the bot sent into a chat (sendPhoto), oldest first; `text` is the caption."""
        return [m for m in self.messages(chat_id) if m.photo is not None]

    def documents(self, chat_id: int) -> list[SentMessage]:
        """The files the bot sent into a chat (sendDocument), oldest first; `text` is the caption."""
        return [m for m in self.messages(chat_id) if m.document is not None]

    def replies_to(self, message: SentMessage) -> list[SentMessage]:
        """The bot's messages that reply to `message`, oldest first."""
        return [m for m in self.messages(message.chat_id) if m.reply_to == message.message_id]

    # -- the API -------------------------------------------------------------------------------------
    def call(self, token: str, method: str, params: Json, gone: Callable[[], bool] = lambda: False) -> object:
        """Answer one API call; `gone()` tells whether its client has hung up (a long poll it cancelled)."""
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        with self._lock:
            call = ApiCall(method, params, time.perf_counter())
            self._calls.append(call)
            queued = self._failures.get(method)
            if queued:
                error = queued.pop(0)
                if error.status == 429 and error.parameters:
                    self._throttled.append((call, float(str(error.parameters["retry_after"]))))
                raise error
            wait = self._overdone(method, params, call.at)
            if wait:
                self._throttled.append((call, wait))
                raise ApiError(429, f"Too Many Requests: retry after {wait:g}", {"retry_after": wait})
        if method == "getUpdates":
            return self._get_updates(params, call, gone)
        handler = _METHODS.get(method)
        if handler is None:
            raise ApiError(404, "Not Found")
        with self._lock:
            return handler(self, params)

    def download(self, token: str, path: str) -> bytes:
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        with self._lock:
            self.downloads.append(path)
            for file_path, content in self._files.values():
                if file_path == path:
                    return content
        raise ApiError(404, "Not Found")

    def _overdone(self, method: str, params: Json, now: float) -> float:
        """Seconds until the chat may take this message, or 0.0 (and it counts) when it may now."""
        if method not in _PACED or self._chat_limit is None:
            return 0.0
        return self._chat_limit.wait(str(params.get("chat_id")), now)

    def _get_updates(self, params: Json, call: ApiCall, gone: Callable[[], bool]) -> list[Json]:
        """As the Bot API server does it: updates at hand (or timeout 0) are answered at once; otherwise this call
        becomes the one long poll, and one that was waiting is answered 409 Conflict."""
        offset = int(str(params.get("offset", 0)))
        limit = int(str(params.get("limit", 100)))
        timeout = float(str(params.get("timeout", 0)))
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._losing_confirmations and any(int(str(u["update_id"])) < offset for u in self._updates):
                raise ApiError(502, "Bad Gateway")
            if offset > 0:  # confirmed: never served again
                self._updates = [u for u in self._updates if int(str(u["update_id"])) >= offset]
            if self._updates or timeout <= 0 or self._closed:
                return self._updates[:limit]
            poll = self._long_poll = next(self._polls)
            self._lock.notify_all()  # a long poll still waiting is terminated
            while self._long_poll == poll:
                if self._updates or self._closed or time.monotonic() >= deadline or gone():
                    self._long_poll = 0
                    return self._updates[:limit]
                self._lock.wait(min(0.05, deadline - time.monotonic()))  # short: to notice a client hanging up
            self._conflicts.append(call)
            raise ApiError(409, CONFLICT)

    def _send_message(self, params: Json) -> Json:
        chat_id = int(str(params["chat_id"]))
        text = str(params.get("text") or "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        thread = int(str(params["message_thread_id"])) if params.get("message_thread_id") else None
        markup = params.get("reply_markup")
        _check_keyboard(chat_id, markup)
        reply_to = self._replied(chat_id, params)
        message = SentMessage(chat_id, next(self._next_message), text, markup if isinstance(markup, dict) else None,
                              thread, [text], reply_to)  # fmt: skip
        self._messages[(chat_id, message.message_id)] = message
        return self._wire(message)

    def _send_photo(self, params: Json) -> Json:
        return self._send_upload(params, "photo", PHOTO_MAX_BYTES)

    def _send_document(self, params: Json) -> Json:
        return self._send_upload(params, "document", DOCUMENT_MAX_BYTES)

    def _send_upload(self, params: Json, kind: str, most_bytes: int) -> Json:
        """As the Bot API takes a new photo (at most 10 MB) or document (at most 50 MB for a bot, named by its
        part's filename): a file part of a multipart/form-data request, with a caption of at most 1024 characters;
        a file_id or URL as text is refused here (the bot never sends one)."""
        chat_id = int(str(params["chat_id"]))
        content = params.get(kind)
        if content is None or content == "":
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        if not isinstance(content, bytes):
            raise ApiError(400, "Bad Request: wrong remote file identifier specified: can't unserialize it")
        if len(content) > most_bytes:
            raise ApiError(400, "Bad Request: file is too big")
        caption = str(params.get("caption") or "")
        if len(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        thread = int(str(params["message_thread_id"])) if params.get("message_thread_id") else None
        message = SentMessage(chat_id, next(self._next_message), caption, None, thread, [caption],
                              self._replied(chat_id, params))  # fmt: skip
        if kind == "photo":
            message.photo, path = content, f"photos/file_{message.message_id}.png"
        else:
            message.document, path = content, f"documents/file_{message.message_id}"
            message.file_name = str(params.get(f"_filename:{kind}") or kind)
        self._messages[(chat_id, message.message_id)] = message
        self._files[f"{kind}{message.message_id}"] = (path, content)
        return self._wire(message)

    def _replied(self, chat_id: int, params: Json) -> int | None:
        """The message a sendMessage replies to; Telegram refuses an unknown one unless told to send anyway."""
        wanted = params.get("reply_parameters")
        if not isinstance(wanted, dict) or "message_id" not in wanted:
            return None
        message_id = int(str(wanted["message_id"]))
        if (chat_id, message_id) in self._messages:
            return message_id
        if wanted.get("allow_sending_without_reply"):
            return None
        raise ApiError(400, "Bad Request: message to be replied not found")

    def _answer_callback_query(self, params: Json) -> bool:
        """Each press is answered once; a second answer is refused as Telegram does. Text: at most 200 characters."""
        query_id = str(params.get("callback_query_id") or "")
        if not query_id or query_id in self._answered_queries:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        if len(str(params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._answered_queries.add(query_id)
        return True

    def _set_my_commands(self, params: Json) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for command in commands:
            name, about = str(command.get("command", "")), str(command.get("description", ""))
            if not _COMMAND_NAME.fullmatch(name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(about) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands = list(commands)
        return True

    def _set_chat_menu_button(self, params: Json) -> bool:
        button = params.get("menu_button")
        if not isinstance(button, dict):
            raise ApiError(400, "Bad Request: can't parse menu button JSON object")
        if button.get("type") == "web_app":
            url = str((button.get("web_app") or {}).get("url", ""))
            if not url.startswith("https://"):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
        self.menu_button = button
        return True

    def _edit_message_text(self, params: Json) -> Json:
        key = (int(str(params["chat_id"])), int(str(params["message_id"])))
        message = self._messages.get(key)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        text = str(params.get("text") or "")
        markup = params.get("reply_markup")
        markup = markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None
        _check_keyboard(key[0], markup)
        if text == message.text and markup == message.reply_markup:
            raise ApiError(400, _NOT_MODIFIED)
        message.text, message.reply_markup = text, markup
        message.history.append(text)
        return self._wire(message)

    def _get_file(self, params: Json) -> Json:
        file_id = str(params.get("file_id"))
        if file_id not in self._files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, content = self._files[file_id]
        return {"file_id": file_id, "file_unique_id": f"u{file_id[:8]}", "file_size": len(content), "file_path": path}

    def _set_webhook(self, params: Json) -> bool:
        self.webhook = dict(params)
        return True

    def _delete_webhook(self, params: Json) -> bool:
        self.webhook = {}
        return True

    def _webhook_info(self, params: Json) -> Json:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}

    def _wire(self, message: SentMessage) -> Json:
        chat_type = "private" if message.chat_id > 0 else "supergroup"
        wire: Json = {
            "message_id": message.message_id,
            "from": BOT_USER,
            "chat": {"id": message.chat_id, "type": chat_type},
            "date": int(time.time()),
        }
        if message.photo is not None:
            wire["photo"] = _photo_sizes(f"photo{message.message_id}", message.photo)
        elif message.document is not None:
            file_id = f"document{message.message_id}"
            wire["document"] = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": message.file_name,
                                "file_size": len(message.document)}  # fmt: skip
        else:
            wire["text"] = message.text
        if (message.photo is not None or message.document is not None) and message.text:
            wire["caption"] = message.text
        if message.reply_markup:
            wire["reply_markup"] = message.reply_markup
        if message.thread_id is not None:
            wire |= {"message_thread_id": message.thread_id, "is_topic_message": True}
        if message.reply_to is not None and (parent := self._messages.get((message.chat_id, message.reply_to))):
            wire["reply_to_message"] = {k: v for k, v in self._wire(parent).items() if k != "reply_to_message"}
        return wire


_METHODS = {
    "getMe": lambda api, _params: BOT_USER,
    "sendMessage": FakeTelegramAPI._send_message,
    "sendPhoto": FakeTelegramAPI._send_photo,
    "sendDocument": FakeTelegramAPI._send_document,
    "editMessageText": FakeTelegramAPI._edit_message_text,
    "answerCallbackQuery": FakeTelegramAPI._answer_callback_query,
    "getFile": FakeTelegramAPI._get_file,
    "setWebhook": FakeTelegramAPI._set_webhook,
    "deleteWebhook": FakeTelegramAPI._delete_webhook,
    "getWebhookInfo": FakeTelegramAPI._webhook_info,
    "setMyCommands": FakeTelegramAPI._set_my_commands,
    "setChatMenuButton": FakeTelegramAPI._set_chat_menu_button,
}


def _check_keyboard(chat_id: int, markup: object) -> None:
    """Telegram takes web_app buttons in private chats only (a private chat's id is positive), and only https."""
    rows = (markup or {}).get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows or []:
        for key in row:
            web_app = key.get("web_app")
            if web_app is None:
                continue
            if chat_id < 0:
                raise ApiError(400, "Bad Request: BUTTON_TYPE_INVALID")
            if not str(web_app.get("url", "")).startswith("https://"):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")


def _handler_for(api: FakeTelegramAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects

        def do_POST(self) -> None:
            match = _API_PATH.match(unquote(self.path.split("?", 1)[0]))
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if match is None:
                self._answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return
            try:
                params = _params(self.headers.get("Content-Type"), body)
                result = api.call(match["token"], match["method"], params, lambda: _hung_up(self.connection))
            except ApiError as err:
                payload: Json = {"ok": False, "error_code": err.status, "description": err.description}
                if err.parameters:
                    payload["parameters"] = err.parameters
                self._answer(err.status, payload)
                return
            self._answer(200, {"ok": True, "result": result})

        def do_GET(self) -> None:
            match = _FILE_PATH.match(self.path)
            try:
                if match is None:
                    raise ApiError(404, "Not Found")
                content = api.download(unquote(match["token"]), unquote(match["path"]))
            except ApiError as err:
                self._answer(err.status, {"ok": False, "error_code": err.status, "description": err.description})
                return
            self.reply(200, content, {"Content-Type": "application/octet-stream"})

        def _answer(self, status: int, payload: Json) -> None:
            self.reply(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    return Handler


def _hung_up(connection: socket.socket) -> bool:
    """Whether the client closed its end: readable, with nothing to read."""
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _params(content_type: str | None, body: bytes) -> Json:
    if not body:
        return {}
    if (content_type or "").startswith("application/json"):
        data = json.loads(body)
        return data if isinstance(data, dict) else {}
    if (content_type or "").startswith("multipart/form-data"):
        return _multipart(content_type or "", body)
    params: Json = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        params[key] = json.loads(value) if key in _JSON_FIELDS else value
    return params


def _multipart(content_type: str, body: bytes) -> Json:
    """A multipart/form-data body (a call that uploads a file): a part with a filename is the file's bytes (its
    name under "_filename:<part>"), the others are text fields (JSON ones decoded, as in a form-encoded call).
    Split at the boundary rather than by the email parser, which takes seconds over a 50 MB document."""
    boundary = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode()).get_boundary()
    if not boundary:
        raise ApiError(400, "Bad Request: a multipart request without a boundary")
    params: Json = {}
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        part = BytesParser(policy=HTTP).parsebytes(head + b"\r\n\r\n", headersonly=True)
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise ApiError(400, "Bad Request: a form part without a name")
        content = content.removesuffix(b"\r\n")
        if part.get_filename() is not None:
            params[name] = content
            params[f"_filename:{name}"] = part.get_filename()
        else:
            params[name] = json.loads(content) if name in _JSON_FIELDS else content.decode()
    return params


def _photo_sizes(file_id: str, png: bytes) -> list[Json]:
    """The sizes Telegram answers for a new photo: a small thumbnail and the picture as sent (its PNG header's
    width and height; 0 for another format, which this fake does not decode)."""
    width, height = struct.unpack(">II", png[16:24]) if png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) >= 24 else (0, 0)
    scale = THUMB_PX / max(width, height, 1)
    thumb = {"width": round(width * scale), "height": round(height * scale), "file_size": len(png) // 20}
    full = {"width": width, "height": height, "file_size": len(png)}
    return [{"file_id": f"{file_id}_{i}", "file_unique_id": f"u{file_id}_{i}", **size}
            for i, size in enumerate((thumb, full))]  # fmt: skip
