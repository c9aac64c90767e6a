"""A reply with a file (a cost export) is delivered as its text and then the file under it, the bytes read from where
they wait in Redis (core.blobs): through the real Slack client to the fake Web API (shared in the text's thread), the
real python-telegram-bot to the fake Bot API (a document replying to the text), and the console (saved in the data
directory, named on a line). A file whose bytes expired, or that the platform refuses, is logged and the text stays
delivered, once; a reply handed out again posts neither twice; edits and refusals carry no file."""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
from pathlib import Path

import pytest
import redis
from telegram import Bot
from telegram.error import BadRequest

import bot.telegram  # noqa: F401 - sets PTB_TIMEDELTA before any 429 is parsed
from bot.channels import Rate
from core import blobs
from core.models import Attachment, ConversationRef, Reply
from core.settings import Settings
from fakes.slack_api import FakeSlackApi
from fakes.telegram_api import DOCUMENT_MAX_BYTES, FakeTelegramAPI
from tests.delivery.recording import CHANNEL as RECORDED
from tests.delivery.recording import RecordingTransport
from tests.metrics.test_chart_delivery import CPU, _with_bot, run, via_slack, via_telegram
from tests.slack import conftest as slack_tests
from tests.telegram import conftest as telegram_tests

fake_slack, api = slack_tests.fake_slack, telegram_tests.api  # the fixtures: the fake Web API and Bot API
CHANNEL = "C0COSTS01"
CHAT = 515151
NAME = "costs-2026-11.csv"
TITLE = "Costs, November 2026"
CSV = b"day,provider,service,amount\n" + b"".join(
    f"2026-11-{day:02d},aws,EC2,{400 + day * 1.5:.2f}\n".encode() for day in range(1, 31)
)


def export(conn: redis.Redis, channel: str, conversation: str, key: str = "k1", *, thread: str | None = None,
           content: bytes = CSV, name: str = NAME) -> Reply:  # fmt: skip
    """The answer to "export November's costs": its text, and the CSV waiting in Redis."""
    ref = ConversationRef(channel=channel, conversation_id=conversation, thread_id=thread)
    file = Attachment(filename=name, title=TITLE, blob_key=blobs.put(conn, content), size=len(content), mime="text/csv")
    return Reply(
        ref=ref, key=key, text="November: $27.5k - 30 days of rows in the file", kind="result", attachment=file
    )


# -- Slack ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("thread", [None, "1700000000.000001"], ids=["a new thread", "the reply's thread"])
def test_slack_shares_the_file_in_the_texts_thread(
    fake_slack: FakeSlackApi, redis_conn: redis.Redis, thread: str | None
) -> None:
    via_slack(fake_slack, redis_conn, export(redis_conn, "slack", CHANNEL, thread=thread))
    [text] = fake_slack.messages
    assert text.text.startswith("November: $27.5k") and text.thread_ts == thread
    [shared] = fake_slack.shared
    assert (shared.channel, shared.thread_ts, shared.filename, shared.title) == (
        CHANNEL,
        thread or text.ts,
        NAME,
        TITLE,
    )
    assert shared.content == CSV
    methods = [c.method for c in fake_slack.calls]
    assert methods.index("chat.postMessage") < methods.index("files.getUploadURLExternal")  # the text first


