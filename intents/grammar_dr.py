"""Patterns of disaster recovery and incidents: failback, drills, DR status, what a running runbook is told
(pause, resume, abort), and incidents (declare, update, timeline, resolve). Part of the ordered table in
`intents.grammar`, tried first among the commands: "stop the failover" aborts a runbook and is no
confirmation's "stop", "close incident 7 ..." closes the incident and is no alert's resolve. A runbook word is
always said ("stop web-prod" stays a stop), and "resolve 42" stays the alert's."""

from __future__ import annotations

from core.models import IntentName as I
from intents.patterns import rules

_RUNBOOK = (
    "failover|fail over|failback|fail back|runbook|run book|drill|dr drill|dr|dr runbook|disaster recovery|"
    "switchover|cutover"
)
_THE = "[the|this|that|our|current|running]"
_DR = "dr|disaster recovery|failover|fail over"
_INC = "(inc|incident|incident number|inc number|inc no|incident no|incident id|inc id)"
_PRIMARY = "[the] (primary|prod|production|main|main site|primary site|original|home)"

FAILBACK = rules(
    I.FAILBACK,
    "(failback|fail back|switch back|cut back|move back|fail over back) [of|for] [the] {target}",
    f"(failback|fail back|switch back|cut back|move back) [of|for] [the] {{target}} (to|onto) {_PRIMARY}",
    f"(failback|fail back|switch back|cut back|move back) [the] (traffic|dns) [of|for] [{{target}}] (to|onto) "
    f"{_PRIMARY}",
    f"(failback|fail back|switch back|cut back|move back) (to|onto) {_PRIMARY} [for|of] [{{target}}]",
    "(fail|switch|move|cut) [the] {target} back",
    f"(fail|switch|move|cut) [the] {{target}} back (to|onto) {_PRIMARY}",
    "(failback|fail back)",
    f"(initiate|start|trigger|begin|do|run) [a|the] (failback|fail back) [of|for] [{{target}}] [to {_PRIMARY}]",
)

DR_DRILL = rules(
    I.DR_DRILL,
    f"({_DR}) (drill|test|rehearsal|dry run|exercise) [of|for|on] [the] [{{target}}]",
    f"(run|do|start|begin|schedule|kick off|trigger) [a|an|the] ({_DR}) (drill|test|rehearsal|dry run|exercise) "
    "[of|for|on] [the] [{target}]",
    f"(run|do|start|begin|kick off|trigger) [a|an|the] [{{target}}] ({_DR}) (drill|test|rehearsal|dry run|exercise)",
    f"(drill|rehearse|dry run|test) [the] [{{target}}] ({_DR}) [runbook]",
    f"(drill|rehearse|dry run) [the] ({_DR}) [runbook] [of|for|on] [the] [{{target}}]",
    "drill {target} [failover|fail over|dr]",
)

DR_STATUS = rules(
    I.DR_STATUS,
    "(dr|disaster recovery|failover|standby|standbys) (status|readiness|state|report|health|overview|summary)",
    # Not "status of dr": that is the dr environment's status, as it always was.
    "(status|readiness|state|health) of [the] (disaster recovery|standby|standbys)",
    "(readiness|state|health) of [the] dr",
    "(show|get|give|check) [me] [the] (dr|disaster recovery|standby|standbys) [status|readiness|state|report]",
    "how (is|are|ready is|ready are) [the] (dr|disaster recovery|standby|standbys) [doing|looking|today]",
    "(is|are) [the] (dr|disaster recovery|standby|standbys|we) ready [for|to] [dr|failover|fail over]",
    "(are we|is dr|is everything) (ready|good|set) (for|to) (dr|failover|fail over|a failover|disaster recovery)",
    "(dr|disaster recovery) [ready]",
)

# Strict, like a deploy's controls: "stop", "cancel" and "continue" answer a confirmation or a long list too; a
# slip or a skipped word must never make them act on a runbook.
PAUSE_RUNBOOK = rules(
    I.PAUSE_RUNBOOK,
    f"(pause|hold|suspend|halt|freeze) {_THE} [{{target}}] ({_RUNBOOK}) [run|for now|for a moment|a moment]",
    f"put {_THE} [{{target}}] ({_RUNBOOK}) on hold",
    strict=True,
)
RESUME_RUNBOOK = rules(
    I.RESUME_RUNBOOK,
    f"(resume|continue|unpause|carry on with|carry on|go on with|proceed with) {_THE} [{{target}}] ({_RUNBOOK}) [run]",
    strict=True,
)
ABORT_RUNBOOK = rules(
    I.ABORT_RUNBOOK,
    f"(abort|stop|cancel|kill|undo|roll back|rollback|revert|call off) {_THE} [{{target}}] ({_RUNBOOK}) [run]",
    strict=True,
)

DECLARE = rules(
    I.DECLARE,
    "declare [a|an|new|a new] [{severity}] (incident|outage|major incident) [for|on|about] [{note}]",
    "declare [a|an] {severity} [incident|outage] [for|on|about] [{note}]",
)

INCIDENTS = [
    *rules(
        I.INCIDENT_TIMELINE,
        f"{_INC} {{incident_id}} (timeline|history|log|events)",
        f"(timeline|history|log|events) (of|for|on) {_INC} {{incident_id}}",
        f"(show|get|give|export|read) [me] [the] (timeline|history|log) (of|for|on) {_INC} {{incident_id}}",
        f"(show|get|give|export|read) [me] [the] {_INC} {{incident_id}} (timeline|history|log)",
        f"what happened (in|during|on) {_INC} {{incident_id}}",
    ),
    *rules(
        I.RESOLVE_INCIDENT,
        f"(resolve|close|close out) {_INC} {{incident_id}} [as] [resolved|closed] [{{note}}]",
        f"{_INC} {{incident_id}} (resolved|closed|is resolved|is closed|is over|resolve|close) [{{note}}]",
        f"mark {_INC} {{incident_id}} [as] (resolved|closed) [{{note}}]",
    ),
    *rules(
        I.INCIDENT_UPDATE,
        f"{_INC} {{incident_id}} (update|updated|note|status|status update|news) {{note}}",
        f"(update|post on|post to|note on|add to) {_INC} {{incident_id}} [with] {{note}}",
        f"(update|note) (on|for) {_INC} {{incident_id}} {{note}}",
    ),
]

DR = [*DR_STATUS, *DR_DRILL, *FAILBACK, *PAUSE_RUNBOOK, *RESUME_RUNBOOK, *ABORT_RUNBOOK, *DECLARE, *INCIDENTS]
