"""What Telegram shows around the chat: the command menu ("/" lists the common commands, setMyCommands) and, when
opsbot has an https address, the menu button that opens the dashboard as a Mini App (setChatMenuButton). Set when
the adapter connects; a refusal is logged and never stops the adapter (the commands still work when typed)."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, MenuButtonWebApp, WebAppInfo
from telegram.error import TelegramError

log = logging.getLogger(__name__)

# A command's name is what the user types after "/", with "_" read as a space ("/deploy_status": deploy status).
COMMANDS = (
    ("status", "Health of everything, worst problem first"),
    ("alerts", "Open alerts, with Acknowledge"),
    ("oncall", "Who is on call now, and next"),
    ("cost", "Spend this month"),
    ("deploy_status", "Deploys rolling now"),
    ("dr_status", "Standby vs primary, last drill"),
    ("dashboard", "The phone dashboard"),
    ("help", "What opsbot understands"),
)
MENU_LABEL = "Dashboard"


def app_url(public_url: str | None) -> str | None:
    """The dashboard's address for Telegram: only https (Telegram opens no Mini App over plain http)."""
    if public_url is None or not public_url.startswith("https://"):
        return None
    return public_url.rstrip("/") + "/app"


async def set_up(bot: Bot, dashboard: str | None) -> None:
    try:
        await bot.set_my_commands([BotCommand(name, about) for name, about in COMMANDS])
    except TelegramError as exc:
        log.warning("telegram: setMyCommands refused (%s); the commands still work when typed", exc)
    if dashboard is None:
        return
    try:
        await bot.set_chat_menu_button(menu_button=MenuButtonWebApp(MENU_LABEL, WebAppInfo(dashboard)))
    except TelegramError as exc:
        log.warning("telegram: setChatMenuButton refused (%s); the dashboard opens from its link", exc)
