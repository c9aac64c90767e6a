"""The Board (conversation.board) as Slack shows it: the Home tab (views.publish) and the "Emergency" shortcut's
modal (views.open). Pure functions: a Board in, Block Kit JSON out.

Within Slack's limits whatever the board holds (a view takes 100 blocks; a section's text 3000 characters, a
header's 150, a button's 75): long lists are cut with "+N more" and the dashboard link shows the rest. Buttons
run through the normal flow: an Ack carries the alert card's own id ("alert:ack:12"); an emergency button
carries its command (action_id "say:N", the command as its value), which the adapter hands on as if the user had
typed it - the policy, preview and confirmation are chat's, answered in the user's direct message."""

from __future__ import annotations

import time
from typing import Any

from bot.slack.render import LABEL_CHARS, LINK_PREFIX, SAY_PREFIX, SECTION_CHARS, cut, escape
from conversation.board import AlertItem, Board, HealthRow
from core.untrusted import for_chat

Block = dict[str, Any]

APP_PATH = "/app/"  # the dashboard under OPSBOT_PUBLIC_URL (bot/web)
MAX_BLOCKS = 100  # a Home tab or modal
HEADER_CHARS = 150
TITLE_CHARS = 24  # a modal's title
SHOWN_ALERTS = 30  # each its own section with an Ack button; the rest are counted
SHOWN_LINES = 25  # rows of a list section (health, runs, deploys, incidents)
MAX_EMERGENCY = 25  # one actions block
STRANGER = (
    "You are not on opsbot's list, so this tab shows nothing. Ask an opsbot admin to add your Slack id to the "
    "policy (docs/policy.md)."
)
_MARK = {"ok": "✅", "degraded": "⚠️", "down": "🔴", "unknown": "❔"}


def home_view(board: Board, dashboard_url: str | None) -> Block:
    return {"type": "home", "blocks": _fit(_board_blocks(board, dashboard_url))}


def stranger_view() -> Block:
    return {"type": "home", "blocks": [_section(STRANGER)]}


def emergency_modal(board: Board | None) -> Block:
    """The emergency view: the big buttons this user may run (none for a viewer or a stranger)."""
    if board is not None and board.emergency:
        note = "Each button asks as if you typed it: the preview and confirmation come to your direct message."
        blocks = [_section(note), _emergency(board)]
    else:
        blocks = [_section("Nothing here you may run. An operator or admin sees the failovers and emergency scales.")]
    return {
        "type": "modal",
        "callback_id": "emergency",
        "title": {"type": "plain_text", "text": "Emergency"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }


def _board_blocks(board: Board, dashboard_url: str | None) -> list[Block]:
    role = board.user.role or "no role"
    blocks: list[Block] = [_header(f"opsbot · {board.user.name} ({role})")]
    updated = time.strftime("%H:%M", time.localtime(board.generated_at))
    notes = [f"Updated {updated}", *board.problems]
    blocks.append({"type": "context", "elements": [_mrkdwn(" · ".join(notes))]})
    if dashboard_url is not None:
        link = {"type": "button", "action_id": LINK_PREFIX + "dashboard", "url": dashboard_url,
                "text": _plain("Open dashboard", LABEL_CHARS)}  # fmt: skip
        blocks.append({"type": "actions", "elements": [link]})
    blocks += [_header("Health"), _section(_lines([_health(r) for r in board.health]) or "No data yet.")]
    blocks += _alerts(board)
    work = [f"▶ {r.title}: {r.state}, step {r.done}/{r.total}" + (f" - {r.current}" if r.current else "")
            for r in board.runs]  # fmt: skip
    work += [f"🚀 {d.service} {d.version} → {d.environment}: {d.state} {d.percent}%" for d in board.deploys]
    if work:
        blocks += [_header("Runbooks and deploys"), _section(_lines(work))]
    if board.incidents:
        lines = [f"inc {i.id} {i.severity} {i.title} ({i.state})" for i in board.incidents]
        blocks += [_header("Incidents"), _section(_lines(lines))]
    if board.oncall:
        lines = [f"{o.schedule}: {o.now or 'nobody'}" + (f", next {o.next}" if o.next else "") for o in board.oncall]
        blocks += [_header("On call"), _section(_lines(lines))]
    if board.cost is not None:
        c = board.cost
        line = f"{c.currency} {c.month_to_date:,.0f} this month"
        line += f" of {c.budget:,.0f} budget" if c.budget is not None else ""
        line += f", forecast {c.forecast:,.0f}" if c.forecast is not None else ""
        blocks += [_header("Cost"), _section(line + (f"\n{c.problem}" if c.problem else ""))]
    if board.emergency:
        blocks += [_header("Emergency"), _emergency(board)]
    return blocks


def _alerts(board: Board) -> list[Block]:
    if not board.alerts:
        return [_header("Alerts"), _section("No open alerts.")]
    blocks = [_header(f"Alerts ({len(board.alerts)} open)")]
    blocks += [_alert(a) for a in board.alerts[:SHOWN_ALERTS]]
    hidden = len(board.alerts) - SHOWN_ALERTS
    if hidden > 0:
        blocks.append({"type": "context", "elements": [_mrkdwn(f"+{hidden} more: open the dashboard or type alerts")]})
    return blocks


def _alert(alert: AlertItem) -> Block:
    state = f"acked by {alert.acked_by}" if alert.state == "acked" and alert.acked_by else alert.state
    where = f" · {alert.resource}" if alert.resource else ""
    block = _section(f"#{alert.id} {alert.severity}{where}: {alert.title} ({state})")
    if alert.can_ack and alert.state == "firing":
        button_id = f"alert:ack:{alert.id}"  # the alert card's own button: the normal flow acknowledges it
        block["accessory"] = {"type": "button", "action_id": button_id, "value": button_id, "style": "primary",
                              "text": _plain("Ack", LABEL_CHARS)}  # fmt: skip
    return block


def _emergency(board: Board) -> Block:
    buttons = []
    for n, action in enumerate(board.emergency[:MAX_EMERGENCY]):
        button: Block = {"type": "button", "action_id": f"{SAY_PREFIX}{n}", "value": action.command[:2000],
                         "text": _plain(action.label, LABEL_CHARS)}  # fmt: skip
        if action.danger:
            button["style"] = "danger"
        buttons.append(button)
    return {"type": "actions", "elements": buttons}


def _health(row: HealthRow) -> str:
    counts = ", ".join(f"{row.counts[s]} {s}" for s in row.states if row.counts.get(s))
    line = f"{_MARK.get(row.worst, '')} {row.cloud} {row.environment}: {row.total} ({counts})"
    return line + (f" - {row.problem}" if row.problem else "")


def _lines(lines: list[str]) -> str:
    shown = lines[:SHOWN_LINES]
    if len(lines) > SHOWN_LINES:
        shown.append(f"+{len(lines) - SHOWN_LINES} more")
    return "\n".join(shown)


def _fit(blocks: list[Block]) -> list[Block]:
    """At most MAX_BLOCKS: the alert sections are what grows, and SHOWN_ALERTS keeps them well inside; this is
    the last guard, keeping the top of the board (its most urgent part)."""
    return blocks[:MAX_BLOCKS]


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(text)}


def _mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": cut(escape(for_chat(text)) or " ", SECTION_CHARS), "verbatim": True}


def _header(text: str) -> Block:
    return {"type": "header", "text": _plain(text, HEADER_CHARS)}


def _plain(text: str, limit: int) -> Block:
    return {"type": "plain_text", "text": cut(for_chat(text) or "?", limit), "emoji": True}
