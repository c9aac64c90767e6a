"""Phone-sized help: one hint line for text we did not understand, and a short page per topic."""

from __future__ import annotations

from collections.abc import Mapping

_HELP: Mapping[str, str] = {
    "status": (
        "status: health of everything, worst problem first.\n"
        "status · status of prod · how is aws doing · is gcp ok · status eu-west-1"
    ),
    "search": (
        "search: find resources by name, state, kind, cloud, region.\n"
        "find web · list stopped instances in gcp · show running databases in eu-west-1"
    ),
    "show": "show: details of one resource.\nshow db-prod · details of web-prod · what is api-prod",
    "scale": (
        "scale: change a group's size (you confirm first).\n"
        "scale web-prod to 20 · add 4 instances to web-prod · scale down api-prod by 2"
    ),
    "restart": (
        "start / stop / restart one resource (you confirm first).\n"
        "restart db-prod · stop web-staging · start web-staging"
    ),
    "emergency": (
        "emergency: scale a group up fast (at least double) when it is overloaded.\n"
        "emergency scale web-prod · emergency scale web-prod to 40"
    ),
    "shutdown": (
        "shutdown: stop everything in a group or resource. Critical: may need a second approver.\n"
        "shut down web-staging · shutdown web-staging"
    ),
    "failover": (
        "failover: move traffic to the standby. Critical: may need a second approver.\n"
        "fail over web-prod to dr · failover to azure"
    ),
    "cost": (
        "cost: spend per period, optionally grouped.\n"
        "cost this month · cost last month · cost today · cost by provider · forecast"
    ),
    "alerts": (
        "alerts: open alerts, newest first; ack, resolve, silence for a while, or page the next person.\n"
        "alerts · alert 42 · ack 42 · resolve 42 · silence 42 1h · escalate 42"
    ),
    "oncall": (
        "oncall: who carries the pager now, and who is next; or take it yourself.\n"
        "who is on call · I'll take tonight · I'll take the weekend"
    ),
    "confirm": (
        "confirm: changes wait for your yes; a code binds it to exactly what was shown.\nyes · confirm K7Q2 · cancel"
    ),
}

# Every name people use for a topic; the first word of a command is usually enough.
_ALIASES: Mapping[str, str] = {
    **dict.fromkeys(("status", "health", "state", "healthcheck"), "status"),
    **dict.fromkeys(("search", "find", "list", "searching", "finding", "listing", "lookup"), "search"),
    **dict.fromkeys(("show", "details", "describe", "info"), "show"),
    **dict.fromkeys(("scale", "scaling", "resize", "resizing", "size", "add", "remove"), "scale"),
    **dict.fromkeys(("start", "stop", "restart", "reboot", "starting", "stopping", "restarting"), "restart"),
    **dict.fromkeys(("start/stop/restart", "power", "rebooting", "bounce"), "restart"),
    **dict.fromkeys(("emergency", "emergency scale", "emergency scaling", "panic", "surge"), "emergency"),
    **dict.fromkeys(("shutdown", "shut down", "shutting down", "take down"), "shutdown"),
    **dict.fromkeys(("failover", "fail over", "failing over", "dr", "disaster recovery", "switchover"), "failover"),
    **dict.fromkeys(("cost", "costs", "spend", "spending", "billing", "bill", "forecast", "money"), "cost"),
    **dict.fromkeys(("alerts", "alert", "alarms", "ack", "acknowledge", "resolve", "incidents"), "alerts"),
    **dict.fromkeys(("silence", "silencing", "mute", "snooze", "escalate", "escalation", "escalating"), "alerts"),
    **dict.fromkeys(("oncall", "on call", "pager", "rota", "schedule", "take tonight", "taking the pager"), "oncall"),
    **dict.fromkeys(("confirm", "confirmation", "confirming", "yes", "cancel", "code", "codes"), "confirm"),
}

TOPICS: tuple[str, ...] = tuple(_HELP)

_INDEX = (
    "Try: status · find web · show web-prod · scale web-prod to 20 · restart db-prod · cost this month · "
    "alerts · ack 42 · who is on call · yes / cancel\n"
    "More: help <topic> - status, search, show, scale, start/stop/restart, emergency, shutdown, failover, "
    "cost, alerts, oncall, confirm"
)


def topic_of(phrase: str) -> str | None:
    """The topic a word or phrase names ("scaling" -> "scale"), or None."""
    return _ALIASES.get(phrase.strip().lower())


def hint() -> str:
    """One line for text we did not understand."""
    return "I didn't get that. Try: status, find web, scale web-prod to 20, help"


def help_text(topic: str | None) -> str:
    """Help on `topic` (any of its names), or the index of commands for None or an unknown topic."""
    if topic is None or not topic.strip():
        return _INDEX
    known = topic_of(topic)
    if known is None:
        return f"No help on '{topic.strip()[:40]}'.\n{_INDEX}"
    return _HELP[known]
