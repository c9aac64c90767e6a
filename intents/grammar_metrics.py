"""Patterns of metrics questions ("cpu of web-prod last 6h", "top 5 instances by cpu in prod", "compare cpu of
web-prod with last week") and watches ("watch cpu of web-prod for 10 min"). Part of the ordered table in
`intents.grammar`: after the changes, so "scale web-prod to 20" is never a question, and before the commands
opsbot does not have yet, status and show, which would take "cpu of web-prod" for something else.

A question that starts with the metric's name is one rule per metric (its names in `intents.vocab.METRIC_WORDS`),
so the first word finds it and the voice grammar hears the names; elsewhere the metric is read by the {metric}
slot, the longest name last ("inbound" then "inbound traffic"), as every reader does."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from core.models import IntentName as I
from intents import vocab
from intents.metric_slots import METRIC_STARTS
from intents.patterns import Rule, rule, rules

_ORDER = ("network_in", "network_out", "latency_p50", "errors", "latency_p99", "memory", "cpu", "requests")
# Said right before a name ("cpu web-prod"), "load" is too often the start of "load balancer".
_NOT_BARE = frozenset({"load"})
_NAMES = {m: sorted(w for w, k in vocab.METRIC_WORDS.items() if k == m) for m in _ORDER}
_MEASURE = (
    "[usage|use|utilisation|utilization|util|consumption|level|levels|stats|numbers|metrics|graph|chart|trend"
    "|history|rate|percentage|figures|data]"
)
_OF = "(of|on|for|in|at|across|to|from|inside)"
_ASK = (
    "(show|get|check|give|graph|chart|plot|display|view|pull up|bring up|what is|what are|what was|what were"
    "|how is|how are|how was|what does|what do|how does|how do|can i see|can i get|let me see|how high is"
    "|how bad is|how much is|tell me|whats)"
    " [me] [the|our|a|an] "
    "[graph of|chart of|plot of|graph for|chart for|current|latest|live]"
)
# What may come before a top list ("show me the top 5 ..."), said or not: a rule for each, so each starts with a
# word the index knows instead of being tried for every text.
_LEADS = ("(show|list|get|give|what are|which are|who are) [me] [the|our] ", "(the|our) ", "")
_WATCH = (
    "(watch|monitor|keep an eye on|keep watching|keep watch on|keep an eye out on|track|follow|eyeball|babysit"
    "|stream|watch over) [the]"
)
_HOG_VERBS = "has|have|is using|are using|uses|use|is eating|are eating|eats|eat|consumes|consume|is burning"
_DOING = (
    "using|use|used|taking|take|eating|eat|consuming|consume|doing|do|getting|get|seeing|see|serving|serve|handling"
    "|handle|pushing|push|sending|send|receiving|receive|throwing|throw|returning|return|had|have|got"
)
_LOOKING = "[looking like|look like|like|looking|doing|at]"
_RANK = "(top|highest|heaviest|worst|biggest|most)"
_AGAINST = "(compare|compared|comparing|stack up|look|looks|compares)"

# The metric's name first: one rule per metric, {w} its names, so they are words the index and the voice grammar
# know. The place before a name: "cpu of prod" asks about an environment, "cpu of web prod" about a group.
_METRIC_FIRST = (
    f"({{w}}) {_MEASURE} {_OF} {{metric_scope}}",
    f"({{w}}) {_MEASURE} {_OF} {{target}} [{{metric_tail}}]",
    # "the cpu of web prod": what a recogniser often hears before a metric's name, and people say too.
    f"(the|our) ({{w}}) {_MEASURE} {_OF} {{metric_scope}}",
    f"(the|our) ({{w}}) {_MEASURE} {_OF} {{target}} [{{metric_tail}}]",
)
# A metric's name then a name with nothing between ("cpu web-prod"): the name must look like one.
_BARE = f"({{w}}) {_MEASURE} {{target}} [{{metric_tail}}]"
# Elsewhere the metric is a slot ({metric}): a rule each, tried only on a text that has a metric's name.
_QUESTIONS = (
    f"{_ASK} {{metric}} {_MEASURE} {_LOOKING} {_OF} {{metric_scope}}",
    f"{_ASK} {{metric}} {_MEASURE} {_LOOKING} {_OF} {{target}} [{{metric_tail}}]",
    f"(any|are there any|are there|got any|seeing any|is there any) {{metric}} {_OF} {{metric_scope}}",
    f"(any|are there any|are there|got any|seeing any|is there any) {{metric}} {_OF} {{target}} [{{metric_tail}}]",
    f"(is|are) {{target}} (throwing|returning|serving|getting|handling|pushing|sending|receiving) [any] {{metric}}"
    f" {_MEASURE} [{{metric_tail}}]",
    f"(how much|how many) {{metric}} {_OF} {{metric_scope}}",
    f"(how much|how many) {{metric}} {_OF} {{target}} [{{metric_tail}}]",
    f"(how much|how many) {{metric}} (is|are|does|do|did|has|have) {{target}} ({_DOING}) [{{metric_tail}}]",
    f"compare [the] {{metric}} {_MEASURE} {_OF} {{compare_scope}}",
    f"compare [the] {{metric}} {_MEASURE} {_OF} {{target}} {{compare_tail}}",
    f"compare [the] {{target}} {{metric}} {_MEASURE} {{compare_tail}}",
    f"how (does|do|is|are) [the] {{metric}} {_MEASURE} {_OF} {{target}} {_AGAINST} {{compare_tail}}",
    f"(which|what) [{{count}}] {{metric_kind}} ({_HOG_VERBS}) [the] (most|highest|biggest|more|worst) {{metric}}"
    f" {_MEASURE} [{{metric_range}}]",
    f"(what|who|which) (is|are) (using|eating|consuming|burning|hogging) [the] [most|all the] {{metric}} {_MEASURE}"
    " [{metric_range}]",
)
_TOP_LISTS = tuple(
    lead + pattern
    for lead in _LEADS
    for pattern in (
        f"{_RANK} {{count}} [{{metric_kind}}] (by|for|on|in|in terms of|with the most|with the highest) [the]"
        f" {{metric}} {_MEASURE} [{{metric_range}}]",
        f"{_RANK} [{{metric_kind}}] (by|for|on|in terms of) [the] {{metric}} {_MEASURE} [{{metric_range}}]",
        f"{_RANK} [{{count}}] {{metric}} {_MEASURE} [{{metric_kind}}] [users|consumers|hogs|eaters|offenders]"
        " [{metric_range}]",
    )
)
# "compare cpu of web-prod": what with is not said; a week before is what on-call compares with.
_COMPARE_DEFAULT = (
    f"compare [the] {{metric}} {_MEASURE} {_OF} {{range_scope}}",
    f"compare [the] {{metric}} {_MEASURE} {_OF} {{target}} [{{range_tail}}]",
    f"compare [the] {{target}} {{metric}} {_MEASURE} [{{range_tail}}]",
)
_ASK_NAME_FIRST = f"{_ASK} {{target}} {{metric}} {_MEASURE} {_LOOKING} [{{metric_tail}}]"
_WATCHES = (
    f"{_WATCH} {{metric}} {_MEASURE} {_OF} {{target}} [{{watch_length}}]",
    f"{_WATCH} {{target}} {{metric}} {_MEASURE} [{{watch_length}}]",
)
# Slot first: tried for every text that has a metric's name, so last in the grammar (before `SLOT_FIRST`).
_NAME_FIRST = (
    f"{{metric_scope}} {{metric}} {_MEASURE} [{{metric_range}}]",
    f"{{target}} {{metric}} {_MEASURE} [{{metric_tail}}]",
)


def _per_metric(pattern: str, *, loose: bool = False, bare: bool = False) -> list[Rule]:
    """One rule per metric, {w} its names (without those too vague said bare)."""
    found: list[Rule] = []
    for metric, names in _NAMES.items():
        said = "|".join(n for n in names if not (bare and n in _NOT_BARE))
        found.append(rule(I.METRIC, pattern.replace("{w}", said), loose=loose, metric=metric))
    return found


def _measuring(*patterns: str, intent: I = I.METRIC, confidence: float = 0.97, **options: Any) -> list[Rule]:
    """Rules with a {metric} slot: a text without any metric's name is passed over as cheaply as one without
    a rule's literal word."""
    return [
        replace(r, needs=(*r.needs, METRIC_STARTS)) for r in rules(intent, *patterns, confidence=confidence, **options)
    ]


