"""`opsbot outbox`: what waits to be delivered, and the dead letters - replies a platform refused for good, that
failed every attempt, or that the outbox's safety cap moved aside - shown (previews redacted) and sent again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer

from bot.cli_common import fail, settings_or_exit
from core.outbox import DeadLetter, Outbox
from core.redaction import redact_text

outbox_app = typer.Typer(no_args_is_help=True, help="Replies waiting to be delivered, and the dead letters.")

Channel = Annotated[str | None, typer.Option("--channel", help="Only this channel (slack, telegram).")]
PREVIEW = 60
SHOWN = 200  # dead letters listed per channel


@outbox_app.command("dead")
def dead(channel: Channel = None) -> None:
    """List the dead letters: channel, when, why, and the start of the message."""
    with _outbox() as outbox:
        letters = outbox.dead(channel, limit=SHOWN)
        total = sum(row.dead for row in outbox.stats() if channel in (None, row.channel))
    if not letters:
        typer.echo("No dead letters.")
        return
    for letter in letters:
        typer.echo(describe(letter))
    shown = f" (the first {len(letters):,} shown)" if total > len(letters) else ""
    typer.echo(f"{total:,} dead letter{'s' if total != 1 else ''}{shown}; `opsbot outbox replay` sends them again.")


@outbox_app.command("replay")
def replay(channel: Channel = None) -> None:
    """Send the dead letters again (through the outbox, as new) and take them off the list."""
    with _outbox() as outbox:
        count = outbox.replay(channel)
    typer.echo(f"Replayed {count} dead letter{'s' if count != 1 else ''}.")


@outbox_app.command("stats")
def stats() -> None:
    """Per channel: replies not delivered yet (of which urgent), dead letters, and the replica delivering it."""
    with _outbox() as outbox:
        rows = outbox.stats()
    if not rows:
        typer.echo("The outbox is empty.")
        return
    typer.echo(f"{'channel':<12} {'pending':>9} {'urgent':>9} {'dead':>9}  delivering")
    for row in rows:
        # "-": no replica holds the channel's delivery lease (none running, or a handover under way)
        who = row.delivering or "-"
        typer.echo(f"{row.channel:<12} {row.pending:>9,} {row.urgent:>9,} {row.dead:>9,}  {who}")


def describe(letter: DeadLetter) -> str:
    """One line: "slack  2026-12-05 03:10 UTC  refused: channel_not_found  ALERT 42 CRIT web-prod: 5xx..." """
    when = datetime.fromtimestamp(letter.at, UTC).strftime("%Y-%m-%d %H:%M UTC") if letter.at else "unknown time"
    reply = letter.reply
    text = reply.text if reply is not None else "(not a reply)"
    preview = redact_text(" ".join(text.split()))  # redacted whole: a cut must not leave half a secret to read
    if len(preview) > PREVIEW:
        preview = preview[: PREVIEW - 3] + "..."
    where = f"{letter.channel}:{reply.ref.conversation_id}" if reply is not None else letter.channel
    return f"{where}  {when}  {redact_text(letter.reason)}  {preview}"


@contextmanager
def _outbox() -> Iterator[Outbox]:
    # Imported here: only the outbox commands need a connection, and every `opsbot` start loads this module.
    import redis

    from core.redis import connect

    settings = settings_or_exit()
    if settings.redis_url is None:
        fail("the outbox lives in the Redis of opsbot serve: set OPSBOT_REDIS_URL")
    connection = connect(settings)
    try:
        yield Outbox(connection)
    except redis.RedisError:
        fail("Redis does not answer at OPSBOT_REDIS_URL: start it or check the URL")
    finally:
        connection.close()
