"""Patterns of the commands that change infrastructure, and the few rules that start with a slot.
Part of the ordered table in `intents.grammar`."""

from __future__ import annotations

from core.models import IntentName as I
from intents.patterns import Rule, rule, rules

# "scale web-prod to 20 and raise the max": a group's own limit moved with the scale, only when said in so many
# words. The request then sets the limit to the size asked for, never more (conversation.changes).
_SCALE_TO = [
    "(scale|resize|size|set|bump|take|bring|put|get|push|move|drop) {target} [desired] [<size>] "
    "[up|down|out|in|back|back up|back down] to {count} [<units>]",
    "scale (up|down|out|in) {target} to {count} [<units>]",
]
_ALSO = "[and|then|plus|also|while]"
_TOO = "[too|also|as well|as needed|if needed|if you have to|if it has to]"
_MOVES = {
    "max": (
        "raise|raising|increase|increasing|lift|lifting|bump|bumping|up|upping|extend|extending|move|moving",
        "max|maximum|max size|maximum size|max capacity|maximum capacity|upper limit|upper bound|ceiling|cap|limit",
        "new|higher|raised|bigger|larger",
    ),
    "min": (
        "lower|lowering|reduce|reducing|decrease|decreasing|drop|dropping|cut|cutting|move|moving",
        "min|minimum|min size|minimum size|min capacity|minimum capacity|lower limit|lower bound|floor|limit",
        "new|lower|lowered|smaller",
    ),
}


def _with_limit(limit: str) -> list[Rule]:
    move, name, new = _MOVES[limit]
    tails = (
        f"{_ALSO} ({move}) [the|its] [group|asg|group's|asg's] ({name}) [size|capacity|count] {_TOO}",
        f"{_ALSO} ({move}) [the|its] [group|asg|group's|asg's] ({name}) [size|capacity|count] "
        f"to {{limit_count}} [<units>] {_TOO}",
        f"(with|and) [a|the] ({new}) ({name})",
        f"(with|and) [a|the] [{new}] ({name}) [of|at] {{limit_count}} [<units>]",
    )
    leads = (
        f"({move}) [the] ({name}) (of|for|on) {{target}} and (scale|resize|take|bring) [it] [up|down] to {{count}} "
        "[<units>]",
        f"({move}) [the] ({name}) (of|for|on) {{target}} to {{limit_count}} [<units>] and (scale|resize|take|bring) "
        "[it] [up|down] to {count} [<units>]",
        f"({move}) [the] ({name}) and (scale|resize|take|bring) {{target}} [up|down] to {{count}} [<units>]",
    )
    said = [f"{scale} {tail}" for scale in _SCALE_TO for tail in tails]
    return [rule(I.SCALE, pattern, limit=limit) for pattern in (*said, *leads)]


