"""The `opsbot` command. Each sub-command is a thin shell over the packages; errors are one line."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli_common import fail, settings_or_exit
from bot.cli_outbox import outbox_app
from core.errors import ConfigError, OpsbotError
from core.settings import Settings, load_settings

if TYPE_CHECKING:
    import redis

    from bot.alerting import Alerting
    from bot.console import ConsoleChannel
    from bot.runtime import Runtime
    from policies.model import Policy
    from workers.context import WorkerContext

# No pretty tracebacks: they print local variables, and locals can hold secrets.
app = typer.Typer(
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, help="Run the clouds from chat, safely."
)
audit_app = typer.Typer(no_args_is_help=True, help="Read and verify the audit log.")
app.add_typer(audit_app, name="audit")
voice_app = typer.Typer(no_args_is_help=True, help="The speech recogniser.")
app.add_typer(voice_app, name="voice")
app.add_typer(outbox_app, name="outbox")


@app.command()
def shell(
    user: Annotated[str, typer.Option(help="Who is speaking (see the policy's users).")] = "alice",
    json_out: Annotated[bool, typer.Option("--json", help="One JSON line per bot message.")] = False,
    conversation: Annotated[str, typer.Option(help="Conversation id.")] = "shell",
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Jobs run in `opsbot worker` instead.")] = False,
) -> None:
    """Chat with opsbot in the terminal. Meta-commands: /as USER, /press N, /alert, /wait, /quit."""
    from bot.console import ConsoleChannel

    runtime = _runtime(settings_or_exit(), with_worker=not no_worker)
    try:
        channel = ConsoleChannel(runtime, user=user, conversation_id=conversation, json_mode=json_out)
        if sys.stdin.isatty():
            if not json_out:
                typer.echo("opsbot shell - type `help`, /as USER to switch speaker, /press N for buttons, "
                           "/alert for a test alert, /quit.")  # fmt: skip
                if runtime.embedded is not None:
                    typer.echo(
                        f"The demo world is kept in {runtime.embedded.path} between runs: delete it to start afresh."
                    )
            channel.run(_prompt(channel))
        else:
            channel.run(sys.stdin, echo=True)
    finally:
        runtime.close()


def _prompt(channel: ConsoleChannel) -> Iterator[str]:
    while True:
        try:
            yield input(f"{channel.user}> ")
        except (EOFError, KeyboardInterrupt):
            return


@app.command()
def say(
    text: Annotated[str, typer.Argument(help="The message.")],
    user: Annotated[str, typer.Option(help="Who is speaking.")] = "alice",
    json_out: Annotated[bool, typer.Option("--json", help="One JSON line per bot message.")] = False,
    conversation: Annotated[str, typer.Option(help="Conversation id.")] = "shell",
) -> None:
    """Send one message and print the replies (waits for jobs it started)."""
    from bot.console import ConsoleChannel

    runtime = _runtime(settings_or_exit(), with_worker=True)
    try:
        ConsoleChannel(runtime, user=user, conversation_id=conversation, json_mode=json_out).run([text])
    finally:
        runtime.close()


def _runtime(settings: Settings, *, with_worker: bool) -> Runtime:
    from bot.runtime import Runtime

    try:
        return Runtime.build(settings, with_worker=with_worker)
    except OpsbotError as exc:
        fail(str(exc))


@app.command()
def parse(
    text: Annotated[str, typer.Argument(help="The utterance, or - to read one per line from stdin.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show how opsbot understands a message (targets resolved against the inventory)."""
    from bot.parsing import Understander

    understander = Understander(settings_or_exit())
    lines = (line.rstrip("\r\n") for line in sys.stdin) if text == "-" else iter([text])
    for line in lines:
        result = understander.understand(line)
        if json_out:
            typer.echo(json.dumps(result.as_json(), ensure_ascii=False))
        else:
            slots = " ".join(f"{k}={v}" for k, v in result.slots.items())
            typer.echo(f"{result.intent} ({result.confidence:.2f}) {slots}".rstrip())


