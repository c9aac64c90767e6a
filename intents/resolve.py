"""Resource phrases -> resource names. Certain matches only (exact, or equal once normalised); anything else
gives ranked candidates for a "did you mean X or Y?" question, never a single silent guess.

Fuzzy ranking is over a subset found through an index of name words: names whose words start with, or are
typos of, every word of the phrase. A full scan of 10,000 names costs about 0.8 ms; the subset a fraction."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz, process

from core.models import Frozen
from intents.numbers import NUMBER_WORDS, read_number

MAX_CANDIDATES = 5
_MAX_PHRASE_CHARS = 120
_WORD_TYPO_CUTOFF = 75.0  # "prd" ~ "prod", "stagin" ~ "staging"
_PARTIAL_CUTOFF = 50.0  # for names that miss one word of the phrase
_EXTRA_WORD_PENALTY = 10.0  # "web" -> "web-staging" before "web-dr-021d"
_MAX_WORDS = 6
_MAX_RANKED_PER_SLICE = 1500
_SPLIT = re.compile(r"[^\w]+|_")
# Words people add around a name that are not part of it ("the web-prod group").
_FILLER = frozenset(
    {"the", "group", "cluster", "asg", "service", "vm", "instance", "instances", "server", "servers", "nodes"}
    | {"scale-set", "scaleset", "database", "db-instance", "box", "machine", "resource"}
)


class Resolution(Frozen):
    match: str | None  # set only when certain: exact or normalised-exact ("web prod" -> "web-prod")
    candidates: tuple[str, ...]  # best fuzzy candidates (<= 5), best first, when match is None


def name_words(text: str) -> tuple[str, ...]:
    """ "Web_Prod two" -> ("web", "prod", "2"): lowercase words, spoken numbers as digits."""
    words = [w for w in _SPLIT.split(unicodedata.normalize("NFKC", text[:_MAX_PHRASE_CHARS]).lower()) if w]
    out: list[str] = []
    i = 0
    while i < len(words):
        found = read_number(words, i) if words[i] in NUMBER_WORDS else None
        if found is None:
            out.append(words[i])
            i += 1
        else:
            out.append(str(found[0]))
            i = found[1]
    return tuple(out)


class Resolver:
    """Built once per inventory version (about 10,000 names); `resolve` is pure and fast."""

    def __init__(self, names: Iterable[str]) -> None:
        unique = {n: name_words(n) for n in dict.fromkeys(names) if n.strip()}
        # Ids in (word count, length, name) order: a sorted subset of ids lists groups before their members,
        # and each word count is one contiguous slice.
        order = sorted(unique, key=lambda n: (len(unique[n]), len(n), n))
        self._names = tuple(order)
        self._exact = frozenset(order)
        self._keys = tuple("-".join(unique[n]) for n in order)
        self._word_counts = tuple(len(unique[n]) for n in order)
        self._by_key: dict[str, list[str]] = defaultdict(list)
        self._by_compact: dict[str, list[str]] = defaultdict(list)
        postings: dict[str, set[int]] = defaultdict(set)
        for index, (name, key) in enumerate(zip(self._names, self._keys, strict=True)):
            self._by_key[key].append(name)
            self._by_compact[key.replace("-", "")].append(name)
            for word in unique[name]:
                postings[word].add(index)
        self._postings = dict(postings)
        self._vocabulary = sorted(self._postings)
        self._alpha_words = [w for w in self._vocabulary if w.isalpha()]

    def resolve(self, phrase: str) -> Resolution:
        phrase = phrase.strip()[:_MAX_PHRASE_CHARS]
        if not phrase:
            return Resolution(match=None, candidates=())
        if phrase in self._exact:
            return Resolution(match=phrase, candidates=())
        words = name_words(phrase)
        trimmed = trim_filler(words)
        for attempt in (words, trimmed) if trimmed != words else (words,):
            certain = self._certain(attempt)
            if isinstance(certain, str):
                return Resolution(match=certain, candidates=())
            if certain:  # the same normalised name for several resources: ask
                return Resolution(match=None, candidates=certain[:MAX_CANDIDATES])
        return Resolution(match=None, candidates=self._fuzzy(trimmed or words))

    def _certain(self, words: Sequence[str]) -> str | tuple[str, ...]:
        if not words:
            return ()
        key = "-".join(words)
        same = self._by_key.get(key) or self._by_compact.get(key.replace("-", ""), [])
        if len(same) == 1:
            return same[0]
        return tuple(sorted(same))

    def _fuzzy(self, words: Sequence[str]) -> tuple[str, ...]:
        if not words:
            return ()
        per_word = [self._names_with(word) for word in words[:_MAX_WORDS]]
        subset = set.intersection(*per_word)
        cutoff = 0.0  # every word of the phrase is in these names: rank them all
        if not subset and len(per_word) > 1:  # one word may be wrong or missing: any all-but-one combination
            cutoff = _PARTIAL_CUTOFF
            for skip in range(len(per_word)):
                subset |= set.intersection(*(per_word[:skip] + per_word[skip + 1 :]))
        if not subset:
            return ()
        return self._rank("-".join(words), len(words), sorted(subset), cutoff)

    def _rank(self, key: str, word_count: int, ids: list[int], cutoff: float) -> tuple[str, ...]:
        """Best by similarity, less a penalty per word the name has beyond the phrase's, per word-count slice."""
        scored: list[tuple[float, int]] = []
        start = 0
        while start < len(ids):
            count = self._word_counts[ids[start]]
            end = bisect.bisect_left(ids, self._first_with_more_words(count), lo=start)
            chunk = ids[start : min(end, start + _MAX_RANKED_PER_SLICE)]  # shortest names first
            penalty = _EXTRA_WORD_PENALTY * max(0, count - word_count)
            choices = [self._keys[i] for i in chunk]
            for _choice, score, position in process.extract(
                key, choices, scorer=fuzz.ratio, limit=MAX_CANDIDATES, score_cutoff=cutoff
            ):
                scored.append((score - penalty, chunk[position]))
            start = end
        scored.sort(key=lambda hit: (-hit[0], hit[1]))
        return tuple(self._names[i] for _score, i in scored[:MAX_CANDIDATES])

    def _first_with_more_words(self, count: int) -> int:
        return bisect.bisect_right(self._word_counts, count)

    def _names_with(self, word: str) -> set[int]:
        """Names having a word equal to, starting with, or a likely typo of `word`."""
        found: set[int] = set(self._postings.get(word, ()))
        if len(word) >= 2:
            # "db" should not find every volume id that happens to start with the hex digits d, b
            vocabulary = self._alpha_words if word.isalpha() else self._vocabulary
            start = bisect.bisect_left(vocabulary, word)
            for known in vocabulary[start:]:
                if not known.startswith(word):
                    break
                found |= self._postings[known]
        if len(word) >= 3 and word.isalpha():
            for known, _score, _ in process.extract(
                word, self._alpha_words, scorer=fuzz.ratio, limit=None, score_cutoff=_WORD_TYPO_CUTOFF
            ):
                found |= self._postings[known]
        return found


def trim_filler(words: Sequence[str]) -> tuple[str, ...]:
    """Without the words people put around a name ("the web-prod group" -> "web-prod")."""
    start, end = 0, len(words)
    while start < end and words[start] in _FILLER:
        start += 1
    while end > start and words[end - 1] in _FILLER:
        end -= 1
    return tuple(words[start:end])