SCALE = [
    *_with_limit("max"),
    *_with_limit("min"),
    *rules(
        I.SCALE,
        "(scale|resize|size|set|make|bump|change|adjust|update) {target} [desired] [<size>] to {count} [<units>]",
        "(scale|resize|size|bump) {target} {count} [<units>]",
        (
            "(set|change|update|adjust|make) [the] [desired] (<size>|number of instances) (of|for|on|in) "
            "{target} to {count} [<units>]"
        ),
        "scale (up|out) {target} [by] {more} [<units>]",
        "scale {target} (up|out) by {more} [<units>]",
        "scale (down|in) {target} [by] {fewer} [<units>]",
        "scale {target} (down|in) by {fewer} [<units>]",
        "scale (up|down|out|in) {target} to {count} [<units>]",
        "scale {target} (up|down|out|in) to {count} [<units>]",
    ),
    rule(I.SCALE, "scale {target} by {more} [<units>]", 0.9),
    *rules(
        I.SCALE,
        "(scale|resize) {target} [by] {signed} [<units>]",
        (
            "(add|launch|spin up|fire up|deploy|provision|create|throw|get|put) [another|an extra] {more} [<extra>] "
            "[<units>] (to|on|for|in|into|at|onto) {target}"
        ),
        "(spin up|add|launch|fire up) {more} <extra> [<units>] [of|for] {target}",
        "[we|i] need {more} <extra> [<units>] (on|for|in|at|to) {target}",
        "(make|put|get|have) {target} (at|to|up to) {count} [<units>]",
        (
            "(take|bring|put|get|scale|bump|push|move|drop) {target} (down to|up to|back to|back down to|back up to) "
            "{count} [<units>]"
        ),
        "take {fewer} [<extra>] [<units>] away from {target}",
        "(downsize|upsize|rightsize) {target} to {count} [<units>]",
        (
            "(increase|grow|raise|bump|expand|decrease|shrink|reduce|lower|cut|trim|set|change) [the] <size> "
            "(of|for|on) {target} to {count} [<units>]"
        ),
        "make {target} {count} <units>",
        "[we|i] need {target} (at|to|up to) {count} [<units>]",
        "[we|i] (need|want|have|run|get) {count} {target} <units>",
    ),
    rule(
        I.SCALE,
        "(add|launch|spin up|deploy|provision|create) (a|an|another) [<extra>] <units> (to|on|for|in|into) {target}",
        delta=1,
    ),
    rule(
        I.SCALE,
        "(remove|drop|kill|terminate|take away|take|delete|destroy|cut|stop|trim|shave) {fewer} [<extra>] [<units>] "
        "(from|off|of|in) {target}",
    ),
    rule(
        I.SCALE,
        "(remove|drop|kill|terminate|take away|take|delete|destroy|stop) (a|an) <units> (from|off|of|in) {target}",
        delta=-1,
    ),
    *rules(
        I.SCALE,
        "(increase|grow|raise|bump|expand|up) [up] {target} [up] [<size>] by {more} [<units>]",
        "(increase|grow|raise|bump|expand|up) {target} [<size>] to {count} [<units>]",
        "(decrease|shrink|reduce|lower|cut|trim|drop) [down] {target} [down] [<size>] by {fewer} [<units>]",
        "(decrease|shrink|reduce|lower|cut|trim|drop) [down] {target} [down] [<size>] to {count} [<units>]",
        "(scale|bring|take|set) back {target} to {count} [<units>]",
        "give {target} {more} [<extra>] [<units>]",
        "(scale|resize) [up|down|out|in] [{target}]",
        "(scale|resize) {target} (up|down|out|in)",
    ),
]

EMERGENCY = [
    rule(I.SHUTDOWN, "emergency (shutdown|shut down|stop|kill|power off) [of] {target}"),
    *rules(
        I.EMERGENCY_SCALE,
        "emergency [scale|scaling|scaleup|upscale|capacity] [up|out] [for|on|of|to] [{target}]",
        (
            "(get|add|throw|put) (as much|all the|max|maximum) capacity [as you can|as possible|as we can|you can] "
            "(onto|on|to|for|into|at) {target}"
        ),
        "max out {target}",
        "scale {target} [up|out] to [the] (max|maximum|limit)",
        "(max|maximum|all the) [out] [the] capacity (on|for|of|to) {target}",
        "scale {target} [up|out] as (much|far|high) as (you can|possible|we can|it goes)",
        "max {target} out",
        "[we|i] need [way|much|a lot|lots|tons of|loads] more capacity (on|for|in|at|to) {target}",
        "[we|i] need emergency capacity (on|for|in|at|to) {target}",
        "emergency [scale|scaling|scaleup|upscale] [up|out] [for|on|of] {target} to {count} [<units>]",
        "(panic|surge|burst) [scale|scaling] [up|out] [{target}]",
        "(panic|surge|burst) [scale|scaling] [up|out] {target} to {count} [<units>]",
    ),
    rule(I.EMERGENCY_SCALE, "scale {target} (up|out) (urgently|in an emergency|emergency|fast)", 0.9),
]

SHUTDOWN = rules(
    I.SHUTDOWN,
    (
        "(shutdown|shut down|shut off|take down|power down|bring down|kill) {target} "
        "[completely|entirely|everything|all|hard]"
    ),
    "(shut|take|bring) {target} (down|off)",
    "(shutdown|shut down)",
)

