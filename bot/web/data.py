"""The dashboard's data, as conversation.board builds it for a user (the one data model the chat summaries and the
Slack Home tab share), read in a thread: the builders are synchronous and talk to Redis."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic_core import to_jsonable_python

from conversation import board, board_resources
from conversation.services import Services
from core.web_sessions import Session


class BoardData:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def board_json(self, session: Session) -> str:
        built = await asyncio.to_thread(board.build_board, self._services, session.user)
        return built.model_dump_json()

    async def section(self, session: Session, name: str) -> Any:
        return await asyncio.to_thread(board.section, self._services, session.user, name)

    async def resources(self) -> Any:
        rows = await asyncio.to_thread(board_resources.resource_rows, self._services)
        return to_jsonable_python(rows)

    async def resource(self, session: Session, resource_id: str) -> Any | None:
        page = await asyncio.to_thread(board_resources.resource_page, self._services, session.user, resource_id)
        return None if page is None else to_jsonable_python(page)
