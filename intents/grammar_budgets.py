"""Patterns of budgets ("budgets", "budget for prod", "set budget prod to $20k a month") and of what to cut
("what can we cut", "idle instances", "what can we turn off in staging"). Part of the ordered table in
`intents.grammar`: before the cost reports, whose <cost> words include "budget", and before the changes, so "what
can we turn off" asks for savings and turns nothing off.

Setting a budget changes opsbot's own config (the conversation confirms it first). Its rules are strict: never
matched with a word skipped or a first word corrected, so "sett budget prod to 20k" or "set budget prod to 20k
euros" are not understood rather than guessed, and "budget" alone is never one."""

from __future__ import annotations

from core.models import IntentName as I
from intents.patterns import rule, rules

_SET = "(set|change|update|make|put|raise|lower|increase|decrease|reduce|bump|adjust|cut|move)"
_BUDGET = "[monthly|month|total|overall|spending|spend|cost] (budget|budget limit|budget cap|spending limit|cap)"
_TO = "(to|at|=)"
_IS = "(is|=|should be|will be|is now|becomes|of)"

SET_BUDGET = [
    *rules(
        I.SET_BUDGET,
        f"{_SET} [the|our|a] {_BUDGET} (for|of|on) {{budget_scope}} {_TO} {{amount}}",
        f"{_SET} [the|our|a] {_BUDGET} {{budget_scope}} {_TO} {{amount}}",
        f"{_SET} [the|our] {{budget_scope}} {_BUDGET} {_TO} {{amount}}",
        f"{_SET} [the|our|a] {_BUDGET} {_TO} {{amount}} (for|on|of) {{budget_scope}}",
        "set [a|an|the] {amount} [monthly] budget (for|on) {budget_scope}",
        f"[the|our] {_BUDGET} (for|of) {{budget_scope}} {_IS} {{amount}}",
        f"[the|our] {{budget_scope}} {_BUDGET} (should be|will be|is now|becomes|=) {{amount}}",
        strict=True,
    ),
    *rules(
        I.SET_BUDGET,
        f"{_SET} [the|our|a] {_BUDGET} {_TO} {{amount}}",
        "set [a|an|the] {amount} [monthly] budget",
        f"[the|our] {_BUDGET} (should be|will be|is now|becomes) {{amount}}",
        strict=True,
        budget_scope="all",
    ),
]

_SHOW = "(show|list|get|check|view|display|give|what is|what are|whats|how is|how are|where is|where are) [me]"
BUDGET = [
    *rules(
        I.BUDGET,
        "[the|our|my|all] [monthly] (budget|budgets) [status|report|check|overview|summary|update|list]",
        f"{_SHOW} [the|our|all|all the] [monthly] (budget|budgets) [status|report|overview|summary]",
        f"{_SHOW} [the|our] [monthly] (budget|budgets) (for|of|on) {{budget_scope}}",
        f"{_SHOW} [the|our] {{budget_scope}} [monthly] (budget|budgets)",
        "[the|our] [monthly] (budget|budgets) [for|of|on] {budget_scope}",
        "how (are|is) (we|it|everyone|everything|spend|spending|the spend) (doing|looking) (against|vs|versus|on|"
        "with|relative to) [the|our] (budget|budgets)",
        "how (are|is) [the|our] (budget|budgets) (doing|looking)",
        "(where|how) do we stand (on|with|against) [the|our] (budget|budgets)",
        "how much [of] [the|our] (budget|budgets) (is|do we have) (left|remaining)",
        "how much (is|do we have) left (in|of|on) [the|our] (budget|budgets)",
        "(remaining|left) [in] [the|our] (budget|budgets)",
        "(which|what|any) (budgets|budget) (are|is) (over|at risk|close|near|blown|exceeded)",
        "(is|are) (anyone|any team|anything|any budget|any of the budgets) (over|close to|near) [the|its|their]"
        " [budget|budgets]",
    ),
    rule(I.BUDGET, "{budget_scope} [monthly] (budget|budgets) [status]", 0.9),
]

_IDLE = "idle|unused|underused|underutilised|underutilized|zombie|oversized|overprovisioned|over provisioned|wasteful"
_MACHINES = "instances|instance|resources|vms|machines|servers|boxes|nodes|hosts|databases|dbs|stuff|things"
_CUT = (
    "cut|turn off|shut down|shut off|switch off|stop|trim|get rid of|kill|downsize|rightsize|right size|save on"
    "|delete|remove|scale down|drop|clean up|tidy up|save"
)
_SAVE = "save|cut|reduce|lower|trim|shrink|bring down|optimise|optimize|slash"
_MONEY = "money|costs|cost|spend|spending|the bill|our bill|the costs|our costs|our spend|the spend|cash|dollars"
SAVINGS = rules(
    I.SAVINGS,
    "[cost] (savings|saving|recommendations|savings opportunities|saving opportunities|rightsizing|right sizing)"
    " [recommendations|opportunities|ideas] [{scope}]",
    "(show|get|find|list|any|give) [me] [the|some|any|our] [cost] (savings|saving|recommendations|savings "
    "opportunities|saving opportunities|rightsizing|right sizing|cost cuts|ways to save) [recommendations|"
    "opportunities|ideas] [{scope}]",
    f"what (can|could|should) (we|i) ({_CUT}) [{{scope}}] [to save money|to save|to cut costs] [{{scope}}]",
    f"(how|where) (can|could|do|should|might) (we|i) ({_SAVE}) [some] [{_MONEY}] [{{scope}}]",
    f"(ways|how) to ({_SAVE}) [some] [{_MONEY}] [{{scope}}]",
    f"({_SAVE}) [the|our] ({_MONEY}) [{{scope}}]",
    f"where (are|is) (we|the money|money) (wasting|being wasted|wasted|leaking) [{_MONEY}] [{{scope}}]",
    f"(what|who) is wasting [{_MONEY}] [{{scope}}]",
    f"(are|is) (we|there|anything|anyone) wasting [{_MONEY}] [{{scope}}]",
    f"[show|list|find|any|what are] [me] [the|our] ({_IDLE}) ({_MACHINES}) [{{scope}}]",
    "what is (idle|unused|sitting idle|doing nothing|wasted) [{scope}]",
    f"(anything|what) (can|could) (be|we) ({_CUT}) [{{scope}}]",
)
# Every rule of this module, in the order of the table: budgets set before shown, savings last.
BUDGETS = [*SET_BUDGET, *BUDGET, *SAVINGS]
