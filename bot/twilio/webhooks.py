"""The webhooks Twilio calls: `POST /twilio/sms` (a reply to a page), `POST /twilio/voice` (a page call asking
for, and getting, a key) and `POST /twilio/status` (delivery and call outcomes). They only translate: who a
number is, whether they may answer, and acting on the alert are the `PhoneDesk`'s.

Every request must carry Twilio's `X-Twilio-Signature` over the URL Twilio called (OPSBOT_PUBLIC_URL + path
+ query, never the Host header, which a proxy may rewrite) and the form fields, and name our account.
Twilio's signatures carry no timestamp, so a captured request stays valid: replays are made harmless by
remembering what was done per MessageSid, per call's keypress and per status (Redis, 24 h)."""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

import redis
from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from alerts.desk import PhoneAction, PhoneDesk
from bot.twilio.client import SMS_PATH, STATUS_PATH, VOICE_PATH, callback_url, public_base
from bot.twilio.sms import HELP, for_sms, parse_reply
from bot.twilio.voice import prompt, said
from core.errors import ConfigError, OpsbotError
from core.settings import Settings

log = logging.getLogger(__name__)

Form = ImmutableMultiDict[str, str]
Handler = Callable[[Request, Form], Awaitable[Response]]
SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_FORM_BYTES = 64 * 1024  # Twilio's forms are a few KB (an SMS body is at most 1600 characters)
MAX_FORM_FIELDS = 200
SEEN_SECONDS = 86_400
_SEEN = "opsbot:twilio:seen:"
FAILED_SMS = "Sorry, that did not work. Please reply again."
_KEYS: dict[str, PhoneAction] = {"1": "ack", "2": "resolve", "9": "escalate"}
# Status words that mean the page did not reach its person; "completed" calls are left to the desk, which
# knows whether a key was pressed. Any other word is not final.
_SMS_FAILED = {"failed", "undelivered"}
_CALL_FAILED = {"busy", "no-answer", "failed", "canceled"}


def twilio_routes(settings: Settings, connection: redis.Redis, desk: PhoneDesk) -> list[BaseRoute]:
    hooks = TwilioWebhooks(settings, connection, desk)
    return [
        Route(SMS_PATH, hooks.sms, methods=["POST"]),
        Route(VOICE_PATH, hooks.voice, methods=["POST"]),
        Route(STATUS_PATH, hooks.status, methods=["POST"]),
    ]


class Refused(OpsbotError):
    """A request we do not serve; `str()` is the one line answered."""

    def __init__(self, status: int, line: str) -> None:
        super().__init__(line)
        self.status = status


