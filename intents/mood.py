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
# Words that take back what came before when they open what follows ("restart db-prod, no wait").
_TAKING_BACK = frozenset(
    {"no", "not", "nope", "never", "wait", "actually", "cancel", "abort", "hold", "undo", "nevermind", "nvm", "dont"}
    | {"stop", "scratch", "belay", "jk", "kidding", "oops", "sorry", "hmm"}
)
_CHANGED_MIND = frozenset(
    {"no", "nope", "wait", "actually", "cancel", "abort", "nevermind", "nvm", "undo", "scratch", "belay", "jk"}
)
_LATER = frozenset({"week", "month", "year", "weekend", "time", "sprint", "release", "deploy", "morning", "day"})
# A change of mind anywhere after the order's clause ("..., the spike is huge - wait").
_SECOND_THOUGHTS = frozenset({"wait", "actually", "nevermind", "nvm", "jk", "cancel", "abort", "scratch", "undo"})
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
    | {"deallocated", "shrunk", "grew", "grown", "cycled", "kicked", "someone", "somebody", "anyone", "anybody"}
    | {"everyone", "think", "guess", "heard", "saw"}
    | {"deployed", "redeployed", "released", "shipped", "rolled", "reverted", "promoted", "pushed", "cancelled"}
    | {"canceled", "aborted", "undid", "undone"}
)
# Someone said before the verb: a report or a plan, not an order ("bob restarted ...", "we restart ...").
_SUBJECTS = frozenset({"we", "i", "he", "she", "they", "you", "someone", "somebody", "everyone", "anyone"})
_PAST = frozenset({"yesterday", "ago", "already", "earlier", "previously", "twice"})
# Only on a condition, or later: anywhere in the order's own clause.
_CONDITIONS = frozenset(
    {"if", "when", "whenever", "unless", "once", "later", "tomorrow", "eventually", "soon", "case", "until", "till"}
    | {"after", "afterwards", "whether", "suppose", "imagine", "monday", "tuesday", "wednesday", "thursday", "friday"}
    | {"saturday", "sunday"}
)
# Not an order when they come before its verb ("we might need to scale web-prod").
_MODAL = frozenset(
    {"maybe", "perhaps", "might", "may", "could", "would", "should", "shall", "will", "gonna", "going", "plan"}
    | {"planning", "planned", "probably", "possibly", "must", "ought"}
)
# Words of negation that are the order's own verb when they open it ("undo the web deploy", "cancel deploy web",
# "hold the deploy"): said first, they negate nothing (nor does "on hold").
_NEGATING_VERBS = frozenset({"undo", "cancel", "abort", "hold"})
# Said of a resource that needs nothing done ("web-prod is fine").
FINE = frozenset({"fine", "ok", "okay", "good", "healthy", "recovered", "stable", "alright", "fixed", "resolved"})
# Words after an order that turn it into a remark ("stop web-prod is fine").
_REMARKING = FINE | {"from"}
_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "its", "our", "my", "another", "after", "before", "by"})
# Every form of the verbs that change things: an order names its verb once, at its start.
CHANGE_VERBS = frozenset(
    {"restart", "restarts", "restarting", "reboot", "reboots", "rebooting", "bounce", "bouncing", "recycle"}
    | {"scale", "scales", "scaling", "resize", "resizing", "stop", "stops", "stopping", "halt", "halting"}
    | {"pause", "pausing", "start", "starts", "starting", "boot", "booting", "resume", "resuming", "kill"}
    | {"killing", "shutdown", "shutting", "failover", "switch", "switching", "spin", "spinning"}
    | {"bump", "bumping", "drop", "dropping", "launch", "launching", "terminate", "terminating", "suspend"}
    | {"deallocate", "disable", "enable", "deploy", "deploying", "redeploy", "rollback", "revert", "reverting"}
)
# Words that make what they are said with no order: a remark holding one does not come before an order.
UNORDERING = _NEGATIONS | _TAKING_BACK | _CHANGED_MIND | _REPORTING | _PAST | _CONDITIONS | _MODAL
# Every word that says how a change is said: a slip is never corrected into one ("every" is no "never").
MARKERS = (
    _SUBJECTS
    | _NEGATIONS
    | _TAKING_BACK
    | _CHANGED_MIND
    | _ASKING
    | _REPORTING
    | _PAST
    | _CONDITIONS
    | _MODAL
    | _REMARKING
)
# Never part of a resource name: a "target" holding one of these is a sentence, not a name.
_NOT_IN_NAMES = (
    CHANGE_VERBS
    | _NEGATIONS
    | _CHANGED_MIND
    | {"kidding", "nevermind", "actually", "oops"}
    | _REPORTING
    | _CONDITIONS
    | _MODAL
    | _PAST
    | {"fine", "healthy", "recovered", "stable", "alright", "fixed", "resolved", "loop", "back", "the", "a", "an"}
    | {"now", "right", "keep", "keeps", "failing", "stuck", "hung", "dead", "emergency", "needs", "looks", "seems"}
    | {"because", "since", "cause", "cuz", "coz", "while", "so", "but", "though", "although", "before", "during"}
    | {"cost", "costs", "costing", "spend", "spending", "bill"}
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
    asked: frozenset[int] = frozenset(),
) -> Mood:
    """How the sentence `words` says the change a rule read at words[start:end]. `clause_ends[i]` is True when
    punctuation follows words[i]; `question` when the text ended with "?"; `request` when it opened with a
    polite "can you" (a request, not a question about whether we can); `asked` holds the words a "?" follows
    ("restart db-prod? or not"). The order's own clause is judged
    whole; the other clauses only when they take it back ("..., no wait") or set a condition ("if ..., ...")."""
    first, last = _clause(clause_ends, start, end)
    before, said, after = words[first:start], words[start:end], words[end:last]
    own = frozenset(words[first:last])
    verb_said = [w for i, w in enumerate(said) if not _verb_not_negation(said, i)]
    if not _NEGATIONS.isdisjoint(before) or not _NEGATIONS.isdisjoint(verb_said):
        return Mood.NEGATED
    if any(tail and tail[0] in _TAKING_BACK for tail in (after, *_later_clauses(words, clause_ends, last))):
        return Mood.NEGATED
    if not _CHANGED_MIND.isdisjoint(after):  # "scale web-prod to 20 - actually no"
        return Mood.NEGATED
    later = [w for clause in _later_clauses(words, clause_ends, last) for w in clause]
    if not _SECOND_THOUGHTS.isdisjoint(later):  # "burst scale web-prod, the spike is huge - wait"
        return Mood.NEGATED
    if (last - 1 in asked and not request) or _or_not(words[end:]):  # "restart db-prod? or not"
        return Mood.QUESTION
    if (question and not request and last == len(words)) or (before and before[0] in _ASKING):
        return Mood.QUESTION
    if not (_REPORTING | _SUBJECTS).isdisjoint(before) or not _REPORTING.isdisjoint(said) or not _PAST.isdisjoint(own):
        return Mood.REPORTED
    if not _CONDITIONS.isdisjoint(own) or not _MODAL.isdisjoint(before) or _next_time(words[first:last]):
        return Mood.HYPOTHETICAL
    if any(words[i] in _CONDITIONS for i, _ in _earlier_clauses(clause_ends, first)):
        return Mood.HYPOTHETICAL
    if any(clause_ends[start : end - 1]):  # "stop! web-prod is fine": the verb ends its own clause
        return Mood.INTERJECTION
    if not _REMARKING.isdisjoint(after) or _verb_in(after):
        return Mood.INTERJECTION
    return Mood.ORDER