def test_slack_refused_upload_keeps_the_text_once_and_logs_why(
    fake_slack: FakeSlackApi, redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.fail_next("files.completeUploadExternal", 1, status=200, error="restricted_action", retry_after=None)
    first, second = export(redis_conn, "slack", CHANNEL), export(redis_conn, "slack", CHANNEL, "k2")
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        outbox = via_slack(fake_slack, redis_conn, first, second)
    assert [m.text[:9] for m in fake_slack.messages] == ["November:"] * 2  # each text once, in order
    assert len(fake_slack.shared) == 1  # the second reply's file went out; the refused one was not tried again
    assert len(fake_slack.calls_to("files.completeUploadExternal")) == 2
    assert "restricted_action" in caplog.text and "file of reply k1" in caplog.text
    assert outbox.dead("slack") == []  # the reply was delivered: nothing to send again


# -- Telegram ------------------------------------------------------------------------------------------------
def test_telegram_sends_the_file_as_a_document_replying_to_the_text(
    api: FakeTelegramAPI, redis_conn: redis.Redis
) -> None:
    via_telegram(api, redis_conn, export(redis_conn, "telegram", str(CHAT)))
    text, document = api.messages(CHAT)
    assert text.document is None and text.text.startswith("November: $27.5k")
    assert (document.document, document.file_name, document.text) == (CSV, NAME, TITLE)  # the caption: its title
    assert document.reply_to == text.message_id
    assert [c.method for c in api.calls() if c.method.startswith("send")] == ["sendMessage", "sendDocument"]


def test_telegram_refused_document_keeps_the_text_once_and_logs_why(
    api: FakeTelegramAPI, redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    refusal = "Bad Request: not enough rights to send documents to the chat"
    api.fail_next("sendDocument", 1, status=400, description=refusal)
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        outbox = via_telegram(api, redis_conn, export(redis_conn, "telegram", str(CHAT)))
    [text] = api.messages(CHAT)
    assert text.document is None and len(api.calls("sendMessage")) == len(api.calls("sendDocument")) == 1
    assert "not enough rights to send documents" in caplog.text.lower() and "file of reply k1" in caplog.text
    assert outbox.dead("telegram") == []


def test_telegram_a_file_over_50_mb_is_not_sent_and_says_why_in_the_log(
    api: FakeTelegramAPI, redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """core.blobs keeps no more than 50 MB, but bytes under a blob's key may come from elsewhere (an older build,
    another limit): the transport checks Telegram's own limit before uploading."""
    key = blobs.PREFIX + "too-big"
    redis_conn.set(key, bytes(DOCUMENT_MAX_BYTES + 1), ex=60)
    small = export(redis_conn, "telegram", str(CHAT), content=b"")
    assert small.attachment is not None
    huge = small.model_copy(update={"attachment": small.attachment.model_copy(update={"blob_key": key})})
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        via_telegram(api, redis_conn, huge)
    assert [m.text[:9] for m in api.messages(CHAT)] == ["November:"] and api.calls("sendDocument") == []
    assert "Telegram takes at most 52,428,800" in caplog.text and "file of reply k1" in caplog.text


def test_the_fake_bot_api_checks_documents_as_telegram_does(api: FakeTelegramAPI) -> None:
    async def send(tg_bot: Bot) -> None:
        with pytest.raises(BadRequest, match=r"(?i)file is too big"):
            await tg_bot.send_document(CHAT, document=bytes(DOCUMENT_MAX_BYTES + 1), filename="big.bin")
        at_most = await tg_bot.send_document(CHAT, document=io.BytesIO(b"x" * 1000), filename="small.bin")
        assert at_most.document is not None and at_most.document.file_name == "small.bin"

    asyncio.run(_with_bot(api, send))
    [sent] = api.documents(CHAT)
    assert (sent.file_name, sent.document) == ("small.bin", b"x" * 1000)


# -- what any channel does ------------------------------------------------------------------------------------
def test_a_chart_and_a_file_go_under_the_text_in_that_order(redis_conn: redis.Redis) -> None:
    transport = RecordingTransport()
    both = export(redis_conn, RECORDED, "c1").model_copy(update={"chart": CPU})
    run(transport, redis_conn, both)
    assert [(s.op, s.reply.key, s.message_id) for s in transport.sent] == [
        ("post", "k1", "m1"),
        ("picture", "k1", "m1"),
        ("file", "k1", "m1"),
    ]
    assert transport.files == [CSV]


def test_an_expired_file_is_logged_and_nothing_is_posted_for_it(
    redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    transport = RecordingTransport()
    reply = export(redis_conn, RECORDED, "c1")
    assert reply.attachment is not None
    redis_conn.delete(reply.attachment.blob_key)  # a day went by before it was delivered
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        outbox = run(transport, redis_conn, reply)
    assert [s.op for s in transport.sent] == ["post"]
    assert f"the file of reply k1 ({NAME}) has expired" in caplog.text
    assert outbox.dead(RECORDED) == []


def test_a_reply_handed_out_again_posts_neither_its_text_nor_its_file_twice(redis_conn: redis.Redis) -> None:
    transport = RecordingTransport()
    reply = export(redis_conn, RECORDED, "c1")
    run(transport, redis_conn, reply)
    run(transport, redis_conn, reply)  # published again (a step run twice, a restart): already out
    assert [s.op for s in transport.sent] == ["post", "file"]


def test_edits_and_refusals_carry_no_file(redis_conn: redis.Redis) -> None:
    transport = RecordingTransport()
    first = export(redis_conn, RECORDED, "c1")
    edited = first.model_copy(update={"key": "k1-edit", "edit_of": "k1", "text": "November: $27.6k"})
    refused = first.model_copy(update={"key": "k2", "kind": "refusal", "text": "Only admins may export."})
    run(transport, redis_conn, first, edited, refused)
    assert [(s.op, s.reply.key) for s in transport.sent] == [("post", "k1"), ("file", "k1"), ("edit", "k1-edit"),
                                                             ("post", "k2")]  # fmt: skip


def test_a_file_takes_its_turn_in_the_conversations_pace(redis_conn: redis.Redis) -> None:
    """One message at a time, two a second: the file waits its turn like a message, and so does what follows."""
    transport = RecordingTransport(pace=Rate(per_second=2.0, burst=1))
    after = Reply(ref=export(redis_conn, RECORDED, "c1").ref, key="k2", text="next")
    run(transport, redis_conn, export(redis_conn, RECORDED, "c1"), after)
    assert [(s.op, s.reply.key) for s in transport.sent] == [("post", "k1"), ("file", "k1"), ("post", "k2")]
    times = [s.at for s in transport.sent]
    assert all(later - earlier >= 0.45 for earlier, later in itertools.pairwise(times)), times


# -- the console ---------------------------------------------------------------------------------------------
def test_the_console_saves_the_file_and_names_it(settings: Settings, redis_conn: redis.Redis) -> None:
    from bot.console import ConsoleChannel
    from bot.runtime import Runtime

    runtime = Runtime.build(settings.model_copy(update={"sim_resources": 100}), with_worker=False)
    try:
        out = io.StringIO()
        console = ConsoleChannel(runtime, user="alice", out=out)
        runtime.outbox.publish(export(redis_conn, "console", "shell"))
        sneaky = export(redis_conn, "console", "shell", "k2", name="../../.bashrc")  # stays in the files folder
        runtime.outbox.publish(sneaky)
        gone = export(redis_conn, "console", "shell", "k3")
        assert gone.attachment is not None
        redis_conn.delete(gone.attachment.blob_key)
        runtime.outbox.publish(gone)
        console.run([])
    finally:
        runtime.close()
    files = settings.data_dir / "files"
    assert (files / NAME).read_bytes() == CSV
    assert sorted(path.name for path in files.iterdir()) == ["_.._.bashrc", NAME]
    lines = [line.strip() for line in out.getvalue().splitlines()]
    assert lines[0].startswith("opsbot #1 November: $27.5k")
    assert lines[1] == f"File: {files / NAME}"
    assert lines[3] == f"File: {files / '_.._.bashrc'}"
    assert lines[5] == f"File not saved: {NAME} has expired; ask for it again."


def test_the_console_in_json_mode_names_the_file(settings: Settings, redis_conn: redis.Redis, tmp_path: Path) -> None:
    import json

    from bot.console import ConsoleChannel
    from bot.runtime import Runtime

    runtime = Runtime.build(settings.model_copy(update={"sim_resources": 100}), with_worker=False)
    try:
        out = io.StringIO()
        ConsoleChannel(runtime, user="alice", out=out, json_mode=True).show(export(redis_conn, "console", "shell"))
    finally:
        runtime.close()
    [line] = out.getvalue().splitlines()
    assert json.loads(line)["file"] == f"File: {settings.data_dir / 'files' / NAME}"