_BUSY = "busiest|most loaded|hottest|most busy|hardest working|most stressed"
_RANKED = tuple(f"{lead}{top}" for lead in _LEADS for top in ("top [{count}] ", "{count} ", ""))
_HOW_BUSY = "how (busy|loaded|hot|stressed|overloaded|hard working) (is|are)"
_BUSY_QUESTIONS = (
    *(f"{lead}({_BUSY}) [{{count}}] [{{metric_kind}}] [{{metric_range}}]" for lead in _RANKED),
    f"(which|what) [{{count}}] {{metric_kind}} (is|are) [the] ({_BUSY}) [{{metric_range}}]",
    f"{_HOW_BUSY} {{metric_scope}} [running|looking|getting|doing]",
    f"{_HOW_BUSY} {{target}} [running|looking|getting|doing] [{{metric_tail}}]",
)
# "slowest instances in prod": a top list by p99 latency.
_SLOW = "slowest|laggiest|most latent"
_SLOW_QUESTIONS = (
    *(f"{lead}({_SLOW}) [{{count}}] [{{metric_kind}}] [{{metric_range}}]" for lead in _RANKED),
    f"(which|what) [{{count}}] {{metric_kind}} (is|are) [the] ({_SLOW}) [{{metric_range}}]",
)
_BUSY_WORDS = "busy|overloaded|loaded|maxed out|pegged|running hot|struggling"
_BUSY_NAMED = (
    f"(is|are) {{metric_scope}} ({_BUSY_WORDS})",
    f"(is|are) {{target}} ({_BUSY_WORDS}) [{{metric_tail}}]",
)
# "graph web-prod", "metrics of web-prod": no metric named, so the one every chart starts with.
_ANY_METRIC = (
    "(graph|chart|plot|graphs|charts|metrics) (of|for|on) {metric_scope}",
    "(graph|chart|plot|graphs|charts|metrics) (of|for|on) {target} [{metric_tail}]",
    "(graph|chart|plot) {target} [{metric_tail}]",
    "(show|get|give|pull up) [me] [the|a] (graph|chart|plot|graphs|charts|metrics) (of|for|on) {target}"
    " [{metric_tail}]",
)
# Alone, "latency" and "p99" ask about the bot's own (perf); "load" is the start of "load balancer".
_ALONE = "|".join(n for m in _ORDER for n in _NAMES[m] if n not in ("latency", "p99", "p50", "load"))

