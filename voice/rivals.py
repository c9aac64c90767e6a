"""The sentences a transcript is most easily confused with: the same command with one commonly misheard part
changed - a teen for its ten ("seventeen" / "seventy"), one cloud for another, up for down, start for stop, a
neighbouring resource name, a failover for a scale of the same group to zero. The recogniser scores each
against the audio; how far the transcript is ahead of its best rival is the margin that says whether to ask,
and the rivals are what the user is offered in "Did you say X or Y?"."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from intents.numbers import TEENS, TENS

_TENS_BY_VALUE = {value: word for word, value in TENS.items() if word != "fourty"}
# A teen and the ten it is heard as, both ways: "fourteen" <-> "forty", and "fourteen" -> "four".
_NUMBER_RIVALS: dict[str, tuple[str, ...]] = {}
for _teen, _value in TEENS.items():
    _ten = _TENS_BY_VALUE.get((_value - 10) * 10)
    if _ten is not None:
        _NUMBER_RIVALS.setdefault(_teen, ())
        _NUMBER_RIVALS[_teen] += (_ten,)
        _NUMBER_RIVALS.setdefault(_ten, ())
        _NUMBER_RIVALS[_ten] += (_teen,)
_CLOUDS = ("aws", "azure", "gcp", "google")
# Words whose mix-up turns one change into another: "scale up" / "scale down", "start" / "stop" / "restart".
_OPPOSITES: dict[str, tuple[str, ...]] = {
    "up": ("down",),
    "down": ("up",),
    "start": ("stop", "restart"),
    "stop": ("start", "restart"),
    "restart": ("start", "stop"),
}
_FAILOVER = re.compile(r"^(?:fail over|failover) (?P<target>.+?) to (?P<destination>.+)$")
_SCALE_TO_ZERO = re.compile(r"^scale (?P<target>.+?) to zero$")
_MAX_RIVALS = 6


def rivals(text: str, resource_names: tuple[str, ...], accepts: Callable[[str], bool]) -> tuple[str, ...]:
    """Up to six whole grammar sentences (`accepts`) one confusion away from `text`, never `text` itself."""
    found: list[str] = []
    for candidate in _candidates(text, resource_names):
        if candidate != text and candidate not in found and accepts(candidate):
            found.append(candidate)
            if len(found) == _MAX_RIVALS:
                break
    return tuple(found)


def _candidates(text: str, resource_names: tuple[str, ...]) -> Iterator[str]:
    words = text.split()
    for i, word in enumerate(words):
        for other in _NUMBER_RIVALS.get(word, ()):
            yield " ".join([*words[:i], other, *words[i + 1 :]])
        others = _CLOUDS if word in _CLOUDS else _OPPOSITES.get(word, ())
        for other in others:
            yield " ".join([*words[:i], other, *words[i + 1 :]])
    failover = _FAILOVER.match(text)
    if failover:
        yield f"scale {failover['target']} to zero"
    scale = _SCALE_TO_ZERO.match(text)
    if scale:
        yield f"fail over {scale['target']} to dr"
    yield from _neighbour_names(text, resource_names)


def _neighbour_names(text: str, resource_names: tuple[str, ...]) -> Iterator[str]:
    """The named resource swapped for one that shares a word with it ("web prod" -> "web dr", "api prod")."""
    padded = f" {text} "
    for name in sorted(resource_names, key=len, reverse=True):
        if f" {name} " not in padded:
            continue
        parts = set(name.split())
        for other in resource_names:
            if other != name and parts & set(other.split()) and len(other.split()) == len(name.split()):
                yield padded.replace(f" {name} ", f" {other} ", 1).strip()
        return
