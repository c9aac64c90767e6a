"""Assembles the alert side of a process from the settings: the alerting file, the alert store, the escalation
engine with its pager (Twilio when configured) and the desk in front of it (`alerts.desk.Desk`), the one way the
rest of the bot and the conversation reach the alerts. Used by the runtime (chat process) and by `opsbot worker`
(which runs escalation timers too)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import redis

from alerts.desk import Desk
from alerts.store import AlertBook
from audit.store import AuditStore
from bot.simulated_pager import SimulatedPager
from core.outbox import Outbox
from core.settings import Settings
from policies.alerting.loader import load_alerting
from policies.model import Policy
from workers.escalation.desk import AlertDesk
from workers.escalation.engine import Escalator
from workers.escalation.notices import Notices
from workers.escalation.overrides import OverrideStore
from workers.escalation.ticker import EscalationTicker
from workers.escalation.timers import Timers
from workers.paging import Pager


@dataclass(frozen=True)
class Alerting:
    escalator: Escalator  # for the ticker that runs its timers (and the tests that move its clock); all else: `desk`
    desk: Desk


def build_alerting(
    settings: Settings, connection: redis.Redis, policy: Policy, audit: AuditStore, outbox: Outbox,
    pager: Pager | None = None,
) -> Alerting:  # fmt: skip
    """`pager` replaces the one the settings name (tests reach their Twilio fake with the settings already)."""
    alerting = load_alerting(settings.alerting)
    book = AlertBook(connection)
    sms_text = sms_notice = None
    if pager is None and settings.twilio:
        from bot.twilio.client import TwilioPager  # imported here: a deployment without SMS never loads twilio

        pager = TwilioPager(settings)
    if settings.twilio or pager is not None:
        from bot.twilio.sms import ack_text, page_text

        sms_text, sms_notice = page_text, ack_text
    escalator = Escalator(
        book=book, timers=Timers(connection), notices=Notices(book, outbox, ZoneInfo(alerting.timezone)),
        alerting=alerting, policy=policy, settings=settings, audit=audit, overrides=OverrideStore(connection),
        pager=pager, sms_text=sms_text, sms_notice=sms_notice,
    )  # fmt: skip
    return Alerting(escalator, AlertDesk(escalator, phones_shown=isinstance(pager, SimulatedPager)))


def start_ticker(alerting: Alerting) -> EscalationTicker:
    ticker = EscalationTicker(alerting.escalator)
    ticker.start()
    return ticker
