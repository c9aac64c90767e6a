"""The command language, as an ordered list of patterns (see `intents.patterns` for the notation).

Order is priority: the first rule that reads every word wins. Specific phrasings come before general ones
("show alerts" before "show {target}"), and rules that start with a slot come last, because they are tried
for every text."""

from __future__ import annotations

from core.models import IntentName as I
from intents import deploy_slots, incident_slots
from intents.grammar_budgets import BUDGETS
from intents.grammar_changes import CHANGES, SLOT_FIRST
from intents.grammar_costs import COST
from intents.grammar_deploys import CONTROL, READS, RELEASES
from intents.grammar_dr import DR
from intents.grammar_metrics import METRICS, METRICS_SLOT_FIRST
from intents.patterns import Rule, Words, rule, rules

_YES = "yes|y|yep|yup|yeah|ya|yea|confirm|confirmed|approve|approved|proceed|affirmative|correct|lgtm"
_NO = "cancel|no|n|nope|nah|abort|stop|halt|nevermind|never mind|nvm|forget it|negative|reject|deny|denied|decline"

CONVERSATION = [
    rule(I.CONFIRM, f"({_YES}) [do it|go ahead|please|proceed|go|sure|it|that|this|i am sure|confirm]", strict=True),
    rule(I.CONFIRM, "(ok|okay|k|sure|fine|yes please|sounds good)", 0.9, strict=True),
    *rules(
        I.CONFIRM,
        f"({_YES}|ok|okay) [code|with] {{code}}",
        "(go ahead|do it|go|go for it|ship it|execute|run it|make it so|send it) [please|now]",
        strict=True,
    ),
    rule(I.CONFIRM, "{bare_code}", 0.85, strict=True),
    *rules(
        I.CANCEL,
        f"({_NO}|do not|scratch|belay|hold off) [it|that|this|please|thanks|do it|it please|that please]",
        f"({_NO}) [code] {{code}}",
        "(do not|dont) (do|run|go ahead with) (it|that|this)",
    ),
]

HELP = [
    *rules(
        I.HELP,
        "(help|halp|commands|usage|menu|options|manual|h) [me|please|pls|us]",
        "(help|man) [me] {topic}",
        "what (can|do) (you|i) (do|say|ask|type|understand)",
        "what (are|is) (the|your) (commands|options)",
    ),
    rule(I.HELP, "how (do|can|should|to) [i|you|we] {topic}", 0.9, loose=True),
    rule(I.HELP, "how does (this|it|opsbot) work"),
]

PERF = rules(
    I.PERF,
    "(perf|performance|latency|latencies|speed|timings|timing|stats|p99|p50|ping)",
    "(your|bot|opsbot|show|get) [me] [your|the] (latency|performance|speed|stats|perf|timings)",
    "how (fast|quick|slow|responsive) are you [today]",
    "(are you|is the bot|is opsbot) (slow|fast|lagging|laggy)",
)

# The phone dashboard ("dashboard", "open the app"); "dashboard for prod" stays a status (a scope follows it).
_DASHBOARD = "dashboard|dash|dashboards|app|web app|mini app|webapp|miniapp|the dashboard|the app|my dashboard"
DASHBOARD = rules(
    I.DASHBOARD,
    f"({_DASHBOARD}) [link|url|please|pls|plz]",
    f"(open|launch|show|give|get|send|start) [me] [the|a|my|up] ({_DASHBOARD}) [link|url|please|pls|plz]",
    f"(link|url) (to|for) [the|my] ({_DASHBOARD})",
    f"(where is|wheres) [the|my] ({_DASHBOARD})",
)

ONCALL = rules(
    I.ONCALL,
    "(oncall|on call|pager|rota|rotation) [schedule|rota|rotation|list|who|today|this week]",
    (
        "(who|whom) is [currently|the] (oncall|on call|on duty|on pager|on the pager|primary|paged) "
        "[today|tonight|this week|next] [{scope}]"
    ),
    "who (has|holds|is holding|is carrying) the pager [today|tonight]",
    "(show|get|list) [me] [the] (oncall|on call) [schedule|rota|rotation|list]",
    "who (do|should|can) i (call|page|escalate to|wake up)",
    "whose (turn|shift|watch) is it",
)

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
    *rules(
        I.SILENCE,
        f"({_SILENCE}) {_ALERT_REF} (for|during) {{duration}}",
        f"({_SILENCE}) {_ALERT_REF} [{{duration}}]",
        f"({_SILENCE}) {_ALERT_REF} (while|whilst|during|as|because|since) {{remark}} [for] {{duration}}",
    ),
    *rules(
        I.ESCALATE,
        (
            f"(escalate|escalation|esc) {_ALERT_REF} [to the next person|to the next one|to next|up|to the next oncall|"
            "to the next on call|to the secondary|to secondary|to the backup|to the next engineer|to the next level]"
        ),
        (
            f"(hand|pass|kick|bump|push|send) {_ALERT_REF} [on|up|over] to [the] (next person|next one|next|secondary|"
            "next on call|next oncall|backup|someone else|second line|next engineer)"
        ),
        (
            "(page|call|wake|wake up|ring|get) [up] [the] (next|next person|next one|next in line|next engineer|"
            "next on call|next oncall|secondary|backup|backup on call|backup oncall|second line|someone else|"
            "somebody else|another person|whoever is next|whoever is on next|whoever is on call next|"
            f"the next person) [up] [for|about|on] {_ALERT_NUMBER}"
        ),
    ),
]

