"""The command language, as an ordered list of patterns (see `intents.patterns` for the notation).

Order is priority: the first rule that reads every word wins. Specific phrasings come before general ones
("show alerts" before "show {target}"), and rules that start with a slot come last, because they are tried
for every text."""

from __future__ import annotations

from core.models import IntentName as I
from intents.grammar_changes import CHANGES, SLOT_FIRST
from intents.grammar_costs import COST
from intents.patterns import Rule, Words, rule

_YES = "yes|y|yep|yup|yeah|ya|yea|confirm|confirmed|approve|approved|proceed|affirmative|correct|lgtm"
_NO = "cancel|no|n|nope|nah|abort|stop|halt|nevermind|never mind|nvm|forget it|negative|reject|deny|denied|decline"

CONVERSATION = [
    rule(I.CONFIRM, f"({_YES}) [do it|go ahead|please|proceed|go|sure|it|that|this|i am sure|confirm]", strict=True),
    rule(I.CONFIRM, "(ok|okay|k|sure|fine|yes please|sounds good)", 0.9, strict=True),
    rule(I.CONFIRM, f"({_YES}|ok|okay) [code|with] {{code}}", strict=True),
    rule(
        I.CONFIRM, "(go ahead|do it|go|go for it|ship it|execute|run it|make it so|send it) [please|now]", strict=True
    ),
    rule(I.CONFIRM, "{bare_code}", 0.85, strict=True),
    rule(I.CANCEL, f"({_NO}|do not|scratch|belay|hold off) [it|that|this|please|thanks|do it|it please|that please]"),
    rule(I.CANCEL, f"({_NO}) [code] {{code}}"),
    rule(I.CANCEL, "(do not|dont) (do|run|go ahead with) (it|that|this)"),
]

HELP = [
    rule(I.HELP, "(help|halp|commands|usage|menu|options|manual|h) [me|please|pls|us]"),
    rule(I.HELP, "(help|man) [me] {topic}"),
    rule(I.HELP, "what (can|do) (you|i) (do|say|ask|type|understand)"),
    rule(I.HELP, "what (are|is) (the|your) (commands|options)"),
    rule(I.HELP, "how (do|can|should|to) [i|you|we] {topic}", 0.9, loose=True),
    rule(I.HELP, "how does (this|it|opsbot) work"),
]

PERF = [
    rule(I.PERF, "(perf|performance|latency|latencies|speed|timings|timing|stats|p99|p50|ping)"),
    rule(I.PERF, "(your|bot|opsbot|show|get) [me] [your|the] (latency|performance|speed|stats|perf|timings)"),
    rule(I.PERF, "how (fast|quick|slow|responsive) are you [today]"),
    rule(I.PERF, "(are you|is the bot|is opsbot) (slow|fast|lagging|laggy)"),
]

ONCALL = [
    rule(I.ONCALL, "(oncall|on call|pager|rota|rotation) [schedule|rota|rotation|list|who|today|this week]"),
    rule(
        I.ONCALL,
        "(who|whom) is [currently|the] (oncall|on call|on duty|on pager|on the pager|primary|paged) "
        "[today|tonight|this week|next] [{scope}]",
    ),
    rule(I.ONCALL, "who (has|holds|is holding|is carrying) the pager [today|tonight]"),
    rule(I.ONCALL, "(show|get|list) [me] [the] (oncall|on call) [schedule|rota|rotation|list]"),
    rule(I.ONCALL, "who (do|should|can) i (call|page|escalate to|wake up)"),
    rule(I.ONCALL, "whose (turn|shift|watch) is it"),
]

# "I'll take tonight": who says it, what they take, and when. "i'll take it" stays an acknowledgement.
_I_WILL = "i|i will|i can|i shall|i am going to|i am gonna|ill|let me"
_TAKE = "take|take over|cover|grab|carry|hold|do|have"
_PAGER = "the pager|pager|oncall|on call|the oncall|the on call|the rota|the shift|the on call shift|the oncall shift"
_TONIGHT = (
    "tonight|tonights|tonight shift|tonights shift|overnight|the night|the night shift|this evening|"
    "until tomorrow|till tomorrow|til tomorrow|until tomorrow morning|till tomorrow morning|until the morning|"
    "until morning|till morning"
)
_TODAY = "today|todays|today shift|todays shift|the day|the day shift|the rest of the day|this afternoon|until tonight"
_WEEK = "this week|the week|this weeks|the rest of the week|the whole week|all week|until next week|for the week"
# From Saturday (or now) until Monday's handoff. Not "next weekend": said on a Saturday it means another one.
_WEEKEND = (
    "weekend|the weekend|this weekend|this weekends|the whole weekend|all weekend|over the weekend|saturday and sunday"
)
_PERIODS = ((_TONIGHT, "tonight"), (_TODAY, "today"), (_WEEK, "week"), (_WEEKEND, "weekend"))
TAKE_ONCALL = [
    *(
        rule(I.TAKE_ONCALL, f"({_I_WILL}) ({_TAKE}) [{_PAGER}] [for] ({when}) [shift]", period=period)
        for when, period in _PERIODS
    ),
    *(
        rule(I.TAKE_ONCALL, f"({_I_WILL}) be (oncall|on call|on the pager|on pager) [for] ({when})", period=period)
        for when, period in _PERIODS
    ),
    rule(I.TAKE_ONCALL, f"({_I_WILL}) ({_TAKE}) ({_PAGER})", period="tonight"),
    *(
        rule(I.TAKE_ONCALL, f"(take|take over|cover|grab) ({_PAGER}) [for] ({when}) [shift]", period=period)
        for when, period in _PERIODS[1:]
    ),
    rule(I.TAKE_ONCALL, f"(take|take over|cover|grab) ({_PAGER}) [for] [{_TONIGHT}] [shift]", period="tonight"),
]

