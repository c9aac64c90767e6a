"""Patterns of the questions about spend: costs so far, rankings by spend, bills and budgets, and forecasts.
Part of the ordered table in `intents.grammar`."""

from __future__ import annotations

from core.models import IntentName as I
from intents import vocab
from intents.patterns import rule, rules

_GROUPS = tuple(
    (key, "|".join(sorted(w for w, k in vocab.GROUP_BY.items() if k == key)))
    for key in sorted(set(vocab.GROUP_BY.values()))
)
# "which region costs the most": one rule per ranking and grouping, {words} the grouping's words.
_RANKINGS = (
    "(what is|which is) the (most expensive|priciest|costliest) ({words}) [{{cost}}]",
    "(which|what) ({words}) is the (most expensive|priciest|costliest) [{{cost}}]",
    "(which|what) ({words}) (costs|cost|spends|spend|is costing) [us] [the] most [{{cost}}]",
    "(rank|sort|order|compare) [the|our] ({words}) by <cost> [{{cost}}]",
)
_PERIOD_COST = "(show|get|what is|what are|what was|what were|give) [me] [the|our] [total|current|monthly] <cost>"
_SPEND = "cost|costs|spend|spending|bill|billing|charges|expenses|the bill|our bill|aws bill|cloud bill|cloud costs"
_JUMPED = (
    "jump|jumped|spike|spiked|go up|gone up|went up|increase|increased|rise|risen|rose|double|doubled|triple|tripled"
    "|explode|exploded|surge|surged|climb|climbed|balloon|ballooned|shoot up|shot up|up|so high|high|higher|so much"
    " higher|going up|spiking|jumping|increasing|rising|change|changed|move|moved|drop|dropped|go down|went down"
)
_WHAT_JUMP = "jump|spike|increase|rise|surge|change|anomaly|anomalies|drop|bump"
# Why spend moved on a day: before the reports, whose <cost> would read "cost jump" as far as it could.
COST_WHY = rules(
    I.COST_WHY,
    f"why (did|has|have|was|were|is|are) [the|our] [{{cost_day}}] ({_SPEND}) [{{cost_day}}] ({_JUMPED}) [so much]"
    " [{cost_day}]",
    "why (is|are|was|were) [the|our] {cost_day} [<cost>] (so|this|that|that much|this much|more) (expensive|high|"
    "pricey|costly|much) [{cost_day}]",
    "why (is|are|was|were) {target} (so|this|that) (expensive|pricey|costly) [{cost_tail}]",
    "why (is|are|was|were|did|does) [the|our] {cost_day} (cost|costing|spend|spending|spent) so much [more]"
    " [{cost_day}]",
    "why (is|are|was|were|did|does) (it|everything|things|we) (cost|costing|spend|spending|spent) so much [more]"
    " [{cost_day}]",
    "why (did|do|are|have) we (spend|spent|spending|pay|paid|paying) so much [more] [{cost_day}]",
    f"what (happened|changed|went wrong|is going on|was going on) (to|with|in|on) [the|our] ({_SPEND}) [{{cost_day}}]",
    f"what (caused|drove|is behind|was behind|explains|is driving|drove up|pushed up) [the|our|this|that] [{_SPEND}]"
    f" [{_WHAT_JUMP}] [in] [{_SPEND}] [{{cost_day}}]",
    f"(explain|investigate|break down) [the|our|this|that] [{{cost_day}}] [{_SPEND}] ({_WHAT_JUMP}) [{{cost_day}}]",
    f"(<cost>|cost|spend) ({_WHAT_JUMP}) [{{cost_day}}]",
    f"(any|were there any|was there a|was there any) [{_SPEND}] (spike|spikes|jump|jumps|anomaly|anomalies)"
    " [{cost_day}]",
)
_EXPORTED = (
    "<cost>|cost data|cost report|billing data|billing report|billing export|cost export|csv|spreadsheet|cost csv"
    "|costs csv|billing csv|spend data|spend report|cost breakdown|export"
)
COST_EXPORT = [
    *rules(
        I.COST_EXPORT,
        f"(export|download|dump|extract) [me] [the|our|a|an] [{{cost_export}}] ({_EXPORTED}) [{{cost_export}}]",
        "(send|give|get|email|mail) [me|us] [the|a|an] [{cost_export}] [<cost>] (csv|spreadsheet|export|csv"
        " file|cost export|excel|gz file) [{cost_export}]",
        "(send|give|get|email|mail) [me|us] [the|a|an] (csv|spreadsheet|export|csv file|excel) (of|for|with)"
        " [the|our] <cost> [{cost_export}]",
        "(send|give|get) [me|us] [the|our] <cost> (as|in) [a|an] (csv|spreadsheet|excel|file) [{cost_export}]",
        "(csv|spreadsheet|excel) (of|for|with) [the|our] <cost> [{cost_export}]",
        "<cost> (csv|export|spreadsheet|as csv|as a csv|to csv|in csv|as a file|download) [{cost_export}]",
        "can i (get|have|download|export) [the|our] <cost> (as|in) [a|an] (csv|spreadsheet|excel|file) [{cost_export}]",
    ),
    rule(I.COST_EXPORT, "(export|download) [the|our] {cost_export}", 0.9),
]
_TOP = "(top|biggest|largest|highest|most expensive|priciest|costliest)"
_SPENDERS = "(spenders|spender|costs|cost drivers|cost centers|cost centres|line items|resources|items|things)"
# "top 10 spenders": the resources that cost most (by something else when said: "... by team").
TOP_SPENDERS = [
    *rules(
        I.COST,
        f"[show|list|give|get|what are|who are|which are] [me] [the|our] {_TOP} [{{count}}] {_SPENDERS}"
        " {cost_grouped}",
        f"[show|list|give|get|what are|who are|which are] [me] [the|our] {{count}} {_TOP} {_SPENDERS} {{cost_grouped}}",
    ),
    *rules(
        I.COST,
        f"[show|list|give|get|what are|who are|which are] [me] [the|our] {_TOP} [{{count}}] {_SPENDERS} [{{cost}}]",
        f"[show|list|give|get|what are|who are|which are] [me] [the|our] {{count}} {_TOP} {_SPENDERS} [{{cost}}]",
        group_by="resource",
    ),
]
# "compare with last month", "cost vs last month", "how does this month compare to last month".
_LAST_MONTH = "(last month|the previous month|previous month|the month before|last months)"
COMPARED = rules(
    I.COST,
    f"compare [the|our] [<cost>] [{{cost}}] (with|to|against|vs|versus) [the|our] [<cost>] [of|for] {_LAST_MONTH}"
    " [{cost}]",
    f"compare [the|our] [<cost>] (this month|month to date) (with|to|against|vs|versus) {_LAST_MONTH} [{{cost}}]",
    f"how (does|is|do|are) [the|our] [<cost>] [this month] (compare|comparing|looking|stack up) (with|to|against|vs"
    f"|versus) {_LAST_MONTH} [{{cost}}]",
    f"(is|are) [the|our] <cost> (up|down|higher|lower) (on|from|than|vs|versus|compared to) {_LAST_MONTH} [{{cost}}]",
    "(month over month|month on month|mom) [<cost>] [{cost}]",
    compare="last_month",
)
COST = [
    *COST_WHY,
    *COST_EXPORT,
    *TOP_SPENDERS,
    *COMPARED,
    *rules(
        I.FORECAST,
        "[<cost>] (forecast|forecasts|projection|projections|prediction|estimate|outlook) [{cost}]",
        "(projected|predicted|expected|estimated|forecasted|forecast|future) <cost> [{cost}]",
        "(forecast|project|predict) [the|our] [<cost>] [{cost}]",
        "(what|how much) will (we|it|everything|our bill) (spend|cost|be|pay) [{cost}]",
        "are we (over|within|under|on|in) [the|our] <cost> [yet|already|so far] [{cost}]",
    ),
    rule(I.FORECAST, "(end of month|eom|month end) [<cost>|forecast|estimate|projection]", period="this_month"),
    rule(I.FORECAST, "<cost> [for|of] next month", period="next_month"),
    rule(
        I.FORECAST,
        "(are|is|will) (we|it) [going to|gonna|about to|on track to|likely to] (blow|exceed|go over|bust|overrun|"
        "overshoot|break) [the|our] <cost> [{cost}]",
    ),
    rule(
        I.FORECAST,
        "how much will [the|our] <cost> be (at the end of the month|at the end of this month|by the end of the month|"
        "at month end|by month end|by end of month|at end of month)",
        period="this_month",
    ),
    *rules(
        I.FORECAST,
        "how much will [the|our] <cost> be [{cost}]",
        "(what|how much) will {cost} (spend|cost|charge|be) [us] [{cost}]",
        "what will [the|our] <cost> (look like|be) [{cost}]",
    ),
    *rules(
        I.FORECAST,
        (
            "what will [the|our] <cost> (look like|be) (at the end of the month|at the end of this month|at month end|"
            "by the end of the month|by month end|at end of month)"
        ),
        (
            "what is [the|our] (end of month|eom|month end|end of the month) [<cost>] "
            "(projection|forecast|estimate|number)"
        ),
        period="this_month",
    ),
    *rules(
        I.FORECAST,
        "what is [the|our] [<cost>] (forecast|projection|prediction|estimate|outlook) [{cost}]",
        "how much (are we going to|are we gonna|will we|do we expect to) (spend|pay|burn|be charged) [{cost}]",
        "how (are we|is spend|is the spend|is our spend) tracking (against|vs|versus|to|on) [the|our] <cost>",
        "(will|are) we (go|going|be) over [the|our] [<cost>] [{cost}]",
        "(are|will) we (on track|on course|on target|going to make it|gonna make it) [{cost}]",
        "(are|will) we (on track|on course|on target|ok|okay|fine) (with|for|on) [the|our] <cost> [{cost}]",
        "(will|are) we (going to|gonna|about to|likely to) (go over|overspend|exceed|overshoot) [the|our] [<cost>]"
        " [{cost}]",
        "(will|are) we (overspend|overspending|overshoot|overshooting) [the|our] [<cost>] [{cost}]",
        "where will [the|our] <cost> (land|end up) [{cost}]",
    ),
    rule(
        I.FORECAST,
        "how much will (we|it) (spend|cost|be) by (the end of the month|end of month|month end)",
        period="this_month",
    ),
    rule(
        I.FORECAST,
        "(what is|show|give me) [me] [the|our] (projected|predicted|expected|estimated) [{cost}] <cost> [{cost}]",
    ),
    *rules(
        I.COST,
        "<cost> [{cost}]",
        "<cost> (of|for|on) {target} [{cost_tail}]",
        "what (did|does|do) {target} cost [us|me] [{cost_tail}]",
        f"{_PERIOD_COST} [{{cost}}]",
        f"{_PERIOD_COST} (of|for) {{target}} [{{cost_tail}}]",
        (
            "how much (are|have|did|do|is|was) (we|it|things|everything) [been] "
            "(spending|spend|spent|paying|pay|paid|costing|cost|burning|burn|burned|burnt) [{cost}]"
        ),
        "how much (does|did|is|do) {target} (cost|costing|costs) [us|me] [{cost_tail}]",
        "what (did|do|are|have) (we|i) (spend|spent|spending|paying|paid|pay) [{cost}]",
        "how much (did|has|have|does|do) {cost} (charge|charged|bill|billed|cost|costed) [us|me] [{cost}]",
        "how much of [the|our] <cost> (have|did|has) (we|it) (used|use|spent|spend|burned|burnt|burn) [{cost}]",
    ),
    rule(I.COST, "what (costs|spends|is costing us|costs us|is costing) [us] the most [{cost}]", group_by="service"),
    *rules(
        I.COST,
        "how (expensive|pricey|costly) (is|are) {cost}",
        "what is {target} (costing|costing us|cost us|costing me) [{cost_tail}]",
        "how much (money|cash) (did|do|have|are) (we|i) (spend|spent|spending|burn|burned|burnt|burning) [{cost}]",
    ),
    *(rule(I.COST, ranking.format(words=words), group_by=key) for ranking in _RANKINGS for key, words in _GROUPS),
]
