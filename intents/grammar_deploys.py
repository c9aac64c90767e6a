"""Patterns of deploys and rollbacks: "deploy web v2.4 to prod", "rollback web-prod", "deploy status web", "history
web", "pause deploy web". Part of the ordered table in `intents.grammar`.

Three runs, each where it must sit in the table:
- CONTROL (pause, resume, cancel a running deploy) comes first: "cancel deploy web" is not the "cancel" of a
  confirmation, "stop the deploy" stops no machine; each needs a deploy word, so "cancel" and "stop web-prod"
  stay what they were.
- READS (status, history) come before the status, search and show questions, which would read "deploy status
  web" or "show deploys" as the details of a resource called "deploys".
- RELEASES (deploy, rollback) come after the changes, so "deploy 3 instances to web-prod" stays a scale. A deploy
  and a rollback are changes: the parser reads them only when said as orders, never from a typo.

A version as typed is kept as typed ("V2.4", "5.2.1", "a1b2c3d"); the release manifest says what it means. A
deploy or rollback may end with a reason ("... despite the freeze: fixes checkout", "... because ..."): an
admin's override of a deploy freeze."""

from __future__ import annotations

from core.models import IntentName as I
from intents.patterns import Rule, rule, rules

_ONE = "deploy|deployment|rollout|roll out|release|rollback|roll back|upgrade"
_MANY = "deploys|deployments|rollouts|releases|rollbacks"
_BARE = f"{_ONE}|{_MANY}"
_PAUSE = "pause|hold|halt|suspend"
_RESUME = "resume|continue|unpause|carry on|carry on with|go on with|keep going with"
_CANCEL = "cancel|abort|stop|kill|call off|scrap"


# Strict, like a confirmation: never read with a word skipped or a first word corrected. "cancel", "stop" and
# "continue" answer a confirmation or a long list too; a slip must never make them act on a rollout.
def _control(intent: I, verbs: str, doing: str) -> list[Rule]:
    return rules(
        intent,
        f"({verbs}) [the|this|that|our|my] ({_ONE}) [of|for|to|on|in] [{{target}}]",
        f"({verbs}) [the|this|that|our|my] {{target}} ({_ONE})",
        f"({verbs}) (all|every|all the|all of the) ({_MANY})",
        f"({doing}) {{target}}",
        strict=True,
    )


CONTROL = [
    *_control(I.PAUSE_DEPLOY, _PAUSE, "pause deploying|pause rolling out|hold off deploying"),
    rule(I.PAUSE_DEPLOY, f"put [the|this] [{{target}}] ({_ONE}) on hold", strict=True),
    *_control(I.RESUME_DEPLOY, _RESUME, "resume deploying|continue deploying|keep deploying|resume rolling out"),
    *_control(I.CANCEL_DEPLOY, _CANCEL, "stop deploying|stop rolling out|cancel deploying|abort deploying"),
]

