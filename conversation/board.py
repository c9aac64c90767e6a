"""The phone dashboard's one data model: the Board (health, alerts, runs, deploys, incidents, on call, cost, the
emergency buttons) that the web app shows (bot/web serves `model_dump(mode="json")`), the Slack Home tab renders and
the live stream sends a section of at a time. Every section is read through the same books and queries chat answers
from (conversation.board_sections, conversation.board_people), never a second implementation; a section that cannot
be read is empty and says so in `problems`, so one bad source never hides the rest.

What a user may do is asked of the policy as chat asks it: a viewer's board offers no action (`can_act` false, no
emergency buttons, no Ack); whatever a button sends is judged again when it arrives."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

import redis
from pydantic_core import to_jsonable_python

from conversation import board_people, board_sections
from conversation.board_model import (
    AlertItem,
    Board,
    BoardUser,
    CostSummary,
    DeployItem,
    EmergencyAction,
    HealthRow,
    IncidentItem,
    OnCallItem,
    RunItem,
    Viewer,
    viewer_of,
)
from conversation.services import Services
from core.changes import Topic
from core.errors import OpsbotError

log = logging.getLogger(__name__)
__all__ = [
    "AlertItem", "Board", "BoardUser", "CostSummary", "DeployItem", "EmergencyAction", "HealthRow", "IncidentItem",
    "OnCallItem", "RunItem", "build_board", "section",
]  # fmt: skip

T = TypeVar("T", covariant=True)


class Section(Generic[T]):
    """A section's builder with its empty value: what the section is when it cannot be read."""

    def __init__(self, name: str, build: Callable[[Services, Viewer], T], empty: T) -> None:
        self.name, self._build, self._empty = name, build, empty

    def read(self, services: Services, viewer: Viewer, problems: list[str]) -> T:
        try:
            return self._build(services, viewer)
        except OpsbotError as exc:  # the source's own short line: "costs: no data yet"
            problems.append(f"{self.name}: {exc}")
        except redis.RedisError as exc:
            log.warning("board section %s: Redis: %s", self.name, exc)
            problems.append(f"{self.name}: the store is unreachable")
        except Exception:  # one broken source must not blank the dashboard: logged, and said on the board
            log.exception("board section %s failed", self.name)
            problems.append(f"{self.name}: could not be read")
        return self._empty


def _sections() -> dict[str, Section[object]]:
    return {
        Topic.HEALTH.value: Section("health", board_sections.health, []),
        Topic.ALERTS.value: Section("alerts", board_sections.alerts, []),
        Topic.RUNS.value: Section("runs", board_sections.runs, []),
        Topic.DEPLOYS.value: Section("deploys", board_sections.deploys, []),
        Topic.INCIDENTS.value: Section("incidents", board_sections.incidents, []),
        Topic.ONCALL.value: Section("on call", board_people.oncall, []),
        Topic.COST.value: Section("costs", board_people.cost, None),
    }


def build_board(services: Services, user: str) -> Board:
    """The whole board for `user` (an opsbot user name, as PolicyEngine.user_for gives it)."""
    viewer = viewer_of(services, user)
    problems: list[str] = []
    values = {name: s.read(services, viewer, problems) for name, s in _sections().items()}
    none: list[EmergencyAction] = []
    actions = Section("emergency", board_people.emergency, none).read(services, viewer, problems)
    return Board.model_validate(
        {
            "user": BoardUser(name=user, role=viewer.role),
            "generated_at": viewer.now,
            **values,
            "emergency": actions,
            "can_act": board_people.may_act(services, viewer),
            "problems": problems,
        }
    )


def section(services: Services, user: str, name: str) -> object:
    """One section's value as the board's JSON carries it (`name`: a core.changes.Topic value), for the live
    stream's `section` event. An unknown name is a ValueError; a section that cannot be read is its empty value."""
    found = _sections().get(name)
    if found is None:
        raise ValueError(f"no board section {name!r}")
    return to_jsonable_python(found.read(services, viewer_of(services, user), []))