METRICS: list[Rule] = [
    *_measuring(*_WATCHES, intent=I.WATCH),
    rule(I.WATCH, f"{_WATCH} {{target}} [{{watch_length}}]", 0.9, loose=True, metric="cpu"),
    *_measuring(*_QUESTIONS),
    *_measuring(*_TOP_LISTS),
    *_measuring(*_COMPARE_DEFAULT, compare="last_week"),
    *rules(I.METRIC, *_BUSY_QUESTIONS, metric="cpu"),
    *rules(I.METRIC, *_SLOW_QUESTIONS, metric="latency_p99"),
    *(r for pattern in _METRIC_FIRST for r in _per_metric(pattern)),
    *_per_metric(_BARE, loose=True, bare=True),
    *_measuring(_ASK_NAME_FIRST, loose=True),
    *rules(I.METRIC, *_ANY_METRIC, confidence=0.9, metric="cpu"),
    *rules(I.METRIC, *_BUSY_NAMED, confidence=0.9, loose=True, metric="cpu"),
    # A metric's name alone ("cpu", "errors?") asks how to ask: the metrics help, with its examples.
    # Strict: never guessed with words skipped ("memory dropped" is a remark, not a question).
    rule(I.HELP, f"({_ALONE}) {_MEASURE}", 0.9, strict=True, topic="metrics"),
    rule(I.HELP, "(metrics|metric|graph|graphs|chart|charts|plot)", 0.9, strict=True, topic="metrics"),
    rule(I.HELP, "(watch|watches|monitor|watching)", 0.9, strict=True, topic="watch"),
]
METRICS_SLOT_FIRST: list[Rule] = _measuring(*_NAME_FIRST, confidence=0.9, loose=True)
