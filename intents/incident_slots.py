"""Slot readers of incidents: a severity as said ("sev1", "sev 1", "severity one", "p1"), an incident's number
("inc 7", spoken "inc seven"), and a note - the free words after a command (a declared incident's title, an
update, a resolution's summary), kept as typed. A note that names a resource ("web-prod down") names the
incident's target too, so a declared incident knows its service."""

from __future__ import annotations

from intents.numbers import is_digits, read_number
from intents.reading import Input, Yield

_MAX_NOTE = 500  # Slots.note's own limit
_SEVERITIES = 4
_SEVERITY_WORDS = frozenset({"sev", "severity", "p", "priority"})
# Words that open a note and say nothing of it ("declare sev1: web-prod down", "... update: lagging").
_NOTE_LEADS = frozenset({"with", "saying", "note", "summary"})


def _severity(number: int | None) -> str | None:
    return f"sev{number}" if number is not None and 1 <= number <= _SEVERITIES else None


def read_severity(inp: Input, start: int) -> Yield:
    """ "sev1", "SEV-2", "p1", "sev 1", "severity one" -> "sev1".."sev4"."""
    word = inp.words[start]
    for lead in ("severity", "sev", "p"):
        if word.startswith(lead) and is_digits(word[len(lead) :].lstrip("-")):
            found = _severity(int(word[len(lead) :].lstrip("-")))
            if found is not None:
                yield start + 1, {"severity": found}
            return
    if word in _SEVERITY_WORDS:
        number = read_number(inp.words, start + 1)
        found = _severity(number[0]) if number is not None else None
        if number is not None and found is not None:
            yield number[1], {"severity": found}


def read_incident_id(inp: Input, start: int) -> Yield:
    """An incident's number: "7", "#7", "seven", or digits read one by one ("four two"); a spoken run may end
    early, longest first ("inc four two update ..." is 42)."""
    found = read_number(inp.words, start)
    if found is None or found[0] < 1:
        return
    yield found[1], {"incident_id": found[0]}
    for end in range(found[1] - 1, start, -1):
        shorter = read_number(inp.words[:end], start)
        if shorter is not None and shorter[1] == end and shorter[0] >= 1:
            yield end, {"incident_id": shorter[0]}


def read_note(inp: Input, start: int) -> Yield:
    """The rest of the message as typed; a resource name in it ("web-prod down") is the target too."""
    i = start
    while i < len(inp.words) - 1 and inp.words[i] in _NOTE_LEADS:
        i += 1
    if i >= len(inp.words):
        return
    note = " ".join(inp.raws[i:])[:_MAX_NOTE]
    names = [raw for word, raw in zip(inp.words[i:], inp.raws[i:], strict=True) if _names_a_resource(word)]
    yield len(inp.words), {"note": note, **({"target": names[0]} if len(names) == 1 else {})}


def _names_a_resource(word: str) -> bool:
    """ "web-prod", "db-2": a hyphen between letters and more, never a number or a time ("5-10")."""
    return "-" in word[1:-1] and word[0].isalpha() and not word.startswith(("sev", "p-"))


def words() -> frozenset[str]:
    """The words these readers know (a recogniser's vocabulary; never slips of another word)."""
    severities = frozenset(f"sev{n}" for n in range(1, _SEVERITIES + 1))
    return (_SEVERITY_WORDS - {"p"}) | _NOTE_LEADS | severities
