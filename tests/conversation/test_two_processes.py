"""Two processes confirming the same request at the same moment execute it once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import redis

from audit.log import AuditEvent
from bot.runtime import Runtime
from tests.conversation.conftest import Say, button, outbox_after

PRESSER = """
import json, sys, time
from bot.runtime import Runtime
from core.models import ConversationRef, Message
from core.settings import load_settings
runtime = Runtime.build(load_settings(), with_worker=False)
code = sys.argv[1]
ref = ConversationRef(channel="console", conversation_id="ops-room")
runtime.connection.incr("test:ready")
while not runtime.connection.get("test:go"):
    time.sleep(0.001)
msg = Message(ref=ref, sender="alice", button_id="confirm:" + code, received_at=time.time())
print(json.dumps([r.text for r in runtime.conversation.handle(msg)]))
"""


def test_two_processes_confirming_at_once_run_it_once(
    runtime: Runtime, say: Say, redis_url: str, redis_conn: redis.Redis, tmp_path: Path
) -> None:
    [ask] = say("scale web-prod to 22")
    code = button([ask], "Confirm").split(":", 1)[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")}
    env.update({"OPSBOT_REDIS_URL": redis_url, "OPSBOT_DATA_DIR": str(runtime.settings.data_dir),
                "OPSBOT_SIM_RESOURCES": str(runtime.settings.sim_resources)})  # fmt: skip
    procs = [
        subprocess.Popen([sys.executable, "-c", PRESSER, code], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    deadline = time.monotonic() + 60
    while int(redis_conn.get("test:ready") or 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # wait until both are built and spinning on the start flag
    redis_conn.set("test:go", "1")
    outputs = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert sorted(len(o) for o in outputs) == [0, 1]  # one ran it, the other was told it was already confirmed
    assert any(o and o[0].startswith("Already confirmed by alice") for o in outputs)
    outbox_after(runtime)
    events = [r.event for r in runtime.conversation.services.audit.records()]
    assert events.count(AuditEvent.ENQUEUED) == 1
    assert events.count(AuditEvent.SUCCEEDED) == 1
    assert runtime.conversation.services.provider.get("web-prod").count == 22