@app.command()
def transcribe(
    file: Annotated[Path, typer.Argument(help="An audio file: OGG/Opus, M4A, WebM, MP3, WAV.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Recognise a voice note offline and show how opsbot understands it."""
    from bot.transcribing import transcribe_file
    from core.errors import VoiceInputError

    try:
        result = transcribe_file(settings_or_exit(), file)
    except VoiceInputError as exc:
        fail(str(exc), code=1)
    except (OSError, OpsbotError) as exc:
        fail(str(exc))
    if json_out:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        typer.echo(f"{result['intent']} ({result['confidence']}): {result['text']!r}  [{result['backend']}, "
                   f"{result['audio_seconds']} s audio, decode {result['decode_ms']} ms, "
                   f"recognise {result['recognize_ms']} ms]")  # fmt: skip
        alternatives = result["alternatives"]
        if isinstance(alternatives, list) and alternatives:
            typer.echo("  also likely: " + ", ".join(repr(text) for text in alternatives))


@voice_app.command("model")
def voice_model() -> None:
    """Where the speech model is expected, and how to install one."""
    from voice.backends import model_help

    typer.echo(model_help(settings_or_exit()))


@app.command()
def worker(
    burst: Annotated[bool, typer.Option(help="Exit when the queues are empty.")] = False,
) -> None:
    """Run a worker on the queues critical, default and low (needs OPSBOT_REDIS_URL)."""
    from workers.runner import run_worker

    settings = settings_or_exit()
    if settings.redis_url is None:
        fail("a separate worker needs OPSBOT_REDIS_URL (the embedded shell runs its own worker)")
    typer.echo("opsbot worker: serving queues critical, default, low (Ctrl-C stops after the job in hand)", err=True)
    try:
        run_worker(settings, burst=burst, also=_beside_jobs)
    except OpsbotError as exc:
        fail(str(exc))


def _beside_jobs(context: WorkerContext) -> None:
    """What a worker process runs beside its jobs: the escalation timers, the live metric streams' poller, the
    cost cache's refresher, whose every fresh read checks the budgets and yesterday's anomalies (alerts through
    the same routes as any other), the watcher of running deploys and the one running the runbooks' steps (its SMS
    through the escalation's pager)."""
    from policies.budgets import BudgetBook
    from workers.cost_alerts import CostAlerter
    from workers.cost_refresh import start_cost_refresher
    from workers.deploy_watch import start_deploy_watcher
    from workers.metric_poller import start_poller
    from workers.runbook_watch import start_runbook_watcher

    alerting, policy = _escalation_timers(context)
    start_poller(context)
    connection = context.connection
    start_cost_refresher(context, after=CostAlerter(connection, BudgetBook(connection, policy), alerting.desk))
    start_deploy_watcher(context)
    context.dr.pager = alerting.escalator.pager
    start_runbook_watcher(context)


def _escalation_timers(context: WorkerContext) -> tuple[Alerting, Policy]:
    """A worker process runs alert escalation timers too (a daemon thread: it ends with the process)."""
    from bot.alerting import build_alerting, start_ticker
    from policies.loader import load_policy

    policy = load_policy(context.settings.policy)
    alerting = build_alerting(context.settings, context.connection, policy, context.audit, context.outbox)
    start_ticker(alerting)
    return alerting, policy


@app.command()
def dashboard(
    user: Annotated[str, typer.Option(help="Who signs in (see the policy's users).")] = "alice",
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1; 0 picks a free one.")] = 8080,
) -> None:
    """The phone dashboard alone on 127.0.0.1, with a one-time sign-in link for USER (docs/dashboard.md)."""
    from bot.dashboard_local import run_dashboard

    settings = settings_or_exit()
    try:
        run_dashboard(settings, user, port, typer.echo)
    except OpsbotError as exc:
        fail(str(exc))


@app.command("serve")
def serve_command(
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Jobs run in `opsbot worker` instead.")] = False,
) -> None:
    """Run the chat channels (Slack, Telegram) and the HTTP endpoints until Ctrl-C or SIGTERM."""
    import asyncio

    from bot.serve import NO_CHANNELS_HELP, configured_channels, serve

    settings = settings_or_exit()
    channels = configured_channels(settings)
    if not channels:
        typer.echo(NO_CHANNELS_HELP, err=True)
        raise typer.Exit(2)
    where = f"http://{settings.http_host}:{settings.http_port}"
    typer.echo(f"opsbot serve: {', '.join(channels)} on {where} (/healthz, /readyz, /metrics); Ctrl-C stops", err=True)
    try:
        asyncio.run(serve(settings, with_worker=not no_worker))
    except ConfigError as exc:
        fail("; ".join(exc.problems))
    except OpsbotError as exc:
        fail(str(exc))
    except KeyboardInterrupt:  # before the signal handlers are in place: nothing to clean up yet
        raise typer.Exit(130) from None


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the hash chain, the timestamps, and the log against the chain head in Redis and the signed
    checkpoints; names the first modified, removed or reordered record and any records cut or forged. Read-only.
    Works on the file and on PostgreSQL (OPSBOT_AUDIT_URL)."""
    from audit.stores import report as audit_report

    settings = settings_or_exit()
    with _audit_redis(settings) as connection:
        try:
            report = audit_report(settings, connection)
        except OpsbotError as exc:
            fail(str(exc), code=1)
    for line in report.lines():
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


@contextlib.contextmanager
def _audit_redis(settings: Settings) -> Iterator[redis.Redis | None]:
    """The Redis that holds the audit's chain head; None in the embedded demo (its Redis lives in the process
    that runs it)."""
    if settings.redis_url is None:
        yield None
        return
    from core.redis import connect

    connection = connect(settings)
    try:
        yield connection
    finally:
        connection.close()


@audit_app.command("tail")
def audit_tail(
    n: Annotated[int, typer.Option("-n", min=1, max=100_000, help="How many records.")] = 20,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON record per line.")] = False,
    actor: Annotated[str | None, typer.Option(help="Only this person's records (or system).")] = None,
    action: Annotated[
        str | None, typer.Option(help="Only this event (confirmed, alert_acked ...) or action (scale, failover ...).")
    ] = None,
    resource: Annotated[str | None, typer.Option(help="Only records about this resource (id or name).")] = None,
    since: Annotated[str | None, typer.Option(help="Only records since: an age (30m, 2h, 7d) or a UTC date.")] = None,
) -> None:
    """Show the newest audit records (read-only), of the file or of PostgreSQL (OPSBOT_AUDIT_URL)."""
    import time

    from audit.query import RecordFilter, parse_since
    from audit.stores import tail as audit_records

    settings = settings_or_exit()
    try:
        cutoff = parse_since(since, time.time()) if since is not None else None
    except ValueError as exc:
        fail(str(exc))
    try:
        records = audit_records(settings, n, RecordFilter(actor=actor, action=action, resource=resource, since=cutoff))
    except OpsbotError as exc:
        fail(str(exc), code=1)
    for record in records:
        if json_out:
            typer.echo(record.model_dump_json())
        else:
            from conversation.replies import clock

            line = (
                f"{record.seq:>6} {clock(record.at)} {record.event:<18} {record.actor:<8} {record.where}  {record.what}"
            )
            typer.echo(line + (f" -> {record.outcome}" if record.outcome else ""))


@audit_app.command("import")
def audit_import(
    log: Annotated[Path, typer.Argument(metavar="FILE", help="The file log to copy: audit.jsonl, or its data dir.")],
) -> None:
    """Copy a file log into the empty PostgreSQL log of OPSBOT_AUDIT_URL, keeping its sequence numbers, hashes and
    checkpoints. The file is verified first (with OPSBOT_AUDIT_KEY and the Redis head when set); a log that holds
    records is refused."""
    from audit.pg_import import import_file
    from audit.postgres import PostgresAudit

    settings = settings_or_exit()
    if settings.audit_url is None:
        fail("import needs OPSBOT_AUDIT_URL: the PostgreSQL database to copy the file log into")
    key = settings.audit_key.get_secret_value().encode() if settings.audit_key is not None else None
    with _audit_redis(settings) as connection, PostgresAudit.for_settings(settings, connection) as store:
        try:
            copied = import_file(log, store, key, connection)
            count = store.verify()
        except OpsbotError as exc:
            fail(str(exc), code=1)
    typer.echo(f"OK: {copied} records imported into {store.source}; it verifies ({count} records)")


@audit_app.command("init-db")
def audit_init_db(
    role: Annotated[
        str | None, typer.Option(help="The application's role: granted SELECT and INSERT, nothing else.")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(help="An administrator's postgresql:// URL (default OPSBOT_AUDIT_URL); libpq's PGPASSWORD works."),
    ] = None,
    print_only: Annotated[bool, typer.Option("--print", help="Print the SQL for psql instead of running it.")] = False,
) -> None:
    """Create the PostgreSQL audit's tables, the trigger that refuses UPDATE, DELETE and TRUNCATE, and the grants
    of the application's role. Run it as an administrator, never as the application's role."""
    from audit.pg_schema import install, script

    try:
        if print_only:
            typer.echo(script(role).strip())
            return
    except ValueError as exc:
        fail(str(exc))
    settings = settings_or_exit()
    target = url or (settings.audit_url.get_secret_value() if settings.audit_url is not None else None)
    if target is None:
        fail("init-db needs --url or OPSBOT_AUDIT_URL: the PostgreSQL database of the audit")
    try:
        done = install(target, role)
    except (OpsbotError, ValueError) as exc:
        fail(str(exc), code=1)
    for line in done:
        typer.echo(f"OK: {line}")


@app.command("check-config")
def check_config() -> None:
    """Validate settings, the policy file, the alerting file and the metrics mapping; each problem with its file
    and line."""
    from actions.metric_sources import check as check_metrics
    from policies.check import review_config
    from voice.backends import check as check_voice

    review = review_config()
    problems = review.problems
    with contextlib.suppress(ConfigError):  # a settings problem is already among `problems`
        settings = load_settings()
        problems += check_voice(settings)
        problems += check_metrics(settings)
    for line in [*problems, *review.warnings]:
        typer.echo(line, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("OK: settings, policy, alerting, the metrics mapping and the release manifest are valid.")


@app.command()
def bench(
    names: Annotated[
        list[str] | None, typer.Argument(metavar="NAME", help="Benchmarks to run; all when none is named.")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option(help="Run only these: `--only parse chat` or `--only parse --only chat`.")
    ] = None,
) -> None:
    """Run the benchmarks in bench/ and print their figures; an unknown name lists the known ones."""
    import subprocess

    # Its own process: the benchmarks import `bot`, so `bot` must not import them. `-P`: a folder named bench/
    # in the current directory is not the one that runs.
    command = [sys.executable, "-P", "-m", "bench", *(only or []), *(names or [])]
    raise typer.Exit(subprocess.run(command, check=False).returncode)  # noqa: S603 - our own interpreter and module


def main() -> None:
    app()


alert_app = typer.Typer(no_args_is_help=True, help="Alerts: send a test alert through the intake.")
app.add_typer(alert_app, name="alert")


@alert_app.command("test")
def alert_test() -> None:
    """Send a sample critical alert (web-prod: 5xx above 5%) through the intake, as a webhook would: it pages."""
    settings = settings_or_exit()
    if settings.redis_url is None:
        fail("alert test needs the Redis of opsbot serve (OPSBOT_REDIS_URL); in the demo, type /alert in opsbot shell")
    import redis

    from audit.stores import open_audit
    from bot.alerting import build_alerting
    from bot.sample_alert import describe, send_sample
    from core.outbox import Outbox
    from core.redis import connect
    from policies.loader import load_policy

    connection = connect(settings)
    try:
        outbox, policy = Outbox(connection), load_policy(settings.policy)
        desk = build_alerting(settings, connection, policy, open_audit(settings, connection), outbox).desk
        outcome = describe(send_sample(desk, "opsbot alert test"), desk)
    except redis.RedisError:
        fail("Redis does not answer at OPSBOT_REDIS_URL: start it or check the URL")
    except OpsbotError as exc:
        fail(str(exc))
    typer.echo(outcome.text)
    if not outcome.reached:
        raise typer.Exit(1)
