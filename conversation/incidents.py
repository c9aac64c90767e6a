"""Incidents from chat: "declare sev1 web-prod down" numbers an incident (its own Slack channel when the platform
has rooms: the on-call and the declarer invited, the summary pinned; elsewhere a post in the incident channels);
"inc 7 update ..." fans out to every channel of the incident with who and when; "inc 7 timeline" reads it with
what the audit saw on its service; "resolve inc 7 ..." closes it with the durations and the timeline as a file.
The policy was checked by the conversation core before (declare, update and resolve are operator intents)."""

from __future__ import annotations

import re
from typing import cast

from alerts.incidents import Incident, IncidentBook, Severity
from conversation import incident_timeline as tl
from conversation.incident_rooms import IncidentRooms
from conversation.replies import clock, new_key, reply
from conversation.services import Services
from core import blobs
from core.broadcast import broadcast
from core.errors import ConfigError
from core.models import Attachment, ConversationRef, Intent, IntentName, Message, Reply

DEFAULT_SEVERITY: Severity = "sev2"  # declared without one: serious enough to gather people, not the top
TIMELINE_LINES = 20  # a phone screen's worth; the resolution's file has them all
_SLUG = re.compile(r"[^a-z0-9]+")
_NOTE_LIMIT = 500  # what the incident's timeline keeps of one entry (alerts.incidents): longer is cut, and says so