# Alert actions are tried before the alert list: "page the next person" is not a list of pages.
_WHICH = "[the|this|that|it|this one|that one|the latest|the last|the newest|the new]"
_ALERT_NUMBER = "[<alert>] [<alert>] [{alert_id}]"
_ALERT_REF = f"{_WHICH} {_ALERT_NUMBER}"
_SILENCE = "silence|mute|snooze|suppress|hush|shush|shut up"
ALERT_ACTIONS = [
    rule(I.SILENCE, f"({_SILENCE}) {_ALERT_REF} (for|during) {{duration}}"),
    rule(I.SILENCE, f"({_SILENCE}) {_ALERT_REF} [{{duration}}]"),
    rule(
        I.SILENCE,
        f"({_SILENCE}) {_ALERT_REF} (while|whilst|during|as|because|since) {{remark}} [for] {{duration}}",
    ),
    rule(
        I.ESCALATE,
        f"(escalate|escalation|esc) {_ALERT_REF} [to the next person|to the next one|to next|up|to the next oncall|"
        "to the next on call|to the secondary|to secondary|to the backup|to the next engineer|to the next level]",
    ),
    rule(
        I.ESCALATE,
        f"(hand|pass|kick|bump|push|send) {_ALERT_REF} [on|up|over] to [the] (next person|next one|next|secondary|"
        "next on call|next oncall|backup|someone else|second line|next engineer)",
    ),
    rule(
        I.ESCALATE,
        "(page|call|wake|wake up|ring|get) [up] [the] (next|next person|next one|next in line|next engineer|"
        "next on call|next oncall|secondary|backup|backup on call|backup oncall|second line|someone else|"
        "somebody else|another person|whoever is next|whoever is on next|whoever is on call next|"
        f"the next person) [up] [for|about|on] {_ALERT_NUMBER}",
    ),
]

ALERTS = [
    rule(I.ALERTS, "(show|view|get|open) [me] (alert|alarm|incident) [number|no|id] {alert_id}"),
    rule(I.ALERTS, "(alert|alarm|incident) [number|no|id] {alert_id}"),
    rule(I.ALERTS, "<alerts> [{alert_scope}]"),
    rule(
        I.ALERTS,
        "(show|list|get|view|any|open|active|current|firing|new|critical) [me] [the|all|any] "
        "[open|active|firing|current|new|critical] <alerts> [{alert_scope}]",
    ),
    rule(I.ALERTS, "(are|is) there (any|anything) [open|active|firing|new|critical] [<alerts>] [{alert_scope}]"),
    rule(I.ALERTS, "(what is|anything|is anything|something|what) (firing|alerting|paging|ringing)"),
    rule(I.ALERTS, "what is (going on|happening|up) with [the] (alert|alarm|incident|page) [number|no|id] {alert_id}"),
    rule(
        I.ALERTS,
        "(what|which|any) <alerts> (fired|went off|triggered|came in|have fired|did we get|were there) "
        "[overnight|today|last night|tonight|this morning|while i was asleep]",
    ),
    rule(
        I.ACK,
        f"(ack|acknowledge|acknowledged|acked|ackd|acking|claim|seen) {_ALERT_REF}",
    ),
    rule(I.ACK, "[i will|ill|i am|i have|i] (take|taking|got|grab|grabbing|have|own|owning) [<alert>] {alert_id}"),
    rule(I.ACK, "mark [<alert>] [<alert>] {alert_id} [as] (acked|acknowledged|ack)"),
    rule(
        I.ACK,
        "[i am|i will|i] (on it|got it|got this|got this one|have it|take it|will take it|taking it|am on it|mine|"
        "taking this|taking this one|take this one)",
    ),
    rule(
        I.ACK,
        "[i am|i will|ill|i] (looking at|looking into|look at|look into|checking|on|taking a look at|handle|handling|"
        "investigating) [<alert>] {alert_id}",
    ),
    rule(
        I.RESOLVE,
        f"(resolve|resolved|close|closed|clear|cleared|solved|close out) {_ALERT_REF}",
    ),
    rule(I.RESOLVE, "mark [<alert>] [<alert>] {alert_id} [as] (resolved|closed|fixed|done|clear)"),
]

