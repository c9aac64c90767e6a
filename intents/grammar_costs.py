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
COST = [
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
        "(will|are) we (go|going|be) over [the|our] <cost> [{cost}]",
        "are we on track (with|for) [the|our] <cost> [{cost}]",
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
    *rules(
        I.COST,
        "what (costs|spends|is costing us|costs us|is costing) [us] the most [{cost}]",
        "[what are] [the|our] (top|biggest) (spenders|costs|spend|cost drivers) [{cost}]",
        group_by="service",
    ),
    *rules(
        I.COST,
        "how (expensive|pricey|costly) (is|are) {cost}",
        "what is {target} (costing|costing us|cost us|costing me) [{cost_tail}]",
        "how much (money|cash) (did|do|have|are) (we|i) (spend|spent|spending|burn|burned|burnt|burning) [{cost}]",
    ),
    *(rule(I.COST, ranking.format(words=words), group_by=key) for ranking in _RANKINGS for key, words in _GROUPS),
]