def _verb_not_negation(said: Sequence[str], i: int) -> bool:
    """A word of negation that is the order's own verb ("undo the web deploy", "put the deploy on hold")."""
    return (i == 0 and said[i] in _NEGATING_VERBS) or (said[i] == "hold" and i > 0 and said[i - 1] == "on")


def _next_time(words: Sequence[str]) -> bool:
    """ "... next week" is later; "for the next hour" is how long, from now."""
    return any(words[i] == "next" and words[i + 1] in _LATER for i in range(len(words) - 1))


def _or_not(words: Sequence[str]) -> bool:
    return any(words[i : i + 2] == ("or", "not") or words[i : i + 2] == ("or", "no") for i in range(len(words)))


def _verb_in(words: Sequence[str]) -> bool:
    """A change verb used as one ("... from scaling", "... then restart"), not as a noun ("for the launch")."""
    return any(w in CHANGE_VERBS and (i == 0 or words[i - 1] not in _DETERMINERS) for i, w in enumerate(words))


def _clause(clause_ends: Sequence[bool], start: int, end: int) -> tuple[int, int]:
    """(first, last) of the clause around words[start:end]."""
    first = start
    while first > 0 and not clause_ends[first - 1]:
        first -= 1
    last = max(end, start + 1)
    while last < len(clause_ends) and not clause_ends[last - 1]:
        last += 1
    return first, last


def _later_clauses(words: Sequence[str], clause_ends: Sequence[bool], last: int) -> list[Sequence[str]]:
    found: list[Sequence[str]] = []
    start = last
    for i in range(last, len(words)):
        if clause_ends[i] or i == len(words) - 1:
            found.append(words[start : i + 1])
            start = i + 1
    return found


def _earlier_clauses(clause_ends: Sequence[bool], first: int) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    start = 0
    for i in range(first):
        if clause_ends[i]:
            found.append((start, i + 1))
            start = i + 1
    return found


def names_nothing(phrase: str) -> bool:
    """A phrase read as a resource that is part of a sentence instead ("if needed scale web-prod")."""
    return any(word in _NOT_IN_NAMES for word in phrase.lower().split())