_HOW_GOING = "going|doing|looking|progressing|coming along|getting on"
_DONE = (
    "done|finished|complete|completed|over|through|still running|still going|running|stuck|ok|okay|healthy|"
    "failing|broken|going ok|going well"
)
_PROGRESS = "status|progress|state|update|updates"
DEPLOY_STATUS = rules(
    I.DEPLOY_STATUS,
    f"({_BARE}) ({_PROGRESS}) [{{deploy_scope}}]",
    f"({_BARE}) ({_PROGRESS}) [of|for|on|in] [{{target}}] [{{deploy_scope}}]",
    *(
        f"{lead}({_PROGRESS}) (of|on|for) [the|this|our] {subject}"
        for lead in ("", "what is the ")
        for subject in (f"({_ONE}) [of|for|to|on|in] [{{target}}]", f"{{target}} ({_ONE})")
    ),
    f"what is the ({_ONE}) ({_PROGRESS}) [of|for|on|in] [{{target}}]",
    f"({_MANY}) [running|going on|in progress|in flight|happening|right now] [{{deploy_scope}}]",
    f"({_MANY}) (to|into|in|on) {{environment}} [{{deploy_scope}}]",
    (
        f"(show|list|get|any|what are|which are) [me] [the|all|all the] [running|current|active|ongoing|open|todays] "
        f"({_MANY}) [running|going on|in progress|in flight|happening] [{{deploy_scope}}]"
    ),
    f"(running|current|active|ongoing|todays) ({_MANY}) [{{deploy_scope}}]",
    (
        "what is (deploying|being deployed|rolling out|being rolled out|rolling back|being rolled back|releasing|"
        "being released|in flight|going out) [{deploy_scope}]"
    ),
    "(is|are) (anything|something|anyone|we|there anything) (deploying|rolling out|rolling back|releasing) "
    "[{deploy_scope}]",
    (
        f"(is|are) there (any|a|an) ({_BARE}) [running|going on|in progress|in flight|happening|right now] "
        "[{deploy_scope}]"
    ),
    f"how (is|are) [the|this|our] ({_ONE}) [of|for|to|on|in] [{{target}}] [{_HOW_GOING}]",
    f"how (is|are) [the|this|our] {{target}} ({_ONE}) [{_HOW_GOING}]",
    f"(is|has) [the|this|our] ({_ONE}) [of|for|to|on|in] [{{target}}] [finished|gone] ({_DONE}) [yet]",
    f"(is|has) [the|this|our] {{target}} ({_ONE}) [finished|gone] ({_DONE}) [yet]",
    f"how far (is|along is|has) [the|this|our] [{{target}}] ({_ONE}) [got|gone|come]",
    f"where is [the|this|our] [{{target}}] ({_ONE}) [at|up to]",
)

_VERSIONS = "version|versions|release|releases|build|builds"
_DEPLOYED = (
    "deploy|deployed|redeploy|redeployed|release|released|ship|shipped|push|pushed|roll out|rolled out|rollout|"
    "roll back|rolled back|rollback|revert|reverted|upgrade|upgraded"
)
_WHO = "we|you|someone|somebody|anyone|anybody|they|i|he|she|it"
DEPLOY_HISTORY = [
    *rules(
        I.DEPLOY_HISTORY,
        "history [of|for|on|in] [{target}] [{deploy_scope}]",
        "history [{deploy_scope}]",
        f"({_ONE}|{_VERSIONS}) history [of|for|on|in] [{{target}}] [{{deploy_scope}}]",
        f"({_ONE}|{_VERSIONS}) history [{{deploy_scope}}]",
        f"(show|get|list|give|what is|whats) [me] [the] [{_ONE}|{_VERSIONS}] history [of|for|on|in] [{{target}}]",
        f"(show|get|list|give) [me] [the] (last|latest|recent|previous|past) [few] ({_MANY}|{_VERSIONS}) "
        "[of|for|to|on|in] [{target}]",
        f"(last|latest|recent|previous|past) [few] ({_MANY}|{_VERSIONS}) [of|for|to|on|in] [{{target}}]",
        f"({_MANY}) (of|for|to) {{target}} [{{deploy_scope}}]",
        f"({_VERSIONS}) (of|on|for) {{target}}",
    ),
    # Questions: the name must look like one ("what is going on" asks nothing of a service called "going").
    *rules(
        I.DEPLOY_HISTORY,
        f"(what|which) ({_VERSIONS}) (has|have|did) {{target}} (had|have|run|ran|been on|been running|used)",
        "(which|what) (version|release|build) (is|does) {target} [currently|now] (on|run|running|at|using|have|in)",
        "(which|what) (version|release|build) (is|are|runs) [running|deployed|live] (on|in|for) {environment}",
        "(which|what) (version|release|build) (is|are|runs) [running|deployed|live] (on|in|for) {target}",
        "(which|what) (version|versions|release|build) (is|are) [currently|now] (running|deployed|live|out) "
        "[now|currently] [{deploy_scope}]",
        "(which|what) (version|release|build) (is|runs) {target}",
        "what is {target} (running|on) [now|currently]",
        "(what|which) (was|is) the (last|latest|previous|current) (version|deploy|release|build) (of|for|on|in|to) "
        "{target}",
        f"when (did|have) ({_WHO}) [last] ({_DEPLOYED}) [to|on] [{{target}}] [{{deploy_scope}}]",
        f"when (was|were|did) [the] {{target}} [last] ({_DEPLOYED}|updated|update)",
        f"who last ({_DEPLOYED}) [to|on|in] [{{target}}] [{{deploy_scope}}]",
        f"who ({_DEPLOYED}) (to|on|in) {{environment}} [{{deploy_scope}}]",
        f"who ({_DEPLOYED}) [to|on|in] [{{target}}] [last] [{{deploy_scope}}]",
        f"(did|have|has) ({_WHO}) [already|ever] ({_DEPLOYED}) [to|on|in] {{target}} [{{deploy_scope}}]",
        f"what (was|were|got|has been|have been) ({_DEPLOYED}) [to|on|in] [{{target}}] [{{deploy_scope}}]",
        loose=True,
    ),
]
READS = [*DEPLOY_STATUS, *DEPLOY_HISTORY]

