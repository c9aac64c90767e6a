"""Spoken commands: what was heard is said back first, and a doubtful transcript is asked about before anything
else happens - "Did you say 'scale web prod to fifteen' or 'scale web prod to fifty'?" when the recogniser's other
likely sentences mean something else, else "I heard: '...': right?". A spoken change that shrinks or stops prod,
and a failover, are always asked about. A voice command then goes through exactly the same flow as typed text
(changes still show what will change with Confirm, critical actions still need the second approver), except that
a spoken yes is not a tap: it confirms only a clear, sure, whole-note yes, and never a critical action."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from pydantic import TypeAdapter

from actions.provider import Resource
from audit.log import AuditEvent
from conversation.confirmations import Pending
from conversation.outcome import recorded
from conversation.replies import reply, where
from conversation.services import Services
from conversation.voice_rules import CLEAR_CANCEL, is_clear_yes, shrinks_prod
from core.errors import OpsbotError, VoiceInputError, VoiceSetupError
from core.models import Button, ConversationRef, Frozen, Intent, IntentName, Message, Reply, Risk
from intents.parser import parse
from voice.pipeline import Heard, VoicePipeline

KEY = "opsbot:heard:"
MAX_READINGS = 3
# Acts on an alert by its number: a misheard number ("four two" as "four two two") would stop the paging of
# another alert. Always asked about, however sure the recogniser was.
ALWAYS_ASK = frozenset(
    {IntentName.ACK, IntentName.RESOLVE, IntentName.SILENCE, IntentName.ESCALATE, IntentName.TAKE_ONCALL}
)
NOT_A_TAP = "a spoken yes doesn't confirm this: tap Confirm or type yes."
_LABEL_CHARS = 40
# Deletes the question only if it is still the one that was read: of two presses exactly one acts, and a press
# never takes away a newer question.
_TAKE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
Dispatch = Callable[[Message, str, Intent], list[Reply]]


class _Question(Frozen):
    id: str  # in the buttons' ids: a button of an older question never answers a newer one
    readings: tuple[Intent, ...]  # what each button dispatches, in button order


_QUESTION = TypeAdapter(_Question)


class VoiceFlow:
    def __init__(self, pipeline: VoicePipeline, services: Services) -> None:
        self.pipeline = pipeline
        self._s = services
        self._take = services.connection.register_script(_TAKE)

    def handle(self, msg: Message, user: str, audio: bytes, dispatch: Dispatch) -> list[Reply]:
        try:
            heard = self.pipeline.transcribe(audio)
        except VoiceInputError as exc:
            return [reply(msg.ref, str(exc), kind="refusal")]
        except VoiceSetupError as exc:
            return [reply(msg.ref, f"Voice is not available here: {exc}", kind="error")]
        return self.understood(msg, user, heard, dispatch)

    def understood(self, msg: Message, user: str, heard: Heard, dispatch: Dispatch) -> list[Reply]:
        text = " ".join(heard.text.split())
        if not text:
            return [reply(msg.ref, "I couldn't make out any words. Say it again, or type it.")]
        intent = parse(text)
        said = f"I heard: '{text}'"
        if intent.name is IntentName.CONFIRM:
            return self._spoken_yes(msg, user, heard, intent, said, dispatch)
        if intent.name is IntentName.CANCEL and text in CLEAR_CANCEL:  # the safe way: no question first
            return _prefixed(msg.ref, said, dispatch(msg.model_copy(update={"text": text}), user, intent))
        settings = self._s.settings
        doubtful = min(heard.confidence, intent.confidence) < settings.voice_confirm_below
        readings = _readings(intent, heard.alternatives) if doubtful else ()
        if len(readings) > 1:
            return [self._ask(msg.ref, user, readings)]
        if intent.name is IntentName.UNKNOWN:
            if readings:  # the best sentence means nothing, another one does
                return [self._ask(msg.ref, user, readings)]
            return [reply(msg.ref, f"{said} - that is not a command I know. Say it again, or type it.")]
        below = self._s.policy.policy.effects.scale_down_below
        if doubtful or intent.name in ALWAYS_ASK or shrinks_prod(intent, self._target(intent), below):
            return [self._ask(msg.ref, user, (intent,))]
        return _prefixed(msg.ref, said, dispatch(msg.model_copy(update={"text": text}), user, intent))

    def answer(self, msg: Message, user: str, arg: str, dispatch: Dispatch) -> list[Reply]:
        """A button under "Did you say ...?" (`heard:<n>:<question>`, `heard:no:<question>`) or under
        "I heard ...: right?" (`heard:yes:<question>`)."""
        choice, _, question_id = arg.partition(":")
        index = 0 if choice == "yes" else int(choice) if choice.isdigit() and len(choice) == 1 else None
        if choice != "no" and index is None:
            return [reply(msg.ref, "That button is no longer valid.", kind="refusal")]
        key = _key(msg.ref, user)
        raw = self._s.connection.get(key)
        if raw is None:
            return [reply(msg.ref, "That question has expired: say it again.")]
        question = _QUESTION.validate_json(raw)
        if not _fits(question, choice, index, question_id):
            return [reply(msg.ref, "That button is no longer valid.", kind="refusal")]
        if not int(self._take(keys=[key], args=[raw])):
            return [reply(msg.ref, "That question has expired: say it again.")]
        if index is None:
            return [reply(msg.ref, "OK, nothing done. Say it again, or type it.")]
        intent = question.readings[index]
        return dispatch(msg.model_copy(update={"text": intent.text}), user, intent)

    def _ask(self, ref: ConversationRef, user: str, readings: tuple[Intent, ...]) -> Reply:
        question = _Question(id=secrets.token_hex(3), readings=readings)
        self._s.connection.set(_key(ref, user), question.model_dump_json(), ex=self._s.settings.confirm_ttl_seconds)
        if len(readings) == 1:
            yes = Button(id=f"heard:yes:{question.id}", label="Yes", style="primary")
            return reply(ref, f"I heard: '{readings[0].text}': right?", buttons=(yes, _no(question.id)))
        said = [f"'{r.text}'" for r in readings]
        buttons = tuple(Button(id=f"heard:{i}:{question.id}", label=_label(r.text)) for i, r in enumerate(readings))
        text = f"Did you say {', '.join(said[:-1])} or {said[-1]}?"
        return reply(ref, text, buttons=(*buttons, _no(question.id, "Neither")))

    def _spoken_yes(
        self, msg: Message, user: str, heard: Heard, intent: Intent, said: str, dispatch: Dispatch
    ) -> list[Reply]:
        """Confirms only a clear yes: the whole note, from the grammar, sure enough, and not a critical action."""
        store = self._s.confirmations
        code = intent.slots.code
        # A misheard code ("yes i v f a v a" from noise) is about the conversation's own pending request.
        pending = (store.get(code) if code else None) or store.latest(msg.ref)
        if pending is None:
            return [reply(msg.ref, f"{said} - there is nothing to confirm here.", kind="refusal")]
        if _critical(pending):
            role = pending.approver_role or "admin"
            why = f"a spoken yes doesn't approve a critical action: the {role} taps Approve or types its code."
            return self._not_a_tap(msg, user, heard, pending, f"{said} - {why}")
        clear = (
            heard.constrained
            and code in (None, pending.code)
            and heard.confidence >= self._s.settings.voice_yes_min
            and is_clear_yes(heard.text, code)
        )
        if not clear:
            return self._not_a_tap(msg, user, heard, pending, f"{said} - {NOT_A_TAP}")
        return _prefixed(msg.ref, said, dispatch(msg.model_copy(update={"text": heard.text}), user, intent))

    def _not_a_tap(self, msg: Message, user: str, heard: Heard, pending: Pending, line: str) -> list[Reply]:
        """One line, and the request left as it was (still confirmable by a tap); the audit notes the attempt."""
        self._s.audit.note(
            AuditEvent.REFUSED, actor=user, where=where(msg.ref), what=pending.plan_summary,
            params={"code": pending.code, "heard": heard.text[:200], "confidence": round(heard.confidence, 3),
                    "constrained": heard.constrained},
            outcome="spoken yes not taken as a confirmation",
        )  # fmt: skip
        recorded()
        return [reply(msg.ref, line, kind="refusal")]

    def _target(self, intent: Intent) -> Resource | None:
        """The resource a change names, if exactly one; None when it cannot be told (then it is asked about)."""
        if intent.slots.target is None:
            return None
        try:
            index = self._s.index(self._s.provider.snapshot())
        except OpsbotError:
            return None
        match = index.resolve(intent.slots.target).match
        return index.by_name.get(match) if match else None


def _readings(best: Intent, alternatives: tuple[str, ...]) -> tuple[Intent, ...]:
    """The distinct meanings among the heard sentences, best first: commands only, never a yes (a question never
    turns into a confirmation), at most MAX_READINGS."""
    found: list[Intent] = []
    seen: set[tuple[IntentName, str]] = set()
    for intent in (best, *(parse(" ".join(text.split())) for text in alternatives)):
        meaning = (intent.name, repr(sorted(intent.slots.present().items())))
        if intent.name in (IntentName.UNKNOWN, IntentName.CONFIRM) or meaning in seen:
            continue
        seen.add(meaning)
        found.append(intent)
        if len(found) == MAX_READINGS:
            break
    return tuple(found)


def _fits(question: _Question, choice: str, index: int | None, question_id: str) -> bool:
    """Whether a button belongs to this question: its id (when it carries one), a reading it has, and Yes only
    under the single "right?" question."""
    if question_id and question_id != question.id:
        return False
    if choice == "yes":
        return len(question.readings) == 1
    return index is None or index < len(question.readings)


def _critical(pending: Pending) -> bool:
    return pending.approver_role is not None or pending.risk is Risk.CRITICAL


def _no(question_id: str, label: str = "No") -> Button:
    return Button(id=f"heard:no:{question_id}", label=label)


def _label(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 3].rstrip() + "..."


def _prefixed(ref: ConversationRef, said: str, replies: list[Reply]) -> list[Reply]:
    """Replies start with what was heard: the first new message carries it, else it goes first on its own."""
    for i, answer in enumerate(replies):
        if answer.edit_of is None:
            replies[i] = answer.model_copy(update={"text": f"{said}\n{answer.text}"})
            return replies
    return [reply(ref, said), *replies]


def _key(ref: ConversationRef, user: str) -> str:
    return f"{KEY}{ref.channel}:{ref.conversation_id}:{user}"