POWER = [
    *rules(
        I.RESTART,
        (
            "(restart|reboot|bounce|recycle|kick|cycle|power cycle|hard reboot|soft reboot|hard restart|soft restart) "
            "[{target}]"
        ),
        "(turn|switch|power) {target} off and [back] on [again]",
        (
            "(do|run|perform|trigger|give) [a|an] [quick|hard|soft|full|rolling] (restart|reboot|bounce) "
            "(of|on|for|to) {target}"
        ),
        "give {target} a [quick|hard|soft|full|rolling] (restart|reboot|bounce|kick)",
        "[i|we] need a [quick|hard|soft|full|rolling] (restart|reboot|bounce) (of|on|for) {target}",
        "(rolling|full|quick) (restart|reboot) (of|on|for) {target}",
        "(restart|reboot|bounce|recycle) all [of] [the] {target}",
    ),
    *rules(
        I.STOP,
        "(stop|halt|pause|suspend|deallocate|disable|spin down) {target}",
        "(turn|switch|power) off {target}",
        "(put|send) {target} to sleep",
        "(turn|switch|power|spin) {target} (off|down)",
    ),
    *rules(
        I.START,
        "(start|boot|resume|unpause|enable) [up] [{target}]",
        "(turn|switch|power) on {target}",
        "(spin|bring|fire|power|boot) up {target}",
        "(turn|switch|power|spin|bring|fire|start) {target} (on|up)",
        "(bring|start|spin|power|boot|fire) {target} (back|back up|online|back online)",
    ),
]

_FAIL_OVER = "failover|fail over|switchover|switch over|cut over|cutover"
_MOVE = "switch|move|shift|send|route|redirect|flip"
FAILOVER = [
    *rules(
        I.FAILOVER,
        f"({_FAIL_OVER}) [all] [the] [traffic] (to|into|onto) {{destination}}",
        f"({_FAIL_OVER}) [of|for] {{target}} (to|into|onto) {{destination}}",
        f"({_FAIL_OVER}) [of|for] [{{target}}]",
        "fail {target} over [to|into|onto] [{destination}]",
        f"({_MOVE}) [all] [the] [traffic] (to|into|onto|over to) {{destination}}",
        f"({_MOVE}) [all] [the] traffic (from|for|of) {{target}} (to|into|onto|over to) {{destination}}",
    ),
    *rules(
        I.FAILOVER,
        "(switch|move|flip) {target} (to|over to) {destination}",
        "(move|flip|switch|shift) {target} over",
        confidence=0.9,
    ),
    *rules(
        I.FAILOVER,
        "(activate|invoke|enable|trigger) (dr|disaster recovery) [for|of|on] [{target}]",
        "(go|move|switch|cut|fail) (to|over to) (dr|disaster recovery|the dr site|the dr region)",
        destination="dr",
    ),
    *rules(
        I.FAILOVER,
        (
            "(initiate|start|trigger|begin|do|run) [a|the] (failover|fail over|dr failover) [of|for] "
            "{target} to {destination}"
        ),
        "(initiate|start|trigger|begin|do|run) [a|the] (failover|fail over|dr failover) [of|for] [{target}]",
    ),
]

CHANGES = [*SCALE, *EMERGENCY, *SHUTDOWN, *FAILOVER, *POWER]

# Tried for every text, so kept few and last.
SLOT_FIRST = [
    rule(I.STATUS, "{scope} (status|health|state|overview|summary) [report|check]"),
    rule(I.COST, "{cost} <cost> [{cost}]"),
    rule(I.FORECAST, "{cost} [<cost>] (forecast|projection|outlook|estimate)"),
    rule(I.STATUS, "{target} (status|health|state)", 0.9, loose=True),
    rule(I.SHOW, "{target} (details|info)", 0.9, loose=True),
    rule(I.HELP, "{topic} (help|usage)", 0.9),
    rule(I.SEARCH, "{typed_search}", 0.85, loose=True),
    rule(I.SCALE, "{target} to {count} [<units>]", 0.8, loose=True),
    rule(
        I.SCALE,
        "{target} needs {more} <extra> [<units>] [can you add them|could you add them|add them]",
        0.9,
        loose=True,
    ),
    rule(I.EMERGENCY_SCALE, "{target} needs [emergency|more|way more|much more] capacity", 0.9, loose=True),
    *rules(
        I.RESTART,
        "{target} needs a [quick|hard|soft|full|rolling] (restart|reboot|bounce|kick)",
        "{target} needs (restarting|rebooting|bouncing|a kick)",
        confidence=0.9,
        loose=True,
    ),
    rule(I.SCALE, "{target} needs to (go|be) (to|at) {count} [<units>]", 0.9, loose=True),
    rule(I.COST, "{target} (cost|costs|spend|bill) [{cost_tail}]", 0.9, loose=True),
    rule(I.SHOW, "{name}", 0.7),
]