_DEPLOY = "deploy|redeploy|release|ship|roll out|rollout|push|push out|promote"
_TO = "to|into|onto|on|in|out to"
_REASON = " [{reason}]"
_DEPLOYS = rules(
    I.DEPLOY,
    *(
        pattern + _REASON
        for pattern in (
            f"({_DEPLOY}) {{target}} {{version}} ({_TO}) {{environment}}",
            f"({_DEPLOY}) {{service}} {{environment}} {{version}}",
            f"({_DEPLOY}) {{version}} (of|for) {{target}} [{_TO}] {{environment}}",
            f"({_DEPLOY}) {{version}} ({_TO}) {{environment}}",
            f"({_DEPLOY}) {{version}} (of|for) {{target}}",
            f"({_DEPLOY}) {{version}} ({_TO}) {{target}}",
            f"({_DEPLOY}) {{target}} ({_TO}) {{environment}} [at|with|on] {{version}}",
            f"({_DEPLOY}) {{target}} {{version}}",
            f"({_DEPLOY}) {{version}}",
            # "the latest" is no version a manifest names: the conversation asks which, showing the newest
            f"({_DEPLOY}) [the] (latest|newest) [version|release|build] [of|for] {{target}} ({_TO}) {{environment}}",
            f"({_DEPLOY}) [the] (latest|newest) [version|release|build] [of|for] {{target}}",
            f"(deploy|redeploy) {{service}} [{_TO}] {{environment}}",
            f"(deploy|redeploy) ({_TO}) {{environment}}",
            "(deploy|redeploy) {target}",
        )
    ),
)

_BACK = "rollback|roll back|revert|undo"
_PREVIOUS = (
    "to [the] (previous|last good|last working|last stable|prior|earlier|old|older|last) [good|working|stable] "
    "[version|release|build|one|deploy]"
)
_LAST = "[the] [last|latest|recent|previous|bad|new|current|broken]"
_THE_DEPLOY = "deploy|deployment|release|rollout|change|version|upgrade"
# A rollback goes to the previous good version unless one is named: each phrasing with either ending, or none.
_WHERE_TO = ("", " to {version}", f" {_PREVIOUS}")
_ROLLBACK_PATTERNS = (
    f"({_BACK}) {{service}} [in|on] {{environment}}",
    "roll {service} back (in|on) {environment}",
    f"({_BACK}) {_LAST} ({_THE_DEPLOY}) (of|on|for|to|in) {{service}} [in|on] {{environment}}",
    f"({_BACK}) {_LAST} ({_THE_DEPLOY}) (of|on|for|to|in) {{target}}",
    f"({_BACK}) {_LAST} {{target}} ({_THE_DEPLOY})",
    f"({_BACK}) {_LAST} ({_THE_DEPLOY})",
    f"({_BACK}) {{target}}",
    "roll {target} back",
)
_ROLLBACKS = [
    *rules(
        I.ROLLBACK,
        *(pattern + to + _REASON for pattern in _ROLLBACK_PATTERNS for to in _WHERE_TO),
    ),
    *rules(
        I.ROLLBACK,
        *(
            pattern + _REASON
            for pattern in (
                "(rollback|roll back|revert) to {version} [on|for|in|of] [{target}]",
                f"(rollback|roll back|revert) {_PREVIOUS} [on|for|in|of] [{{target}}]",
                "(downgrade|go back|revert back) {target} to {version}",
                "(go back|revert back) to {version} (on|for|in|of) {target}",
                "(rollback|roll back)",
            )
        ),
    ),
]
RELEASES = [*_DEPLOYS, *_ROLLBACKS]
