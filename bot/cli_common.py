"""What every `opsbot` sub-command shares: the settings read once with each problem on its own line, and the
one-line failure. `bot/cli.py` and `bot/cli_outbox.py` both use them (neither imports the other)."""

from __future__ import annotations

from typing import NoReturn

import typer

from core.errors import ConfigError
from core.settings import Settings, load_settings


def settings_or_exit() -> Settings:
    """The settings, or every problem with them as the lines `check-config` prints, and exit 2."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(2) from None
    import logging

    from core.log_redaction import install_log_redaction
    from core.redaction import remember_settings_secrets

    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    install_log_redaction()  # before anything logs: SDK loggers quieted, every line cleaned of credentials
    remember_settings_secrets(settings)  # the configured secrets are masked by value too
    return settings


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"opsbot: {message}", err=True)
    raise typer.Exit(code)
