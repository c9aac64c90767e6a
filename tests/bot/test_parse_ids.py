"""`opsbot parse` resolves a target as the conversation does: an id (whole, the cloud's own part, a unique
prefix) names its resource, whatever it is called; names resolve as before."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from actions.simulated.inventory import generate_inventory
from bot.cli import app
from core.settings import Settings

runner = CliRunner()


def _target(text: str) -> object:
    done = runner.invoke(app, ["parse", text, "--json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.output)["slots"].get("target")


def test_an_instance_id_resolves_to_its_name() -> None:
    settings = Settings()
    inventory = generate_inventory(seed=settings.sim_seed, size=settings.sim_resources)
    member = next(r for r in inventory if r.kind == "instance" and r.group == "web-prod" and ":i-" in r.id)
    native = member.id.rsplit(":", 1)[-1]  # i-0abc...
    assert _target(f"show {native}") == member.name
    assert _target(f"restart {native[:10]}") == member.name  # a unique prefix
    assert _target(f"stop {member.id}") == member.name  # opsbot's whole id
    azure = next(r for r in inventory if r.cloud == "azure" and r.kind == "instance")
    assert _target(f"show {azure.id.rsplit(':', 1)[-1]}") == azure.name  # "vm/<name>"


def test_names_resolve_as_before() -> None:
    assert _target("scale web prod to twenty") == "web-prod"