ALERTS = [
    *rules(
        I.ALERTS,
        "(show|view|get|open) [me] (alert|alarm|incident) [number|no|id] {alert_id}",
        "(alert|alarm|incident) [number|no|id] {alert_id}",
        "<alerts> [{alert_scope}]",
        (
            "(show|list|get|view|any|open|active|current|firing|new|critical) [me] [the|all|any] "
            "[open|active|firing|current|new|critical] <alerts> [{alert_scope}]"
        ),
        "(are|is) there (any|anything) [open|active|firing|new|critical] [<alerts>] [{alert_scope}]",
        "(what is|anything|is anything|something|what) (firing|alerting|paging|ringing)",
        "what is (going on|happening|up) with [the] (alert|alarm|incident|page) [number|no|id] {alert_id}",
        (
            "(what|which|any) <alerts> (fired|went off|triggered|came in|have fired|did we get|were there) "
            "[overnight|today|last night|tonight|this morning|while i was asleep]"
        ),
    ),
    *rules(
        I.ACK,
        f"(ack|acknowledge|acknowledged|acked|ackd|acking|claim|seen) {_ALERT_REF}",
        "[i will|ill|i am|i have|i] (take|taking|got|grab|grabbing|have|own|owning) [<alert>] {alert_id}",
        "mark [<alert>] [<alert>] {alert_id} [as] (acked|acknowledged|ack)",
        (
            "[i am|i will|i] (on it|got it|got this|got this one|have it|take it|will take it|taking it|am on it|mine|"
            "taking this|taking this one|take this one)"
        ),
        (
            "[i am|i will|ill|i] (looking at|looking into|look at|look into|checking|on|taking a look at|handle|"
            "handling|investigating) [<alert>] {alert_id}"
        ),
    ),
    *rules(
        I.RESOLVE,
        f"(resolve|resolved|close|closed|clear|cleared|solved|close out) {_ALERT_REF}",
        "mark [<alert>] [<alert>] {alert_id} [as] (resolved|closed|fixed|done|clear)",
    ),
]

_STATUS_WORDS = "status|health|healthcheck|overview|summary|dashboard|sitrep|state|rundown|lowdown"
_GIVE_ME = "(check|give|show|get) [me] [on] [the|a|an]"
STATUS = [
    *rules(
        I.STATUS,
        f"({_STATUS_WORDS}) [report|check|update|summary|please] [{{scope}}]",
        "how (is|are) [{scope}] [<doing>]",
        "(is|are) {scope} <fine>",
        "(are|is) (we|things|you guys|everyone|anything|everything) <fine> [{scope}]",
        "what is (up|going on|happening|the status|the situation|the state|the health|broken|wrong|down) [{scope}]",
        "(any|are there any|got any) (fires|fire|fires burning|outages) [{scope}]",
        "(anything|any|something|what) (wrong|broken|down|problems|issues|on fire) [{scope}]",
        "(any|are there any|got any) (problems|issues|outages|incidents going on) [{scope}]",
        f"{_GIVE_ME} [{_STATUS_WORDS}] [of|for|on] [{{scope}}]",
        f"{_GIVE_ME} ({_STATUS_WORDS}) (update|report|check) [of|for|on] [{{scope}}]",
        "how (healthy|stable|bad|good|broken) (is|are) [things in] {scope} [looking|doing|right now]",
        "(sup|wassup|whats up)",
        "(is|are) {scope} (having|seeing|experiencing) [any] (issues|problems|trouble|errors|outages)",
        "(everything|all|things|all systems) <fine> [{scope}]",
        f"(show|give|get) [me] [the|a|an] {{scope}} ({_STATUS_WORDS})",
        "all (good|ok|okay|green)",
        # One group or resource ("status of web-prod"): after the rules above, so a region or environment is a scope.
        f"({_STATUS_WORDS}) [report|check|update|summary] [of|for|on] {{target}}",
        f"(check|give|show|get) [me] [the|a] ({_STATUS_WORDS}) (of|for|on) {{target}}",
    ),
    *rules(
        I.STATUS,
        "what is (up|going on|happening|wrong|broken) (with|in|on) {target}",
        "(anything|something|what|is anything|is something) (wrong|broken) (with|in|on) {target}",
        loose=True,
    ),
    rule(I.STATUS, "(any|are there any) (problems|issues) (with|in|on) {target}"),
]

