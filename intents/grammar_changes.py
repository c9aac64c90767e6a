"""Patterns of the commands that change infrastructure, and the few rules that start with a slot.
Part of the ordered table in `intents.grammar`."""

from __future__ import annotations

from core.models import IntentName as I
from intents.patterns import rule

_SIZE = "size|capacity|count|instances|instance count|replicas|nodes|node count|desired capacity|desired count"

SCALE = [
    rule(
        I.SCALE,
        f"(scale|resize|size|set|make|bump|change|adjust|update) {{target}} [desired] [{_SIZE}] to {{count}} [<units>]",
    ),
    rule(I.SCALE, "(scale|resize|size|bump) {target} {count} [<units>]"),
    rule(
        I.SCALE,
        f"(set|change|update|adjust|make) [the] [desired] ({_SIZE}|number of instances) (of|for|on|in) "
        "{target} to {count} [<units>]",
    ),
    rule(I.SCALE, "scale (up|out) {target} [by] {more} [<units>]"),
    rule(I.SCALE, "scale {target} (up|out) by {more} [<units>]"),
    rule(I.SCALE, "scale (down|in) {target} [by] {fewer} [<units>]"),
    rule(I.SCALE, "scale {target} (down|in) by {fewer} [<units>]"),
    rule(I.SCALE, "scale (up|down|out|in) {target} to {count} [<units>]"),
    rule(I.SCALE, "scale {target} (up|down|out|in) to {count} [<units>]"),
    rule(I.SCALE, "scale {target} by {more} [<units>]", 0.9),
    rule(I.SCALE, "(scale|resize) {target} [by] {signed} [<units>]"),
    rule(
        I.SCALE, "(add|launch|spin up|deploy|provision|create) {more} [<extra>] [<units>] (to|on|for|in|into) {target}"
    ),
    rule(
        I.SCALE,
        "(add|launch|spin up|deploy|provision|create) (a|an|another) [<extra>] <units> (to|on|for|in|into) {target}",
        delta=1,
    ),
    rule(
        I.SCALE,
        "(remove|drop|kill|terminate|take away|take|delete|destroy|cut|stop) {fewer} [<extra>] [<units>] "
        "(from|off|of|in) {target}",
    ),
    rule(
        I.SCALE,
        "(remove|drop|kill|terminate|take away|take|delete|destroy|stop) (a|an) <units> (from|off|of|in) {target}",
        delta=-1,
    ),
    rule(I.SCALE, "(increase|grow|raise|bump|expand|up) {target} [<size>] by {more} [<units>]"),
    rule(I.SCALE, "(increase|grow|raise|bump|expand) {target} [<size>] to {count} [<units>]"),
    rule(I.SCALE, "(decrease|shrink|reduce|lower|cut|trim) {target} [<size>] by {fewer} [<units>]"),
    rule(I.SCALE, "(decrease|shrink|reduce|lower|cut|trim) {target} [<size>] to {count} [<units>]"),
    rule(I.SCALE, "give {target} {more} [<extra>] [<units>]"),
    rule(I.SCALE, "(scale|resize) [up|down|out|in] [{target}]"),
    rule(I.SCALE, "(scale|resize) {target} (up|down|out|in)"),
]

EMERGENCY = [
    rule(I.SHUTDOWN, "emergency (shutdown|shut down|stop|kill|power off) [of] {target}"),
    rule(I.EMERGENCY_SCALE, "emergency [scale|scaling|scaleup|upscale] [up|out] [for|on|of] [{target}]"),
    rule(
        I.EMERGENCY_SCALE,
        "emergency [scale|scaling|scaleup|upscale] [up|out] [for|on|of] {target} to {count} [<units>]",
    ),
    rule(I.EMERGENCY_SCALE, "(panic|surge|burst) [scale|scaling] [up|out] [{target}]"),
    rule(I.EMERGENCY_SCALE, "(panic|surge|burst) [scale|scaling] [up|out] {target} to {count} [<units>]"),
    rule(I.EMERGENCY_SCALE, "scale {target} (up|out) (urgently|in an emergency|emergency|fast)", 0.9),
]

SHUTDOWN = [
    rule(
        I.SHUTDOWN,
        "(shutdown|shut down|shut off|take down|power down|bring down|kill) {target} "
        "[completely|entirely|everything|all|hard]",
    ),
    rule(I.SHUTDOWN, "(shut|take|bring) {target} (down|off)"),
    rule(I.SHUTDOWN, "(shutdown|shut down)"),
]

POWER = [
    rule(I.RESTART, "(restart|reboot|bounce|recycle|kick|cycle|power cycle|hard reboot|soft reboot) [{target}]"),
    rule(I.STOP, "(stop|halt|pause|suspend|deallocate|disable|spin down) {target}"),
    rule(I.STOP, "(turn|switch|power) off {target}"),
    rule(I.STOP, "(turn|switch|power|spin) {target} (off|down)"),
    rule(I.START, "(start|boot|resume|unpause|enable) [up] [{target}]"),
    rule(I.START, "(turn|switch|power) on {target}"),
    rule(I.START, "(spin|bring|fire|power|boot) up {target}"),
    rule(I.START, "(turn|switch|power|spin|bring|fire|start) {target} (on|up)"),
    rule(I.START, "bring {target} (back|back up|online|back online)"),
]

_FAIL_OVER = "failover|fail over|switchover|switch over|cut over|cutover"
_MOVE = "switch|move|shift|send|route|redirect|flip"
FAILOVER = [
    rule(I.FAILOVER, f"({_FAIL_OVER}) [all] [the] [traffic] (to|into|onto) {{destination}}"),
    rule(I.FAILOVER, f"({_FAIL_OVER}) [of|for] {{target}} (to|into|onto) {{destination}}"),
    rule(I.FAILOVER, f"({_FAIL_OVER}) [of|for] [{{target}}]"),
    rule(I.FAILOVER, "fail {target} over [to|into|onto] [{destination}]"),
    rule(I.FAILOVER, f"({_MOVE}) [all] [the] [traffic] (to|into|onto|over to) {{destination}}"),
    rule(I.FAILOVER, f"({_MOVE}) [all] [the] traffic (from|for|of) {{target}} (to|into|onto|over to) {{destination}}"),
    rule(I.FAILOVER, "(switch|move|flip) {target} (to|over to) {destination}", 0.9),
    rule(
        I.FAILOVER,
        "(initiate|start|trigger|begin|do|run) [a|the] (failover|fail over|dr failover) [of|for] "
        "{target} to {destination}",
    ),
    rule(
        I.FAILOVER, "(initiate|start|trigger|begin|do|run) [a|the] (failover|fail over|dr failover) [of|for] [{target}]"
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
    rule(I.SHOW, "{name}", 0.7),
]