_STATUS_WORDS = "status|health|healthcheck|overview|summary|dashboard|sitrep|state|rundown|lowdown"
_GIVE_ME = "(check|give|show|get) [me] [on] [the|a|an]"
STATUS = [
    rule(I.STATUS, f"({_STATUS_WORDS}) [report|check|update|summary|please] [{{scope}}]"),
    rule(I.STATUS, "how (is|are) [{scope}] [<doing>]"),
    rule(I.STATUS, "(is|are) {scope} <fine>"),
    rule(I.STATUS, "(are|is) (we|things|you guys|everyone|anything|everything) <fine> [{scope}]"),
    rule(
        I.STATUS,
        "what is (up|going on|happening|the status|the situation|the state|the health|broken|wrong|down) [{scope}]",
    ),
    rule(I.STATUS, "(any|are there any|got any) (fires|fire|fires burning|outages) [{scope}]"),
    rule(I.STATUS, "(anything|any|something|what) (wrong|broken|down|problems|issues|on fire) [{scope}]"),
    rule(I.STATUS, "(any|are there any|got any) (problems|issues|outages|incidents going on) [{scope}]"),
    rule(
        I.STATUS,
        f"{_GIVE_ME} [{_STATUS_WORDS}] [of|for|on] [{{scope}}]",
    ),
    rule(
        I.STATUS,
        f"{_GIVE_ME} ({_STATUS_WORDS}) (update|report|check) [of|for|on] [{{scope}}]",
    ),
    rule(I.STATUS, "how (healthy|stable|bad|good|broken) (is|are) [things in] {scope} [looking|doing|right now]"),
    rule(I.STATUS, "(sup|wassup|whats up)"),
    rule(I.STATUS, "(is|are) {scope} (having|seeing|experiencing) [any] (issues|problems|trouble|errors|outages)"),
    rule(I.STATUS, "(everything|all|things|all systems) <fine> [{scope}]"),
    rule(I.STATUS, f"(show|give|get) [me] [the|a|an] {{scope}} ({_STATUS_WORDS})"),
    rule(I.STATUS, "all (good|ok|okay|green)"),
    # One group or resource ("status of web-prod"): after the rules above, so a region or environment is a scope.
    rule(I.STATUS, f"({_STATUS_WORDS}) [report|check|update|summary] [of|for|on] {{target}}"),
    rule(I.STATUS, f"(check|give|show|get) [me] [the|a] ({_STATUS_WORDS}) (of|for|on) {{target}}"),
    rule(I.STATUS, "what is (up|going on|happening|wrong|broken) (with|in|on) {target}", loose=True),
    rule(
        I.STATUS, "(anything|something|what|is anything|is something) (wrong|broken) (with|in|on) {target}", loose=True
    ),
    rule(I.STATUS, "(any|are there any) (problems|issues) (with|in|on) {target}"),
]

# Commands opsbot does not have yet: recognised, so they are answered as such and never read as another command.
# After the changes ("deploy 3 instances to web-prod" is a scale), before search and show ("show logs of ...").
_METRICS = "cpu|memory|mem|ram|metrics|metric|graph|graphs|chart|charts|iops|utilisation|utilization"
_LOGS = "logs|log|error logs|error log|journal|events"
NOT_YET = [
    rule(I.NOT_YET, "(rollback|roll back|revert|undo|downgrade) [{rest}]", topic="roll back"),
    rule(I.NOT_YET, "(deploy|redeploy|release|promote) [{rest}]", topic="deploy"),
    rule(I.NOT_YET, "(restore|recover) [{rest}]", topic="restore"),
    rule(I.NOT_YET, "(backup|back up|snapshot) [{rest}]", topic="take backups"),
    rule(I.NOT_YET, "(take|make|create) [a|an] (backup|snapshot) [{rest}]", topic="take backups"),
    rule(I.NOT_YET, f"({_LOGS}|tail) [{{rest}}]", topic="show logs"),
    rule(
        I.NOT_YET,
        f"(show|get|view|check|read|open|give|what is|what are) [me] [the] ({_LOGS}) [{{rest}}]",
        topic="show logs",
    ),
    rule(I.NOT_YET, f"({_METRICS}) [usage|load|graph|chart|history|stats] [{{rest}}]", topic="show metrics"),
    rule(
        I.NOT_YET,
        f"(show|get|view|check|give|what is|what are|how much|how high is) [me] [the] ({_METRICS}) [{{rest}}]",
        topic="show metrics",
    ),
    rule(I.NOT_YET, "(ssh|exec|login|log in) [{rest}]", topic="open a shell"),
    rule(I.NOT_YET, "(delete|destroy|terminate|remove|create|provision) [{rest}]", topic="create or delete resources"),
    rule(I.NOT_YET, "(upgrade|update|patch|migrate) [{rest}]", topic="upgrade or patch"),
    rule(I.NOT_YET, "(rotate|renew) [{rest}]", topic="rotate keys"),
]