# Commands opsbot does not have yet: recognised, so they are answered as such and never read as another command.
# After the changes and releases, before search and show ("show logs of ...").
# Disk metrics are not among the metrics the sources answer (actions.metrics.model.Metric).
_DISK = "iops|disk usage|disk space|disk io|disk latency|disk metrics|disk throughput|disk queue"
_LOGS = "logs|log|error logs|error log|journal|events"
NOT_YET = [
    rule(I.NOT_YET, "(restore|recover) [{rest}]", topic="restore"),
    *rules(
        I.NOT_YET,
        "(backup|back up|snapshot) [{rest}]",
        "(take|make|create) [a|an] (backup|snapshot) [{rest}]",
        topic="take backups",
    ),
    *rules(
        I.NOT_YET,
        f"({_LOGS}|tail) [{{rest}}]",
        f"(show|get|view|check|read|open|give|what is|what are) [me] [the] ({_LOGS}) [{{rest}}]",
        topic="show logs",
    ),
    *rules(
        I.NOT_YET,
        f"({_DISK}) [{{rest}}]",
        f"(show|get|view|check|give|what is|what are|how much|how high is) [me] [the] ({_DISK}) [{{rest}}]",
        topic="show disk metrics",
    ),
    # A watch stops with its Stop button; "unwatch" must never be taken for a typo of "watch".
    *rules(
        I.NOT_YET,
        "unwatch [{rest}]",
        "(stop|end|cancel|kill|quit) (watching|the watch|my watch|watches|my watches|the watches|this watch) [{rest}]",
        topic="stop a watch by text (press Stop on it)",
    ),
    rule(I.NOT_YET, "(ssh|exec|login|log in) [{rest}]", topic="open a shell"),
    rule(I.NOT_YET, "(delete|destroy|terminate|remove|create|provision) [{rest}]", topic="create or delete resources"),
    rule(I.NOT_YET, "(upgrade|update|patch|migrate) [{rest}]", topic="upgrade or patch"),
    rule(I.NOT_YET, "(rotate|renew) [{rest}]", topic="rotate keys"),
]

MORE = rules(
    I.MORE,
    "(more|next|next page|continue|show more|the rest)",
    "(show|give|list) [me] (more|the rest|the next page|next page)",
    strict=True,
)

SEARCH = rules(
    I.SEARCH,
    "(find|search|lookup|locate|grep|filter) [for] [{search}]",
    "look (up|for) {search}",
    "(list|ls|enumerate|inventory) [{search}]",
    "(show|get|display|which|what|give|any) [me] [all|the|all the] {typed_search}",
    "(how many|count|are there) [any] {typed_search}",
)

SHOW = [
    *rules(
        I.SHOW,
        "(status|health|state) (of|for|on) {target}",
        (
            "(show|describe|details|detail|info|information|inspect|display|get|check|view) [me] "
            "[the] [details|detail|info|information|status|state|health] [of|on|for|about] {target}"
        ),
    ),
    *rules(
        I.SHOW,
        "tell me (about|more about) {target}",
        "what do (we|you) (know|have) (about|on) {target}",
        loose=True,
    ),
    rule(I.SHOW, "(look at|pull up|bring up|open|inspect) [the] {target}", 0.9, loose=True),
    *rules(
        I.SHOW,
        "(how big|how large|what size|what region|which region|where) (is|does) {target} [run|in|live|sit]",
        "how many (instances|nodes|machines|servers|vms|replicas) (does|has) {target} [have|got|running]",
        loose=True,
    ),
    rule(I.SHOW, "(give|get|send) me [the] (details|detail|info|information|specs) (of|on|for|about) {target}"),
    *rules(
        I.SHOW,
        "what (is|about) {target}",
        "(where is|how is|how are|what is up with) {target} [<doing>]",
        loose=True,
    ),
    rule(I.SHOW, "(is|are) {target} <fine>", 0.9, loose=True),
]


def _index(rules: list[Rule]) -> tuple[dict[str, tuple[Rule, ...]], tuple[Rule, ...]]:
    """First word -> the rules a text starting with it can match, in priority order."""
    anywhere = [r for r in rules if r.first_words is None]
    words = {w for r in rules for w in (r.first_words or ())}
    by_first = {w: tuple(r for r in rules if r.first_words is None or w in r.first_words) for w in words}
    return by_first, tuple(anywhere)


RULES: tuple[Rule, ...] = (
    *DR,
    *CONTROL,
    *CONVERSATION,
    *HELP,
    *PERF,
    *DASHBOARD,
    *READS,
    *ONCALL,
    *TAKE_ONCALL,
    *ALERT_ACTIONS,
    *ALERTS,
    *MORE,
    *BUDGETS,
    *COST,
    *CHANGES,
    *RELEASES,
    *METRICS,
    *NOT_YET,
    *STATUS,
    *SEARCH,
    *SHOW,
    *METRICS_SLOT_FIRST,
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
    return frozenset(found) | deploy_slots.words() | incident_slots.words()
