"""The escalation engine behind the `alerts.desk.Desk` seam. Acting on an alert, from anywhere: a chat button or
`ack 42`, an SMS reply, a keypress on a call. Whatever the channel, the same call changes the alert's state once,
stops (or hurries) its escalation, writes the audit and updates every message of the alert. Also the intake, the
alerts list and cards, who is on call, taking the pager ("I'll take tonight"), the backlog for the metrics, and what
a test alert needs (finding it, its card in one more conversation, how it pages)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from alerts.desk import Backlog, Paging, PhoneAction, PhoneVia
from alerts.model import Alert, AlertState, Incoming
from alerts.text import card, line
from audit.log import AuditEvent
from core.durations import span
from policies.alerting.loader import person_for_phone, phone_of
from policies.alerting.oncall import Override, on_call, take_window
from workers.escalation.engine import Escalator, Intake
from workers.escalation.notices import token_of_key

DEFAULT_SILENCE_SECONDS = 3600
MAX_SILENCE_SECONDS = 7 * 24 * 3600


class AlertDesk:
    """Implements `alerts.desk.Desk`; the engine stays behind it. `phones_shown`: its pager only shows SMS and calls
    in the console (the demo's, when Twilio is not configured)."""

    def __init__(self, escalator: Escalator, *, phones_shown: bool = False) -> None:
        self._escalator = escalator
        self._phones_shown = phones_shown

    def ingest(self, incoming: Sequence[Incoming]) -> Intake:
        return self._escalator.ingest(incoming)

    # -- reading --------------------------------------------------------------------------------------
    def listing(self, limit: int) -> str:
        e = self._escalator
        alerts, total = e.book.open_alerts(limit)
        if not total:
            return "No open alerts."
        now = e.clock()
        head = f"{total} open alert{'s' if total != 1 else ''}" + (f", newest {limit}:" if total > limit else ":")
        return "\n".join([head, *(line(a, e.notices.tz, now) for a in alerts)])

    def show(self, number: int) -> str:
        alert = self._escalator.book.get(number)
        return f"No alert {number}." if alert is None else card(alert, self._escalator.notices.tz)

    def only_open(self) -> int | None:
        alerts, total = self._escalator.book.open_alerts(2)
        return alerts[0].number if total == 1 and alerts else None

    def backlog(self) -> Backlog:
        e = self._escalator
        return Backlog(e.book.open_count(), e.timers.running(), e.timers.next_due())

    def find_open(self, key: str) -> Alert | None:
        newest, _ = self._escalator.book.open_alerts(100)
        return next((alert for alert in newest if alert.key == key), None)

    def paging(self, number: int) -> Paging:
        e = self._escalator
        alert = e.book.get(number)
        escalation = e.alerting.escalations.get(alert.escalation or "") if alert is not None else None
        if alert is None or not alert.paging or escalation is None:
            return "nobody"
        if not any(step.notify in ("sms", "call") for step in escalation.steps):
            return "chat only"
        if e.pager is None:
            return "phones skipped"
        return "phones shown" if self._phones_shown else "phones"

    # -- posting --------------------------------------------------------------------------------------
    def post_card(self, number: int, conversation: str) -> bool:
        alert = self._escalator.book.get(number)
        if alert is None:
            return False
        self._escalator.notices.post(alert, [conversation])
        return True

    # -- acting ---------------------------------------------------------------------------------------
    def acknowledge(self, number: int, person: str, via: str) -> str:
        e = self._escalator
        change = e.book.acknowledge(number, person, via)
        if change.alert is None:
            return f"No alert {number}."
        if not change.changed:
            return _unchanged(change.alert, "acknowledged")
        e.timers.stop(number)
        e.note(AuditEvent.ALERT_ACKED, change.alert.channels, actor=person, where=via,
               what=change.alert.summary[:200], params={"alert": number})  # fmt: skip
        e.notices.update(change.alert)
        e.tell_phones(change.alert, person)
        return f"Alert {number} acknowledged: escalation stopped."

    def resolve(self, number: int, person: str, via: str) -> str:
        alert = self._escalator.book.get(number)
        if alert is None:
            return f"No alert {number}."
        if alert.state is AlertState.RESOLVED:
            return _unchanged(alert, "resolved")
        closed = self._escalator.close(number, by=person, via=via)
        if closed is None or closed.resolved_by != person:
            return _unchanged(closed or alert, "resolved")
        return f"Alert {number} resolved."

    def silence(self, number: int, person: str, via: str, seconds: int | None) -> str:
        e = self._escalator
        wanted = DEFAULT_SILENCE_SECONDS if seconds is None else seconds
        if wanted <= 0:
            return "Give a duration: silence 42 1h."
        wanted = min(wanted, MAX_SILENCE_SECONDS)
        change = e.book.silence(number, person, wanted)
        if change.alert is None:
            return f"No alert {number}."
        if not change.changed:
            return _unchanged(change.alert, "resolved")
        e.timers.pause_until(number, change.alert.silenced_until or e.clock())
        e.note(AuditEvent.ALERT_SILENCED, change.alert.channels, actor=person, where=via,
               what=change.alert.summary[:200], params={"alert": number, "seconds": wanted})  # fmt: skip
        e.notices.update(change.alert)
        return f"Alert {number} silenced for {span(wanted)}: no paging until then."

    def escalate(self, number: int, person: str, via: str) -> str:
        e = self._escalator
        alert = e.book.get(number)
        if alert is None:
            return f"No alert {number}."
        if alert.state is not AlertState.FIRING:
            return _unchanged(alert, "escalated")
        if not e.timers.hurry(number):
            return f"Alert {number} is not paging anyone: nothing to escalate."
        e.note(AuditEvent.ALERT_ESCALATED, alert.channels, actor=person, where=via, what="escalated by hand",
               params={"alert": number})  # fmt: skip
        return f"Alert {number}: paging the next step now."

    # -- the phone side (alerts.desk.PhoneDesk) -------------------------------------------------------
    def person_for_phone(self, phone: str) -> str | None:
        return person_for_phone(self._escalator.policy, phone)

    def was_paged(self, number: int, person: str) -> bool:
        return self._escalator.book.was_paged(number, person)

    def spoken(self, number: int) -> str | None:
        alert = self._escalator.book.get(number)
        if alert is None:
            return None
        severity = {"critical": "Critical", "warning": "Warning", "info": "Information"}[alert.severity.value]
        what = f"{alert.resource}: {alert.summary}" if alert.resource else alert.summary
        state = "" if alert.state is AlertState.FIRING else f" It is already {alert.state.value}."
        return f"opsbot alert {' '.join(str(alert.number))}. {severity}. {what}.{state}"

    def act(self, number: int, action: PhoneAction, person: str, via: PhoneVia) -> str:
        if action == "ack":
            return self.acknowledge(number, person, via)
        if action == "resolve":
            return self.resolve(number, person, via)
        return self.escalate(number, person, via)

    def page_result(self, number: int, token: str, status: str, reached: bool | None) -> None:
        e = self._escalator
        e.note(AuditEvent.ALERT_DELIVERY, (), actor="system", where="twilio", what=f"alert {number} page {token}",
               params={"alert": number, "page": token, "status": status[:40]})  # fmt: skip
        if reached is False:
            e.timers.hurry(number, token)
        elif reached is None and status.startswith("completed"):
            alert = e.book.get(number)  # a call that ended without a key pressed reached no one who acted
            if alert is not None and alert.state is AlertState.FIRING:
                e.timers.hurry(number, token)

    # -- chat delivery results ------------------------------------------------------------------------
    def chat_result(self, key: str, error: str | None) -> None:
        found = token_of_key(key)
        if found is None:
            return
        number, token = found
        e = self._escalator
        e.note(
            AuditEvent.ALERT_DELIVERY, (), actor="system", where="chat", what=f"alert {number} message {key}",
            params={"alert": number, "ok": error is None}, outcome=(error or "delivered")[:160],
        )  # fmt: skip
        if error is not None and token.partition(".")[2].isdigit():
            e.timers.hurry(number, token)

    # -- on call --------------------------------------------------------------------------------------
    def who_is_on_call(self) -> str:
        e = self._escalator
        if not e.alerting.schedules:
            return "No on-call schedule is configured."
        now = e.clock()
        at = datetime.fromtimestamp(now, UTC)
        lines = []
        for name, schedule in e.alerting.schedules.items():
            current = on_call(schedule, at, e.overrides.active(name, now))
            until = current.until.astimezone(e.notices.tz).strftime("%a %H:%M")
            taken = f" (override by {current.override.by or current.person})" if current.override else ""
            line = f"{name}: {current.person} until {until}{taken}, then {current.then}"
            if current.manager:
                line += f"; manager {current.manager}"
            lines.append(line)
        return "On call now\n" + "\n".join(lines)

    def on_call_people(self) -> list[str]:
        e = self._escalator
        now = e.clock()
        at = datetime.fromtimestamp(now, UTC)
        return [on_call(s, at, e.overrides.active(name, now)).person for name, s in e.alerting.schedules.items()]

    def take(self, person: str, period: str | None, via: str) -> str:
        e = self._escalator
        if not e.alerting.schedules:
            return "No on-call schedule is configured."
        if phone_of(e.policy, person) is None and _pages_by_phone(e):
            return f"{person} has no phone number in the policy file: SMS and calls could not reach you."
        name = e.alerting.default_schedule or next(iter(e.alerting.schedules))
        now = e.clock()
        start, end = take_window(e.alerting.schedules[name], period, datetime.fromtimestamp(now, UTC))
        e.overrides.add(name, Override(person=person, start=start, end=end, by=person), now)
        e.note(AuditEvent.ONCALL_OVERRIDE, (), actor=person, where=via, what=f"{name} until {end.isoformat()}",
               params={"schedule": name, "start": start.timestamp(), "end": end.timestamp()})  # fmt: skip
        tz = e.notices.tz
        until = end.astimezone(tz).strftime("%a %H:%M")
        since = "" if start.timestamp() <= now + 60 else f" from {start.astimezone(tz).strftime('%a %H:%M')}"
        return f"You have the {name} pager{since} until {until}. Alerts page you first."


def _pages_by_phone(escalator: Escalator) -> bool:
    return any(step.notify in ("sms", "call") for e in escalator.alerting.escalations.values() for step in e.steps)


def _unchanged(alert: Alert, wanted: str) -> str:
    n = alert.number
    if alert.state is AlertState.RESOLVED:
        return f"Alert {n} was already resolved by {alert.resolved_by}."
    if alert.state is AlertState.ACKED and wanted in ("acknowledged", "escalated"):
        return f"Alert {n} was already acknowledged by {alert.acked_by}."
    return f"Alert {n} is {alert.state.value}."
