"""The dashboard's resource list and resource page, from a whole opsbot on the simulated world: every one of 10,000
resources as a compact row, built once per inventory; a page with its CPU, standby and the actions this user may
ask (as chat commands), and a page whose metric source does not answer in time."""

from __future__ import annotations

from bot.runtime import Runtime
from conversation.board_resources import COLUMNS, CPU_DEADLINE, resource_page, resource_rows
from core.settings import Settings
from tests.conversation.conftest import SayFactory
from tests.metrics.test_reader import hanging_port  # noqa: F401  # a port that accepts and never answers


def test_ten_thousand_resources_are_compact_rows_built_once_per_inventory(
    settings: Settings, say_factory: SayFactory
) -> None:
    runtime, _say = say_factory(settings.model_copy(update={"sim_resources": 10_000}))
    services = runtime.conversation.services
    resources = services.provider.snapshot().resources
    listed = resource_rows(services).model_dump(mode="json")
    assert listed["columns"] == list(COLUMNS) == ["id", "name", "cloud", "kind", "state", "environment", "region"]
    assert listed["total"] == len(listed["rows"]) == len(resources) >= 10_000
    web = next(r for r in resources if r.name == "web-prod")
    assert [web.id, "web-prod", "aws", "group", web.state, "prod", "us-east-1"] in listed["rows"]
    assert listed["age_seconds"] is not None and listed["age_seconds"] >= 0
    assert resource_rows(services).rows is resource_rows(services).rows  # the same inventory: not built again


def test_a_resource_page_with_its_cpu_standby_and_what_this_user_may_ask(runtime: Runtime) -> None:
    services = runtime.conversation.services
    page = resource_page(services, "carol", "web-prod")
    assert page is not None
    shown = page.model_dump(mode="json")
    assert {k: shown[k] for k in ("name", "cloud", "kind", "environment", "region", "standby")} == {
        "name": "web-prod", "cloud": "aws", "kind": "group", "environment": "prod", "region": "us-east-1",
        "standby": "web-dr",
    }  # fmt: skip
    assert shown["count"] == 12 and shown["size"] and shown["tags"]["service"] == "web"
    assert shown["cpu"]["problem"] is None and len(shown["cpu"]["points"]) > 30
    assert all(0 <= pct <= 100 for _, pct in shown["cpu"]["points"])
    commands = {a["command"]: a for a in shown["actions"]}
    assert commands["scale web-prod to {n}"]["needs_number"] is True
    assert commands["fail over web-prod"]["danger"] is True and commands["restart web-prod"]["danger"] is False
    assert {"restart web-prod", "stop web-prod", "emergency scale web-prod"} <= set(commands)

    by_id = resource_page(services, "dave", page.id)  # the same resource by its id, for a viewer: nothing to ask
    assert by_id is not None and by_id.name == "web-prod" and by_id.actions == []
    assert resource_page(services, "carol", "web-prd") is None


def test_a_metric_source_that_does_not_answer_in_time_is_the_page_s_problem(
    settings: Settings,
    say_factory: SayFactory,
    hanging_port: int,  # noqa: F811
) -> None:
    slow = settings.model_copy(update={"prometheus_url": f"http://127.0.0.1:{hanging_port}/"})
    runtime, _say = say_factory(slow)
    page = resource_page(runtime.conversation.services, "alice", "web-prod")
    assert page is not None
    assert page.cpu.points == []
    assert page.cpu.problem == f"Prometheus did not answer in {CPU_DEADLINE:g} s"
    assert page.state and page.actions  # the rest of the page is there
