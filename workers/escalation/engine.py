"""The escalation engine. Intake hands it normalised alerts: each is routed, stored (a repeat is only counted),
posted to its channels at once, and, when it pages, given an escalation whose steps run on Redis timers: a
reminder in the channel, a direct message, an SMS, a call, the next person, the manager ... until someone
acknowledges. A step that cannot reach anyone (no phone, SMS refused, Slack down) moves on to the next at once."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

import redis

from alerts.model import Alert, AlertState, Incoming
from alerts.sources.resource_labels import relabelled
from alerts.store import OPENING_SECONDS, AlertBook
from audit.log import AuditEvent, JsonScalar
from audit.notice import OutageNotice
from audit.store import AuditStore
from core.broadcast import incident_refs
from core.durations import span
from core.models import ConversationRef
from core.once import Hold
from core.retrying import RetryPolicy
from core.settings import Settings
from policies.alerting.loader import chat_identities, phone_of
from policies.alerting.model import AlertingPolicy, Step
from policies.alerting.routing import route
from policies.alerting.steps import Cursor, next_page, resolve_target, schedule_for
from policies.model import Policy
from workers.escalation.notices import Notices
from workers.escalation.overrides import OverrideStore
from workers.escalation.timers import Pending, Timers, page_token
from workers.paging import PageFailed, Pager, PageRef

log = logging.getLogger(__name__)

PAGE_ATTEMPTS = 3  # a transient Twilio failure is retried this often before the step counts as failed
PAGING = RetryPolicy(attempts=PAGE_ATTEMPTS, first=0.5, most=4.0, jitter=False)  # 0.5 s, then 1 s


@dataclass(frozen=True)
class Intake:
    stored: int
    updated: int


@dataclass
class Escalator:
    book: AlertBook
    timers: Timers
    notices: Notices
    alerting: AlertingPolicy
    policy: Policy
    settings: Settings
    audit: AuditStore
    overrides: OverrideStore
    pager: Pager | None = None
    clock: Callable[[], float] = time.time
    sms_text: Callable[[Alert], str] | None = None  # how an SMS page reads (the Twilio adapter's compact text)
    sms_notice: Callable[[Alert, tzinfo], str] | None = None  # "42 acked by alice via SMS 03:12"
    refresh_seconds: float = 60.0  # a repeating alert's cards show its repeat count, updated at most this often
    _outage: OutageNotice = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._outage = OutageNotice(self.audit, self.settings.incident_channels)
        self.timers.clock = lambda: self.clock()  # one clock: setting the escalator's moves its timers' too

    def note(
        self, event: AuditEvent, channels: Sequence[str], *, actor: str, where: str, what: str,
        params: dict[str, JsonScalar] | None = None, outcome: str = "",
    ) -> None:  # fmt: skip
        """Audit a step of an alert without ever holding it up: a record that cannot be written (a full disk) is
        counted and logged, and the incident channels and `channels` (the alert's) are told once."""
        written = self.audit.note(event, actor=actor, where=where, what=what, params=params, outcome=outcome)
        self._outage.after(written, channels)

    # -- intake ---------------------------------------------------------------------------------------
    def ingest(self, incoming: Sequence[Incoming]) -> Intake:
        """Store every alert before returning (the sender's 2xx follows), post new ones, start their escalation,
        close resolved ones. Raises redis.RedisError when the store is down: the sender must retry."""
        stored = updated = 0
        for given in incoming:
            item = self._labelled(given)
            result = self.book.ingest(item, self._prepare, self.refresh_seconds)
            if result.kind == "new":
                stored += 1
                self._opened(result.number)
            elif result.kind == "resolve":
                updated += 1
                self.close(result.number, by=item.source, via=item.source)
            elif result.kind == "repeat":
                updated += 1
            elif result.kind == "refresh":  # cards show the repeat count, at most once per refresh_seconds
                updated += 1
                self._refresh(result.number)
            elif result.kind == "unopened":  # its first delivery failed half-way (503): this retry finishes it
                updated += 1
                self._opened(result.number)
        return Intake(stored, updated)

    def _labelled(self, item: Incoming) -> Incoming:
        """The resource as the alerting file's `sources` say this source labels it (before routing: a route
        may match on the resource)."""
        configured = self.alerting.sources.get(item.source)
        return item if configured is None else relabelled(item, configured.resource_labels)

    def _refresh(self, number: int) -> None:
        alert = self.book.get(number)
        if alert is not None and alert.open:
            self.notices.update(alert)

    def _prepare(self, item: Incoming) -> Alert:
        now = self.clock()
        decision = route(self.alerting, item, datetime.fromtimestamp(now, UTC))
        # A re-firing of a silenced alert is posted as silenced; its escalation waits until the silence ends.
        silence = self.book.silence_of(item.key)
        until, by = silence if silence is not None and silence[0] > now else (None, None)
        channels = decision.channels or tuple(self.settings.incident_channels)
        fields = item.model_dump(exclude={"status"})
        fields["severity"] = decision.severity
        escalation = decision.escalation if decision.paging else None
        return Alert(
            number=1, first_seen=now, last_seen=now, route=decision.route, escalation=escalation, channels=channels,
            paging=decision.paging, silenced_until=until, silenced_by=by, **fields,
        )  # fmt: skip

    def _opened(self, number: int) -> None:
        """Post the new alert's card and start its escalation; once, however often a sender retries."""
        claimed, alert = self.book.claim_to_open(number)
        if not claimed:
            return
        try:
            if alert is not None:
                self._open(alert)
                # Its cards were just posted: the first repeat count shows a while later.
                self.book.opened(number, self.refresh_seconds)
        except Exception:
            with contextlib.suppress(redis.RedisError):  # the sender's retry (after our 503) may try at once
                self.book.release_opening(number)
            raise

    def reopen_stalled(self) -> int:
        """Open alerts whose opening never finished (a crash or a Redis failure half-way, with a sender that does
        not retry); called now and then by the ticker."""
        stalled = self.book.unopened(self.clock() - OPENING_SECONDS)
        for number in stalled:
            self._opened(number)
        return len(stalled)

    def _open(self, alert: Alert) -> None:
        number = alert.number
        self.note(
            AuditEvent.ALERT_RECEIVED, alert.channels, actor="system", where=f"alerts:{alert.source}",
            what=alert.summary[:200],
            params={"alert": number, "severity": alert.severity.value, "route": alert.route,
                    "paging": alert.paging, "resource": alert.resource or ""},
        )  # fmt: skip
        posted = self.notices.post(alert, alert.channels, key_token=page_token(number, 0))
        self._audit_notified(alert, "channel", ",".join(alert.channels) or "none", ok=bool(posted))
        if alert.escalation is None or alert.escalation not in self.alerting.escalations:
            return
        first = next_page(self.alerting.escalations[alert.escalation], None)
        if first is None:
            return
        cursor, step, delay = first
        if step.notify == "channel" and delay == 0:  # the arrival post was this step
            following = next_page(self.alerting.escalations[alert.escalation], cursor)
            if following is None:
                return
            cursor, step, delay = following
            failed_now = not posted
        else:
            failed_now = False
        pending = Pending(alert.escalation, _cursor_dict(cursor), page_token(number, 1), self.clock())
        self.timers.schedule(number, pending, self.clock() + (0.0 if failed_now else delay))

    # -- timers ---------------------------------------------------------------------------------------
    def run_due(self) -> int:
        """Run every step that is due now (claimed, so each runs in one process); returns how many ran."""
        numbers = self.timers.due()
        for number in numbers:
            try:
                self._step(number)
            except Exception:  # one alert's surprise must not stop the others' escalation
                log.exception("escalation step of alert %d failed", number)
        return len(numbers)

    def _step(self, number: int) -> None:
        alert, pending = self.book.get(number), self.timers.pending(number)
        if alert is None or pending is None or alert.state is not AlertState.FIRING:
            self.timers.stop(number)
            return
        now = self.clock()
        if alert.silenced_until is not None and alert.silenced_until > now:
            self.timers.pause_until(number, alert.silenced_until)
            return
        if alert.silenced_until is not None:  # the silence is over: paging resumes, and the cards say so
            alert = self.book.unsilence(number) or alert
            self.notices.update(alert)
        escalation = self.alerting.escalations.get(pending.policy)
        if escalation is None:
            self.timers.stop(number)
            return
        cursor = Cursor(**pending.cursor)
        step = escalation.steps[cursor.step]
        reached = self._notify(alert, step, pending, now)
        if reached is None:  # Redis is failing over: the claim runs out and the step runs again then
            log.warning("alert %d: page %s postponed until Redis settles", number, pending.token)
            return
        following = next_page(escalation, cursor)
        if following is None:
            self.timers.stop(number)
            self.note(AuditEvent.ALERT_ESCALATED, alert.channels, actor="system", where="escalation", what="exhausted",
                      params={"alert": number, "policy": pending.policy})  # fmt: skip
            self.notices.tell(alert, f"Nobody acknowledged after {span(now - pending.started)}: escalation ended.")
            return
        next_cursor, _next_step, delay = following
        count = int(pending.token.partition(".")[2] or 0) + 1
        after = Pending(pending.policy, _cursor_dict(next_cursor), page_token(number, count), pending.started)
        self.timers.schedule_after(number, pending.token, after, now if not reached else now + delay)

    # -- one step -------------------------------------------------------------------------------------
    def _notify(self, alert: Alert, step: Step, pending: Pending, now: float) -> bool | None:
        """Run one step; False when it reached no one (the next step then runs at once), None when it must run
        again later."""
        if step.notify == "channel":
            reminded = self.book.remind(alert.number)
            if reminded is None:  # acknowledged or resolved this very moment
                return False
            note = f"Still not acknowledged after {span(now - alert.first_seen)} - repeat {reminded.reminders}."
            return bool(self.notices.remind(reminded, note, key_token=pending.token))
        person = self._target(alert, step, now)
        if person is None:
            self._audit_notified(alert, step.notify, "nobody", ok=False, outcome=f"no one for '{step.target}'")
            return False
        # Before paging: a quick answer must be accepted.
        self.book.add_paged(alert.number, person, by_phone=step.notify in ("sms", "call"))
        if step.notify == "dm":
            refs = self._chat_refs(person)
            # The first page posts the card to them; a repeat replies to it rather than posting it again.
            self.notices.tell(alert, f"{person}: you are being paged.", key_token=pending.token, refs=refs)
            self._audit_notified(alert, "dm", person, ok=bool(refs), outcome="" if refs else "no chat identity")
            return bool(refs)
        return self._page(alert, step.notify, person, pending.token)

    def _page(self, alert: Alert, kind: str, person: str, token: str) -> bool | None:
        """Send one SMS or call; None (nothing sent) while Redis cannot promise this page is sent only once."""
        phone = phone_of(self.policy, person)
        problem = None
        if self.pager is None:
            problem = "SMS and calls are not configured (OPSBOT_TWILIO_*)"
        elif phone is None:
            problem = f"{person} has no phone number"
        if problem is not None or self.pager is None or phone is None:
            self._audit_notified(alert, kind, person, ok=False, outcome=problem or "")
            return False
        held = self.timers.hold_page(token)
        if held is Hold.TAKEN:  # an earlier run of this step paged, and its next step's time was lost in a failover
            log.info("alert %d: page %s was sent before; not sending it again", alert.number, token)
            return True
        if held is Hold.UNSURE:
            return None
        page, pager = PageRef(alert=alert.number, token=token, person=person), self.pager
        text = self.sms_text(alert) if self.sms_text is not None else alert.summary
        try:
            for attempt in PAGING.retrying(lambda exc: not isinstance(exc, PageFailed)):
                with attempt:
                    sid = pager.sms(phone, text, page) if kind == "sms" else pager.call(phone, page)
        except Exception as exc:  # refused for good, or still failing after the retries: move on
            self._audit_notified(alert, kind, person, ok=False, outcome=_short(exc))
            return False
        self._audit_notified(alert, kind, person, ok=True, outcome=f"sent {sid}")
        return True

    def _target(self, alert: Alert, step: Step, now: float) -> str | None:
        name = schedule_for(self.alerting, step)
        schedule = self.alerting.schedules.get(name) if name else None
        overrides = self.overrides.active(name, now) if name else []
        at = datetime.fromtimestamp(now, UTC)
        return resolve_target(step, schedule, at, overrides, paged_before=self.book.paged(alert.number))

    def _chat_refs(self, person: str) -> list[ConversationRef]:
        configured = {"console"}
        if self.settings.slack_bot_token is not None:
            configured.add("slack")
        if self.settings.telegram_token is not None:
            configured.add("telegram")
        return [ref for ref in incident_refs(chat_identities(self.policy, person)) if ref.channel in configured]

    # -- closing --------------------------------------------------------------------------------------
    def close(self, number: int, *, by: str, via: str) -> Alert | None:
        """Resolve: stop its escalation and update every message. None when there is no such alert."""
        change = self.book.resolve(number, by, via)
        if change.alert is None or not change.changed:
            return change.alert
        self.timers.stop(number)
        self.note(AuditEvent.ALERT_RESOLVED, change.alert.channels, actor=by, where=via,
                  what=change.alert.summary[:200], params={"alert": number})  # fmt: skip
        self.notices.update(change.alert)
        self.tell_phones(change.alert, by)
        return change.alert

    def tell_phones(self, alert: Alert, actor: str) -> None:
        """An SMS cannot be edited: the others paged by SMS or call for this alert get a short SMS saying who
        acknowledged or resolved it, so nobody gets up for nothing. In the background: no one waits for it."""
        if self.pager is None or self.sms_notice is None:
            return
        people = [p for p in self.book.paged_by_phone(alert.number) if p != actor]
        if people:
            text = self.sms_notice(alert, self.notices.tz)
            threading.Thread(target=self._tell, args=(alert, people, text), name="alert-notice", daemon=True).start()

    def _tell(self, alert: Alert, people: list[str], text: str) -> None:
        for person in people:
            phone = phone_of(self.policy, person)
            if phone is None or self.pager is None:
                continue
            page = PageRef(alert=alert.number, token=f"{alert.number}.notice", person=person)
            try:
                sid = self.pager.sms(phone, text, page)
            except Exception as exc:  # a notice is a courtesy: audited, never retried into a storm
                self._audit_notified(alert, "sms notice", person, ok=False, outcome=_short(exc))
            else:
                self._audit_notified(alert, "sms notice", person, ok=True, outcome=f"sent {sid}")

    def _audit_notified(self, alert: Alert, kind: str, to: str, *, ok: bool, outcome: str = "") -> None:
        self.note(
            AuditEvent.ALERT_NOTIFIED, alert.channels, actor="system", where=kind, what=f"alert {alert.number} -> {to}",
            params={"alert": alert.number, "kind": kind, "to": to, "ok": ok}, outcome=outcome or ("ok" if ok else ""),
        )  # fmt: skip


def _cursor_dict(cursor: Cursor) -> dict[str, int]:
    return {"step": cursor.step, "time": cursor.time, "round": cursor.round}


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]
