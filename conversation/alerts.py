"""Alerts in the conversation: the list of open alerts, one alert, ack / resolve / silence / escalate by text or
button, who is on call and "I'll take tonight". Acting goes through the alert desk, like an SMS reply or a
keypress on a call, so every message of the alert is updated whichever way it was acknowledged."""

from __future__ import annotations

from alerts.desk import Desk
from conversation.replies import reply
from core.models import Intent, IntentName, Message, Reply

LIST_LIMIT = 10
_VIA = {"slack": "Slack", "telegram": "Telegram", "console": "console"}
BUTTON_INTENTS = {"ack": IntentName.ACK, "resolve": IntentName.RESOLVE, "silence": IntentName.SILENCE}


def via(channel: str) -> str:
    return _VIA.get(channel, channel)


class AlertFlow:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk

    def handle(self, msg: Message, user: str, intent: Intent) -> list[Reply]:
        slots, name = intent.slots, intent.name
        if name is IntentName.ONCALL:
            return [reply(msg.ref, self._desk.who_is_on_call())]
        if name is IntentName.TAKE_ONCALL:
            return [reply(msg.ref, self._desk.take(user, slots.period, via(msg.ref.channel)), kind="result")]
        if name is IntentName.ALERTS:
            text = self._desk.show(slots.alert_id) if slots.alert_id else self._desk.listing(LIST_LIMIT)
            return [reply(msg.ref, text)]
        number = slots.alert_id or self._desk.only_open()  # none given: the one open alert, if only one is
        if number is None:
            return [reply(msg.ref, _which(name), kind="refusal")]
        return [reply(msg.ref, self.act(name, number, user, msg.ref.channel, slots.duration_seconds), kind="result")]

    def act(self, name: IntentName, number: int, user: str, channel: str, seconds: int | None = None) -> str:
        where = via(channel)
        if name is IntentName.ACK:
            return self._desk.acknowledge(number, user, where)
        if name is IntentName.RESOLVE:
            return self._desk.resolve(number, user, where)
        if name is IntentName.SILENCE:
            return self._desk.silence(number, user, where, seconds)
        return self._desk.escalate(number, user, where)


def _which(name: IntentName) -> str:
    verb = {IntentName.ACK: "ack", IntentName.RESOLVE: "resolve", IntentName.SILENCE: "silence 42 1h"}.get(
        name, "escalate"
    )
    example = verb if " " in verb else f"{verb} 42"
    return f"Which alert? Say its number: {example} (alerts lists them)."