class IncidentFlow:
    def __init__(self, services: Services, rooms: IncidentRooms | None) -> None:
        self._s = services
        self._rooms = rooms
        self.book = IncidentBook(services.connection, clock=services.clock)

    @property
    def rooms(self) -> IncidentRooms | None:
        """`opsbot serve` hands Slack's rooms over after the conversation is built: read them when needed."""
        return self._s.rooms if self._s.rooms is not None else self._rooms

    def handle(self, msg: Message, user: str, intent: Intent) -> list[Reply]:
        slots = intent.slots
        if intent.name is IntentName.DECLARE:
            return [self.declare(msg, user, slots.severity, slots.note, slots.target)]
        number = slots.incident_id
        incident = self.book.get(number) if number is not None else None
        if incident is None:
            return [reply(msg.ref, self._unknown(number), kind="refusal")]
        if intent.name is IntentName.INCIDENT_TIMELINE:
            return [self.timeline(msg, incident)]
        if intent.name is IntentName.INCIDENT_UPDATE:
            return [self.update(msg, user, incident, _whole_note(msg.text, slots.note))]
        return [self.resolve(msg, user, incident, slots.note)]

    # -- declaring -----------------------------------------------------------------------------------
    def declare(self, msg: Message, user: str, severity: str | None, title: str | None, target: str | None) -> Reply:
        if not title:
            return reply(msg.ref, "What is happening? Say it after declare: declare sev1 web-prod down", kind="refusal")
        service = target.lower() if target else None
        if service is not None and (already := self.book.for_service(service)) is not None:
            return reply(msg.ref, f"{service} already has incident {already.number} open ({already.severity}: "
                         f"{already.title}): inc {already.number} update ...", kind="refusal")  # fmt: skip
        channels = list(self._s.settings.incident_channels)
        level = cast(Severity, severity) if severity else DEFAULT_SEVERITY
        incident = self.book.declare(level, title, service, user, channels)
        summary = _summary(incident)
        room = self._open_room(incident, user, summary)
        if room is not None:
            incident = room
        others = [c for c in incident.channels if c != incident.room and c != _entry(msg.ref)]
        broadcast(self._s.workers.outbox, others, summary)
        where = f" - #{incident.room_name}" if incident.room_name else ""
        told = f"\nPosted to {', '.join(self._names(others, incident))}." if others else ""
        head = f"Incident {incident.number} ({incident.severity}): {incident.title}{where}"
        return reply(msg.ref, f"{head}{told}\nUpdates: inc {incident.number} update ...", kind="result")

    def _open_room(self, incident: Incident, user: str, summary: str) -> Incident | None:
        rooms = self.rooms
        if rooms is None:
            return None
        name = f"inc-{incident.number}-{_SLUG.sub('-', incident.title.lower()).strip('-')}"
        members = [m for m in (self._s.policy.identity_on(p, "slack") for p in self._people(user)) if m]
        ref = rooms.open(name, members, summary)
        if ref is None:
            return None
        return self.book.opened_room(incident.number, _entry(ref), rooms.name_of(ref) or name)

    def _people(self, user: str) -> list[str]:
        """Who is on call now on every schedule, as the escalation sees it (the overrides made from chat
        included), and the declarer."""
        try:
            on_call_now = self._s.alerts.on_call_people()
        except ConfigError:  # a broken alerting file must not stop an incident: the declarer still gets the room
            on_call_now = []
        return list(dict.fromkeys([*on_call_now, user]))

    # -- updating and reading ------------------------------------------------------------------------
    def update(self, msg: Message, user: str, incident: Incident, text: str | None) -> Reply:
        if not text:
            return reply(msg.ref, f"Say what changed: inc {incident.number} update db replica lagging", kind="refusal")
        if not incident.open:
            return reply(msg.ref, f"Incident {incident.number} was resolved by {incident.resolved_by}: "
                         "declare a new one if it is back.", kind="refusal")  # fmt: skip
        self.book.update(incident.number, text, user)
        at = clock(self._s.clock())
        line = f"Inc {incident.number} ({incident.severity}, {incident.title}) - {user} at {at}: {text}"
        others = [c for c in incident.channels if c != _entry(msg.ref)]
        broadcast(self._s.workers.outbox, others, line)
        told = f"\nSent to {', '.join(self._names(others, incident))}." if others else ""
        return reply(msg.ref, line + told, kind="result")

    def timeline(self, msg: Message, incident: Incident) -> Reply:
        lines = tl.lines(incident, self.book.timeline(incident.number), tl.from_audit(self._s.audit, incident))
        state = "open" if incident.open else f"resolved by {incident.resolved_by}"
        head = f"Inc {incident.number} ({incident.severity}): {incident.title} - {state}"
        shown = lines[-TIMELINE_LINES:]
        earlier = [f"({len(lines) - len(shown)} earlier)"] if len(lines) > len(shown) else []
        body = [f"{clock(line.at)} {line.text}" for line in shown]
        return reply(msg.ref, "\n".join([head, *earlier, *body]))

    # -- resolving -----------------------------------------------------------------------------------
    def resolve(self, msg: Message, user: str, incident: Incident, summary: str | None) -> Reply:
        if not incident.open:
            at = clock(incident.resolved_at)
            return reply(msg.ref, f"Incident {incident.number} was already resolved by {incident.resolved_by} at {at}.",
                         kind="refusal")  # fmt: skip
        closed = self.book.resolve(incident.number, summary or "resolved", user)
        if closed is None or closed.resolved_by != user:
            return reply(msg.ref, f"Incident {incident.number} was resolved by someone else just now.", kind="refusal")
        records = tl.from_audit(self._s.audit, closed)
        taken = tl.durations(closed, records)
        lines = tl.lines(closed, self.book.timeline(closed.number), records)
        text = "\n".join([
            f"Incident {closed.number} ({closed.severity}) resolved by {user}: {closed.summary}",
            f"{closed.title} - declared {clock(closed.declared_at)} by {closed.declared_by}",
            f"Time to acknowledge: {taken.acknowledge}",
            f"Time to mitigate: {taken.mitigate}",
            f"Time to resolve: {taken.resolve}",
        ])  # fmt: skip
        others = [c for c in closed.channels if c != _entry(msg.ref)]
        broadcast(self._s.workers.outbox, others, text)
        data = tl.markdown(closed, lines, taken).encode()
        name = f"inc-{closed.number}-timeline.md"
        key = blobs.put(self._s.connection, data)
        attachment = Attachment(filename=name, title=f"Incident {closed.number} timeline", blob_key=key,
                                size=len(data), mime="text/markdown")  # fmt: skip
        return Reply(ref=msg.ref, key=new_key(), text=f"{text}\nTimeline: {name}", attachment=attachment, kind="result")

    # -- inside --------------------------------------------------------------------------------------
    def _unknown(self, number: int | None) -> str:
        opened = [str(i.number) for i in self.book.open()][-5:]
        known = f" Open: {', '.join(opened)}." if opened else " None is open."
        if number is None:
            return f"Which incident? Say its number: inc 7 timeline.{known}"
        return f"No incident {number}.{known}"

    def _names(self, channels: list[str], incident: Incident) -> list[str]:
        """ "#inc-7-web-prod-down", "#incident" (the policy's name for it) or "telegram:-100123"."""
        rules = self._s.policy.policy.conversations
        return [f"#{incident.room_name}" if c == incident.room else (rules[c].name if c in rules else None) or c
                for c in channels]  # fmt: skip


def _summary(incident: Incident) -> str:
    about = f" on {incident.service}" if incident.service else ""
    return (
        f"Incident {incident.number} ({incident.severity}){about}: {incident.title}\n"
        f"Declared by {incident.declared_by}. Updates: inc {incident.number} update ... - "
        f"timeline: inc {incident.number} timeline - resolve inc {incident.number} <summary>"
    )


def _entry(ref: ConversationRef) -> str:
    return f"{ref.channel}:{ref.conversation_id}"


def _whole_note(text: str, note: str | None) -> str | None:
    """An update's note as typed, every word of it: the parser reads a bounded number of words, so its note may be
    the start of a longer one. The message's own text from where that note starts (the note as parsed when it is
    not found there)."""
    if not note:
        return note
    typed = " ".join(text.split())
    start = typed.find(note)
    if start < 0:  # the parser changed a word ("web-prod's" reads as web-prod): its first words place it
        start = typed.find(" ".join(note.split()[:3]))
    whole = typed[start:] if start >= 0 else note
    return whole if len(whole) <= _NOTE_LIMIT else f"{whole[: _NOTE_LIMIT - 8]} ... (cut)"
