"""A whole opsbot with OPSBOT_AUDIT_URL set writes its audit to PostgreSQL: a scale asked, confirmed and run on the
in-process worker leaves every step there, dated by the database's clock, in one chain that verifies - and no
file in the data dir."""

from __future__ import annotations

import time

from pydantic import SecretStr

from audit.postgres import PostgresAudit
from audit.record import AuditEvent
from bot.runtime import Runtime
from core.settings import Settings
from tests.audit.postgres_db import AuditDatabase
from tests.conversation.conftest import button, outbox_after, speaker


def test_a_confirmed_change_is_audited_in_postgresql(settings: Settings, audit_db: AuditDatabase) -> None:
    before = time.time()
    runtime = Runtime.build(settings.model_copy(update={"audit_url": SecretStr(audit_db.app_url)}), with_worker=True)
    try:
        say = speaker(runtime)
        [ask] = say("scale web-prod to 20")
        say(press=button([ask], "Confirm"))
        assert outbox_after(runtime)[-1].text.startswith("Done")
        audit = runtime.conversation.services.audit
        assert isinstance(audit, PostgresAudit)
        assert audit.verify() == len(audit.records())
    finally:
        runtime.close()
        runtime.conversation.services.audit.close()
    with PostgresAudit(audit_db.app_url) as store:
        records = store.records()
    events = [r.event for r in records]
    for step in (AuditEvent.CONFIRMATION_ASKED, AuditEvent.CONFIRMED, AuditEvent.ENQUEUED,
                 AuditEvent.STARTED, AuditEvent.SUCCEEDED):  # fmt: skip
        assert step in events
    assert before - 5 <= records[0].at <= records[-1].at <= time.time() + 5  # the database's clock, this host's
    assert not (settings.data_dir / "audit.jsonl").exists()
