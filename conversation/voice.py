"""Spoken commands: what was heard is said back first, and a doubtful transcript is asked about
("I heard: 'scale web prod to twenty': right?") before anything else happens. A voice command then
goes through exactly the same flow as typed text: changes still show what will change with Confirm,
critical actions still need the second approver."""

from __future__ import annotations

from collections.abc import Callable

import redis

from conversation.replies import reply
from core.errors import VoiceInputError, VoiceSetupError
from core.models import Button, ConversationRef, Intent, IntentName, Message, Reply
from intents.parser import parse
from voice.pipeline import Heard, VoicePipeline

KEY = "opsbot:heard:"
# Acts on an alert by its number: a misheard number ("four two" as "four two two") would stop the paging of
# another alert. Always asked about, however sure the recogniser was.
ALWAYS_ASK = frozenset(
    {IntentName.ACK, IntentName.RESOLVE, IntentName.SILENCE, IntentName.ESCALATE, IntentName.TAKE_ONCALL}
)
Dispatch = Callable[[Message, str, Intent], list[Reply]]


class VoiceFlow:
    def __init__(self, pipeline: VoicePipeline, connection: redis.Redis, confirm_below: float, ttl: int) -> None:
        self.pipeline = pipeline
        self._redis = connection
        self._confirm_below = confirm_below
        self._ttl = ttl

    def handle(self, msg: Message, user: str, audio: bytes, dispatch: Dispatch) -> list[Reply]:
        try:
            heard = self.pipeline.transcribe(audio)
        except VoiceInputError as exc:
            return [reply(msg.ref, str(exc), kind="refusal")]
        except VoiceSetupError as exc:
            return [reply(msg.ref, f"Voice is not available here: {exc}", kind="error")]
        return self.understood(msg, user, heard, dispatch)

    def understood(self, msg: Message, user: str, heard: Heard, dispatch: Dispatch) -> list[Reply]:
        if not heard.text.strip():
            return [reply(msg.ref, "I couldn't make out any words. Say it again, or type it.")]
        intent = parse(heard.text)
        said = f"I heard: '{heard.text}'"
        if intent.name is IntentName.UNKNOWN:
            return [reply(msg.ref, f"{said} - that is not a command I know. Say it again, or type it.")]
        spoken = msg.model_copy(update={"text": heard.text})
        doubtful = heard.confidence < self._confirm_below or intent.confidence < self._confirm_below
        if doubtful or intent.name in ALWAYS_ASK:
            self._redis.set(_key(msg.ref, user), intent.model_dump_json(), ex=self._ttl)
            buttons = (Button(id="heard:yes", label="Yes", style="primary"), Button(id="heard:no", label="No"))
            return [reply(msg.ref, f"{said}: right?", buttons=buttons)]
        return _prefixed(msg.ref, said, dispatch(spoken, user, intent))

    def answer(self, msg: Message, user: str, choice: str, dispatch: Dispatch) -> list[Reply]:
        """The Yes/No under "I heard ...: right?"."""
        raw = self._redis.getdel(_key(msg.ref, user))
        if raw is None:
            return [reply(msg.ref, "That question has expired: say it again.")]
        if choice != "yes":
            return [reply(msg.ref, "OK, nothing done. Say it again, or type it.")]
        intent = Intent.model_validate_json(raw)
        return dispatch(msg.model_copy(update={"text": intent.text}), user, intent)


def _prefixed(ref: ConversationRef, said: str, replies: list[Reply]) -> list[Reply]:
    """Replies start with what was heard: the first new message carries it, else it goes first on its own."""
    for i, answer in enumerate(replies):
        if answer.edit_of is None:
            replies[i] = answer.model_copy(update={"text": f"{said}\n{answer.text}"})
            return replies
    return [reply(ref, said), *replies]


def _key(ref: ConversationRef, user: str) -> str:
    return f"{KEY}{ref.channel}:{ref.conversation_id}:{user}"
