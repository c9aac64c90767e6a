"""Is a change said as an order? A change intent needs the imperative of its verb with its object: the same
words negated ("don't restart db-prod"), asked ("should we restart db-prod?"), reported ("bob restarted
web-prod"), supposed ("if web-prod dies we fail over") or shouted as an interjection ("stop! web-prod is fine")
are never an order. Looks at the whole sentence, not only at the words a rule read."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class Mood(StrEnum):
    ORDER = "order"
    NEGATED = "negated"
    QUESTION = "question"
    REPORTED = "reported"
    HYPOTHETICAL = "hypothetical"
    INTERJECTION = "interjection"


_NEGATIONS = frozenset(
    {"not", "never", "no", "nope", "without", "cannot", "cant", "wont", "dont", "didnt", "doesnt", "shouldnt"}
    | {"mustnt", "isnt", "wasnt", "arent", "werent", "havent", "hasnt", "neednt", "nobody", "nothing", "neither"}
    | {"nor", "wait", "hold", "cancel", "abort", "undo", "avoid", "prevent"}
)
# Words that open a question when they come first ("should we ...", "who restarted ...").
_ASKING = frozenset(
    {"did", "does", "do", "should", "shall", "is", "are", "was", "were", "has", "have", "had", "who", "whom"}
    | {"whose", "why", "when", "what", "where", "which", "how", "can", "could", "would", "will", "may", "might"}
    | {"must", "am", "any", "anyone", "anybody"}
)
# Done already, or by someone else.
_REPORTING = frozenset(
    {"restarted", "rebooted", "bounced", "recycled", "scaled", "resized", "stopped", "halted", "paused", "started"}
    | {"booted", "resumed", "killed", "failed", "switched", "moved", "spun", "bumped", "dropped", "added"}
    | {"removed", "launched", "increased", "decreased", "reduced", "terminated", "disabled", "enabled", "suspended"}
    | {"deallocated", "shrunk", "grew", "grown", "cycled", "kicked", "yesterday", "ago", "already", "earlier"}
    | {"previously", "someone", "somebody", "anyone", "anybody", "everyone", "think", "guess", "heard", "saw"}
)
# Not now, or only on a condition.
_SUPPOSING = frozenset(
    {"if", "when", "whenever", "unless", "once", "maybe", "perhaps", "might", "may", "could", "would", "should"}
    | {"shall", "later", "tomorrow", "eventually", "soon", "probably", "possibly", "case", "until", "till", "after"}
    | {"afterwards", "will", "gonna", "going", "plan", "planning", "planned", "whether", "suppose", "imagine"}
)
# Words after an order that turn it into a remark ("stop web-prod is fine", "stop db-prod from scaling").
_REMARKING = frozenset(
    {"fine", "ok", "okay", "good", "healthy", "recovered", "stable", "working", "alright", "fixed"}
    | {"resolved", "from", "is", "are", "was", "were"}
)
# Every form of the verbs that change things: an order names its verb once, at its start.
CHANGE_VERBS = frozenset(
    {"restart", "restarts", "restarting", "reboot", "reboots", "rebooting", "bounce", "bouncing", "recycle"}
    | {"scale", "scales", "scaling", "resize", "resizing", "stop", "stops", "stopping", "halt", "halting"}
    | {"pause", "pausing", "start", "starts", "starting", "boot", "booting", "resume", "resuming", "kill"}
    | {"killing", "shutdown", "shutting", "failover", "failing", "switch", "switching", "spin", "spinning"}
    | {"bump", "bumping", "drop", "dropping", "launch", "launching", "terminate", "terminating", "suspend"}
    | {"deallocate", "disable", "enable", "emergency"}
)
# Never part of a resource name: a "target" holding one of these is a sentence, not a name.
_NOT_IN_NAMES = (
    CHANGE_VERBS
    | _NEGATIONS
    | _REPORTING
    | _SUPPOSING
    | {"i", "we", "you", "he", "she", "they", "it", "me", "us", "more", "extra", "additional", "please", "pls"}
)


def mood(
    words: Sequence[str],
    clause_ends: Sequence[bool],
    start: int,
    end: int,
    *,
    question: bool,
    request: bool,
) -> Mood:
    """How the sentence `words` says the change a rule read at words[start:end]. `clause_ends[i]` is True when
    punctuation follows words[i]; `question` when the text ended with "?"; `request` when it opened with a
    polite "can you" (a request, not a question about whether we can)."""
    every = frozenset(words)
    if not every.isdisjoint(_NEGATIONS):
        return Mood.NEGATED
    if (question and not request) or (start > 0 and words[0] in _ASKING):
        return Mood.QUESTION
    if not every.isdisjoint(_REPORTING):
        return Mood.REPORTED
    if not every.isdisjoint(_SUPPOSING):
        return Mood.HYPOTHETICAL
    if any(clause_ends[start : end - 1]):  # "stop! web-prod is fine": the verb ends its own clause
        return Mood.INTERJECTION
    dropped = frozenset(words[end:])
    if not dropped.isdisjoint(_REMARKING) or not dropped.isdisjoint(CHANGE_VERBS):
        return Mood.INTERJECTION
    return Mood.ORDER


def names_nothing(phrase: str) -> bool:
    """A phrase read as a resource that is part of a sentence instead ("if needed scale web-prod")."""
    return any(word in _NOT_IN_NAMES for word in phrase.lower().split())
