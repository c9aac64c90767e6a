"""Phone-sized help: one hint line for text we did not understand, and a short page per topic.

Each topic keeps its examples as data, with the intents they must be read as: a test runs every example
against the demo world, so help never promises what the bot does not do."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from core.models import IntentName as I
from intents.mood import CHANGE_VERBS

_WORD = re.compile(r"[a-z]+")
# The past and other forms of the verbs that change things ("who restarted worker-prod", "we fail over").
_CHANGE_STEMS: tuple[str, ...] = (
    *("restart", "reboot", "scal", "resiz", "shut", "fail", "stop", "start", "halt", "kill", "bounc"),
    *("deploy", "redeploy", "rollback", "revert", "releas"),
)


class Topic(NamedTuple):
    summary: str  # one line: what it does
    examples: tuple[str, ...]  # what a user types, shown "·"-separated
    intents: frozenset[I]  # what each example must be read as

    def page(self) -> str:
        return f"{self.summary}\n{' · '.join(self.examples)}"


def _topic(summary: str, examples: tuple[str, ...], *intents: I) -> Topic:
    return Topic(summary, examples, frozenset(intents))


_TOPICS: Mapping[str, Topic] = {
    "status": _topic(
        "status: health of everything, or of one cloud, region, environment or group; worst problem first.",
        ("status", "status of prod", "how is aws doing", "is gcp ok", "status eu-west-1", "status of web-prod"),
        I.STATUS,
    ),
    "search": _topic(
        "search: find resources by name, state, kind, cloud, region.",
        ("find web", "list stopped instances in gcp", "show running databases in eu-west-1"),
        I.SEARCH,
    ),
    "show": _topic(
        "show: details of one resource.", ("show db-prod", "details of web-prod", "what is api-prod"), I.SHOW
    ),
    "scale": _topic(
        "scale: change a group's size (you confirm first). Past an AWS group's own max or min, say so: an admin "
        "approves.",
        (
            "scale web-prod to 20",
            "add 4 instances to web-prod",
            "scale down api-prod by 2",
            "scale web-prod to 50 and raise the max",
        ),
        I.SCALE,
    ),
    "restart": _topic(
        "start / stop / restart one resource (you confirm first).",
        ("restart db-prod", "stop web-staging", "start web-staging"),
        I.START,
        I.STOP,
        I.RESTART,
    ),
    "emergency": _topic(
        "emergency: scale a group up fast (at least double) when it is overloaded.",
        ("emergency scale web-prod", "emergency scale web-prod to 40"),
        I.EMERGENCY_SCALE,
    ),
    "shutdown": _topic(
        "shutdown: stop everything in a group or resource. Critical: may need a second approver.",
        ("shut down web-staging", "shutdown worker-staging"),
        I.SHUTDOWN,
    ),
    "failover": _topic(
        "failover: move traffic to the standby. Critical: may need a second approver.",
        ("fail over web-prod to dr", "fail over api-prod"),
        I.FAILOVER,
    ),
    "deploy": _topic(
        "deploy: a service's release, group by group in every cloud; you see what changes and confirm. "
        "Pause, resume or cancel it while it rolls.",
        ("deploy web v2.4 to prod", "deploy status", "history web", "pause deploy web", "resume deploy web"),
        I.DEPLOY,
        I.DEPLOY_STATUS,
        I.DEPLOY_HISTORY,
        I.PAUSE_DEPLOY,
        I.RESUME_DEPLOY,
        I.CANCEL_DEPLOY,
    ),
    "dr": _topic(
        "dr: runbooks to the standby and back, step by step, a second admin approves; a drill changes nothing.",
        ("dr status", "fail over web-prod", "dr drill web-prod", "pause the failover", "abort the failover"),
        I.DR_STATUS,
        I.DR_DRILL,
        I.FAILOVER,
        I.FAILBACK,
        I.PAUSE_RUNBOOK,
        I.RESUME_RUNBOOK,
        I.ABORT_RUNBOOK,
    ),
    "incident": _topic(
        "incident: declare one (a number and a channel), post updates, read its timeline, resolve it.",
        (
            "declare sev1 web-prod down",
            "inc 1 update db replica lagging",
            "inc 1 timeline",
            "resolve inc 1 replica promoted",
        ),
        I.DECLARE,
        I.INCIDENT_UPDATE,
        I.INCIDENT_TIMELINE,
        I.RESOLVE_INCIDENT,
    ),
    "rollback": _topic(
        "rollback: a service back to its last good version, or the one you name (you confirm first).",
        ("rollback web-prod", "roll back web", "rollback web-staging to v2.2"),
        I.ROLLBACK,
    ),
    "cost": _topic(
        "cost: billed spend by period or group; top spenders, vs last month, why a day jumped, CSV, forecast.",
        (
            "cost this month by service",
            "top 10 spenders",
            "cost vs last month",
            "why did cost jump on tuesday",
            "export costs for last month",
            "forecast",
        ),
        I.COST,
        I.FORECAST,
        I.COST_WHY,
        I.COST_EXPORT,
    ),
    # Setting one is shown in the summary, not among the examples: only an admin may, and every user reads help.
    "budget": _topic(
        "budget: monthly budgets (all, a cloud, an environment, a team) and where each stands. "
        "Admins: set budget prod to $20k a month",
        ("budgets", "budget for prod", "how are we doing against budget"),
        I.BUDGET,
    ),
    "savings": _topic(
        "savings: what to cut - idle, oversized or forgotten resources, $/month each, with a button to act.",
        ("what can we cut", "idle instances", "what can we turn off in staging"),
        I.SAVINGS,
    ),
    "metrics": _topic(
        "metrics: a number, trend and chart of cpu, memory, p99/median latency, errors, requests, network in/out.",
        (
            "cpu of web-prod last 6h",
            "p99 latency of api-prod since 3am",
            "compare cpu of web-prod with last week",
            "top 5 instances by cpu in prod",
        ),
        I.METRIC,
    ),
    "watch": _topic(
        "watch: one message that keeps a metric up to date (10 min unless said, 1 h at most).",
        ("watch cpu of web-prod for 10 min", "watch web-prod memory"),
        I.WATCH,
    ),
    "alerts": _topic(
        "alerts: open alerts, newest first; ack, resolve, silence for a while, or page the next person.",
        ("alerts", "alert 42", "escalate 42", "ack 42", "silence 42 1h", "resolve 42"),
        I.ALERTS,
        I.ACK,
        I.RESOLVE,
        I.SILENCE,
        I.ESCALATE,
    ),
    "oncall": _topic(
        "oncall: who carries the pager now, and who is next; or take it yourself.",
        ("who is on call", "I'll take tonight", "I'll take the weekend"),
        I.ONCALL,
        I.TAKE_ONCALL,
    ),
    "dashboard": _topic(
        "dashboard: the whole picture on your phone; a one-time sign-in link, sent to you in a direct message.",
        ("dashboard", "open the app"),
        I.DASHBOARD,
    ),
    "confirm": _topic(
        "confirm: changes wait for your yes; a code binds it to exactly what was shown.",
        ("yes", "confirm K7Q2M9", "cancel"),
        I.CONFIRM,
        I.CANCEL,
    ),
    "more": _topic("more: the next page of a long answer (or press More).", ("status", "more"), I.STATUS, I.MORE),
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
    **dict.fromkeys(("failover", "fail over", "failing over", "switchover"), "failover"),
    **dict.fromkeys(("dr", "disaster recovery", "failback", "fail back", "drill", "dr drill", "runbook"), "dr"),
    **dict.fromkeys(("runbooks", "dr status", "abort", "abort the failover"), "dr"),
    **dict.fromkeys(("incident", "incidents", "inc", "declare", "timeline", "sev1", "outage"), "incident"),
    # Not "deploys" nor "history": "deploys?" asks for the deploys, not for help on them.
    **dict.fromkeys(("deploy", "deploying", "deployment", "release", "releasing", "ship", "roll out"), "deploy"),
    **dict.fromkeys(("redeploy", "deploy status", "deploy history", "deploy freeze", "freeze override"), "deploy"),
    **dict.fromkeys(("rollback", "roll back", "rolling back", "revert", "reverting", "undo a deploy"), "rollback"),
    **dict.fromkeys(("cost", "costs", "spend", "spending", "billing", "bill", "forecast", "money"), "cost"),
    **dict.fromkeys(("export", "exports", "csv", "cost export", "why", "cost jump", "top spenders"), "cost"),
    **dict.fromkeys(("budget", "budgets", "budgeting", "set budget", "setting budgets"), "budget"),
    # Not "save" nor "cut": "how can we save money" asks for savings, not for help on them.
    **dict.fromkeys(("savings", "saving", "idle instances"), "savings"),
    **dict.fromkeys(("recommendations", "rightsizing", "cost savings"), "savings"),
    **dict.fromkeys(("metrics", "metric", "graph", "graphs", "chart", "charts", "cpu", "memory"), "metrics"),
    **dict.fromkeys(("latency", "errors", "requests", "traffic", "network", "compare", "busiest"), "metrics"),
    **dict.fromkeys(("watch", "watching", "watches", "keep an eye", "monitor"), "watch"),
    **dict.fromkeys(("alerts", "alert", "alarms", "ack", "acknowledge", "resolve"), "alerts"),
    **dict.fromkeys(("silence", "silencing", "mute", "snooze", "escalate", "escalation", "escalating"), "alerts"),
    **dict.fromkeys(("oncall", "on call", "pager", "rota", "schedule", "take tonight", "taking the pager"), "oncall"),
    **dict.fromkeys(("dashboard", "dash", "app", "web app", "mini app", "home tab", "emergency view"), "dashboard"),
    **dict.fromkeys(("confirm", "confirmation", "confirming", "yes", "cancel", "code", "codes"), "confirm"),
    **dict.fromkeys(("more", "next", "next page", "paging", "pages"), "more"),
}

TOPICS: tuple[str, ...] = tuple(_TOPICS)

# The index's own examples, each with the topic whose intents it must be read as.
_TRY: tuple[tuple[str, str], ...] = (
    ("status", "status"),
    ("find web", "search"),
    ("show web-prod", "show"),
    ("scale web-prod to 20", "scale"),
    ("restart db-prod", "restart"),
    ("cost this month", "cost"),
    ("cpu of web-prod", "metrics"),
    ("alerts", "alerts"),
    ("ack 42", "alerts"),
    ("who is on call", "oncall"),
    ("yes", "confirm"),
    ("cancel", "confirm"),
)
# What opsbot can do, in the words of the topics: the index, and the answer to a command it does not have.
_CAN_DO = (
    "status, search, show, scale, start/stop/restart, emergency, shutdown, failover, dr, deploy, rollback, cost, "
    "budget, savings, metrics, watch, alerts, incident, oncall, dashboard, confirm"
)
_INDEX = f"Try: {' · '.join(e for e, _ in _TRY)}\nTopics: help <topic> - {_CAN_DO}, more"


def topic_of(phrase: str) -> str | None:
    """The topic a word or phrase names ("scaling" -> "scale"), or None."""
    return _ALIASES.get(phrase.strip().lower())


def hint(meant: str | None = None, text: str = "") -> str:
    """One line for text we did not understand; for a typo of a verb that acts, the command it would have been
    (`meant`), which is never run from a typo; for `text` that speaks of a change without ordering it ("don't
    restart db-prod", "did bob scale web-prod?"), that nothing was done and how an order reads."""
    if meant:
        return f"I didn't get that. Did you mean '{meant[:80]}'? A typo is never taken for a command: type it again."
    if any(w in CHANGE_VERBS or w.startswith(_CHANGE_STEMS) for w in _WORD.findall(text.lower())):
        return "I did nothing: that doesn't read as an order. To change something, type it as one: restart db-prod"
    return "I didn't get that. Try: status, find web, scale web-prod to 20, help"


def not_yet(what: str) -> str:
    """For a command opsbot does not have ("rollback web-prod"): said plainly, with what it can do instead."""
    return f"I can't {what} yet - here is what I can do:\n{_CAN_DO} (help <topic> for examples)"


def help_text(topic: str | None) -> str:
    """Help on `topic` (any of its names), or the index of commands for None or an unknown topic."""
    if topic is None or not topic.strip():
        return _INDEX
    known = topic_of(topic)
    if known is None:
        return f"No help on '{topic.strip()[:40]}'.\n{_INDEX}"
    return _TOPICS[known].page()


def examples() -> Iterator[tuple[str | None, str, frozenset[I]]]:
    """Every example help shows: (topic, or None for the index; the example; the intents it must be read as),
    in the order shown."""
    for example, topic in _TRY:
        yield None, example, _TOPICS[topic].intents
    for name, topic_ in _TOPICS.items():
        for example in topic_.examples:
            yield name, example, topic_.intents