MORE = [
    rule(I.MORE, "(more|next|next page|continue|show more|the rest)", strict=True),
    rule(I.MORE, "(show|give|list) [me] (more|the rest|the next page|next page)", strict=True),
]

SEARCH = [
    rule(I.SEARCH, "(find|search|lookup|locate|grep|filter) [for] [{search}]"),
    rule(I.SEARCH, "look (up|for) {search}"),
    rule(I.SEARCH, "(list|ls|enumerate|inventory) [{search}]"),
    rule(I.SEARCH, "(show|get|display|which|what|give|any) [me] [all|the|all the] {typed_search}"),
    rule(I.SEARCH, "(how many|count|are there) [any] {typed_search}"),
]

SHOW = [
    rule(I.SHOW, "(status|health|state) (of|for|on) {target}"),
    rule(
        I.SHOW,
        "(show|describe|details|detail|info|information|inspect|display|get|check|view) [me] "
        "[the] [details|detail|info|information|status|state|health] [of|on|for|about] {target}",
    ),
    rule(I.SHOW, "tell me (about|more about) {target}", loose=True),
    rule(I.SHOW, "what do (we|you) (know|have) (about|on) {target}", loose=True),
    rule(I.SHOW, "(look at|pull up|bring up|open|inspect) [the] {target}", 0.9, loose=True),
    rule(
        I.SHOW,
        "(how big|how large|what size|what region|which region|where) (is|does) {target} [run|in|live|sit]",
        loose=True,
    ),
    rule(
        I.SHOW,
        "how many (instances|nodes|machines|servers|vms|replicas) (does|has) {target} [have|got|running]",
        loose=True,
    ),
    rule(I.SHOW, "(give|get|send) me [the] (details|detail|info|information|specs) (of|on|for|about) {target}"),
    rule(I.SHOW, "what (is|about) {target}", loose=True),
    rule(I.SHOW, "(where is|how is|how are|what is up with) {target} [<doing>]", loose=True),
    rule(I.SHOW, "(is|are) {target} <fine>", 0.9, loose=True),
]


def _index(rules: list[Rule]) -> tuple[dict[str, tuple[Rule, ...]], tuple[Rule, ...]]:
    """First word -> the rules a text starting with it can match, in priority order."""
    anywhere = [r for r in rules if r.first_words is None]
    words = {w for r in rules for w in (r.first_words or ())}
    by_first = {w: tuple(r for r in rules if r.first_words is None or w in r.first_words) for w in words}
    return by_first, tuple(anywhere)


RULES: tuple[Rule, ...] = (
    *CONVERSATION,
    *HELP,
    *PERF,
    *ONCALL,
    *TAKE_ONCALL,
    *ALERT_ACTIONS,
    *ALERTS,
    *MORE,
    *COST,
    *CHANGES,
    *NOT_YET,
    *STATUS,
    *SEARCH,
    *SHOW,
    *SLOT_FIRST,
)
BY_FIRST_WORD, ANY_FIRST_WORD = _index(list(RULES))
FIRST_WORDS: tuple[str, ...] = tuple(sorted(w for w, rs in BY_FIRST_WORD.items() if any(not r.strict for r in rs)))


_LEAD_WITH_WORDS = {w: tuple(r for r in rs if r.first_words is not None) for w, rs in BY_FIRST_WORD.items()}


def rules_for(first_word: str, *, slot_first: bool = True) -> tuple[Rule, ...]:
    """Rules a text starting with `first_word` may match, in priority order. `slot_first=False` leaves out
    the rules that start with a slot, for guesses: "scale down ..." is never guessed to be a search."""
    if slot_first:
        return BY_FIRST_WORD.get(first_word, ANY_FIRST_WORD)
    return _LEAD_WITH_WORDS.get(first_word, ANY_FIRST_WORD)


def keywords() -> frozenset[str]:
    """Every word the patterns use: vocabulary for a speech recogniser's grammar."""
    found = {w for r in RULES for e in r.elements if isinstance(e, Words) for option in e.options for w in option}
    return frozenset(found)
