"""The `opsbot` command."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Run the clouds from chat, safely.")


@app.callback()
def _root() -> None:
    """opsbot: chat-ops for AWS, Azure and Google Cloud."""


def main() -> None:
    app()