class TwilioWebhooks:
    def __init__(self, settings: Settings, connection: redis.Redis, desk: PhoneDesk) -> None:
        if not (settings.twilio_account_sid and settings.twilio_auth_token):
            raise ConfigError("Twilio webhooks need OPSBOT_TWILIO_ACCOUNT_SID and OPSBOT_TWILIO_AUTH_TOKEN")
        self._base = public_base(settings)
        self._account = settings.twilio_account_sid
        self._validator = RequestValidator(settings.twilio_auth_token.get_secret_value())
        self._redis = connection
        self._desk = desk

    async def sms(self, request: Request) -> Response:
        return await self._serve(request, SMS_PATH, self._sms)

    async def voice(self, request: Request) -> Response:
        return await self._serve(request, VOICE_PATH, self._voice)

    async def status(self, request: Request) -> Response:
        return await self._serve(request, STATUS_PATH, self._status)

    async def _serve(self, request: Request, path: str, handle: Handler) -> Response:
        try:
            form = await self._verified(request, path)
            return await handle(request, form)
        except Refused as refused:
            return PlainTextResponse(str(refused), status_code=refused.status)
        except Exception:  # the desk or Redis failed; what was claimed was released, so Twilio may retry
            log.exception("twilio: %s not handled", path)
            return PlainTextResponse("internal error; try again", status_code=500)

    async def _verified(self, request: Request, path: str) -> Form:
        """The form, once it is known to come from Twilio for our account. The signature is checked first: the
        form is read leniently for it (Twilio signs the decoded fields), and strictly only once it is Twilio's."""
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature:
            raise Refused(403, "invalid Twilio signature")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
            raise Refused(413, "form too large")
        body = await request.body()  # at most the HTTP app's limit (bot/http.py)
        if len(body) > MAX_FORM_BYTES:
            raise Refused(413, "form too large")
        signed = Form(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        query = request.scope.get("query_string", b"").decode("latin-1")
        url = self._base + path + (f"?{query}" if query else "")
        if not self._validator.validate(url, signed, signature):
            raise Refused(403, "invalid Twilio signature")
        if signed.get("AccountSid") != self._account:
            raise Refused(403, "not our Twilio account")
        kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            raise Refused(400, "expected a form-encoded body")
        try:
            fields = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True, errors="strict",
                               max_num_fields=MAX_FORM_FIELDS)  # fmt: skip
        except ValueError:  # includes bad UTF-8, raw or percent-encoded
            raise Refused(400, "malformed form body") from None
        return Form(fields)

    # -- /twilio/sms -----------------------------------------------------------------------------------
    async def _sms(self, request: Request, form: Form) -> Response:
        phone, sid = form.get("From", ""), form.get("MessageSid", "")
        if not phone or not sid:
            raise Refused(400, "missing From or MessageSid")
        person = await asyncio.to_thread(self._desk.person_for_phone, phone)
        if person is None:
            log.info("twilio: SMS from unregistered number ...%s ignored", phone[-4:])
            return _twiml(MessagingResponse())
        if not await self._first(_SEEN + sid):
            return _twiml(MessagingResponse())  # Twilio (or someone) sending the same message again
        try:
            line = await self._answer_sms(form.get("Body", ""), person)
        except Exception:  # the desk failed (Redis down ...): nothing was done, the person may try again
            await asyncio.to_thread(self._redis.delete, _SEEN + sid)
            log.exception("twilio: SMS reply of %s not handled", person)
            line = FAILED_SMS
        reply = MessagingResponse()
        reply.message(for_sms(line))
        return _twiml(reply)

    async def _answer_sms(self, body: str, person: str) -> str:
        parsed = parse_reply(body)
        if parsed is None:
            return HELP
        number, action = parsed
        if not await asyncio.to_thread(self._desk.was_paged, number, person):
            return f"You were not paged for alert {number}."
        return await asyncio.to_thread(self._desk.act, number, action, person, "SMS")

    # -- /twilio/voice ---------------------------------------------------------------------------------
    async def _voice(self, request: Request, form: Form) -> Response:
        if "alert" not in request.query_params:  # someone calling our number
            return _voice_xml(said("This number only calls you about alerts. Goodbye."))
        number, token = _page(request)
        outbound = form.get("Direction", "").startswith("outbound")
        phone = form.get("To" if outbound else "From", "")
        person = await asyncio.to_thread(self._desk.person_for_phone, phone) if phone else None
        if person is None:
            return _voice_xml(said("This number is not registered."))
        if not await asyncio.to_thread(self._desk.was_paged, number, person):
            return _voice_xml(said(f"You were not paged for alert {number}. Goodbye."))
        digits = form.get("Digits", "")
        action = _KEYS.get(digits)
        if action is not None:
            line = await self._act_once(form.get("CallSid", ""), number, action, person)
            if line is not None:
                return _voice_xml(said(line))
        spoken = await asyncio.to_thread(self._desk.spoken, number)
        if spoken is None:
            return _voice_xml(said("This alert is no longer known. Goodbye."))
        if action is not None:
            spoken = f"Sorry, that did not work. {spoken}"
        elif digits and digits != "*":
            spoken = f"Sorry. {spoken}"
        action_url = callback_url(self._base, VOICE_PATH, number, token)
        first = "attempt" not in request.query_params
        repeat_url = callback_url(self._base, VOICE_PATH, number, token, attempt="2") if first else None
        return _voice_xml(prompt(spoken, action_url, repeat_url))

    async def _act_once(self, call_sid: str, number: int, action: PhoneAction, person: str) -> str | None:
        """The desk's line for this call's keypress; a replay of it gets the same line, nothing done twice.
        None when the desk failed: nothing was done, and the key may be pressed again."""
        if not call_sid:
            raise Refused(400, "missing CallSid")
        key = f"{_SEEN}{call_sid}:act"
        if not await self._first(key):
            done = await asyncio.to_thread(self._redis.get, key)
            return done.decode() if isinstance(done, bytes) and done else "Already done. Goodbye."
        try:
            line = await asyncio.to_thread(self._desk.act, number, action, person, "phone")
        except Exception:
            await asyncio.to_thread(self._redis.delete, key)
            log.exception("twilio: keypress of %s on alert %s not handled", person, number)
            return None
        await asyncio.to_thread(self._redis.set, key, line, xx=True, keepttl=True)
        return line

    # -- /twilio/status --------------------------------------------------------------------------------
    async def _status(self, request: Request, form: Form) -> Response:
        number, token = _page(request)
        kind = request.query_params.get("kind")
        if kind == "sms":
            word, sid = form.get("MessageStatus") or form.get("SmsStatus", ""), form.get("MessageSid", "")
            reached = True if word == "delivered" else False if word in _SMS_FAILED else None
        elif kind == "call":
            word, sid = form.get("CallStatus", ""), form.get("CallSid", "")
            reached = False if word in _CALL_FAILED else None
        else:
            raise Refused(400, "kind must be sms or call")
        if not word:
            raise Refused(400, "missing status")
        status = f"{word} {form['ErrorCode']}" if form.get("ErrorCode") else word
        key = f"{_SEEN}{sid}:{word}"
        if sid and not await self._first(key):
            return Response(status_code=204)
        try:
            await asyncio.to_thread(self._desk.page_result, number, token, status, reached)
        except BaseException:
            if sid:
                await asyncio.to_thread(self._redis.delete, key)  # not recorded: a retry may record it
            raise
        return Response(status_code=204)

    async def _first(self, key: str) -> bool:
        """True the first time `key` is claimed within SEEN_SECONDS."""
        return bool(await asyncio.to_thread(self._redis.set, key, "", nx=True, ex=SEEN_SECONDS))


def _page(request: Request) -> tuple[int, str]:
    """Alert number and page token from the query of a callback URL we gave Twilio."""
    alert, token = request.query_params.get("alert", ""), request.query_params.get("token", "")
    if not (alert.isascii() and alert.isdigit() and 0 < len(alert) <= 9) or not token or len(token) > 200:
        raise Refused(400, "missing or bad alert or token")
    return int(alert), token


def _twiml(response: MessagingResponse) -> Response:
    return Response(str(response.to_xml()), media_type="text/xml")


def _voice_xml(twiml: str) -> Response:
    return Response(twiml, media_type="text/xml")
