"""Bags of filters in any order ("stopped instances in gcp", "cost last month by provider"): the slots of
searches, status questions and cost reports."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from intents import vocab
from intents.cost_slots import read_compare, read_day, read_month
from intents.reading import CONNECTIVES, Input, Values, Yield

_SCOPE_STOP = frozenset(
    {"of", "in", "on", "at", "for", "the", "all", "everything", "things", "stuff", "overall", "whole", "entire"}
    | {"our", "my", "platform", "system", "systems", "infra", "infrastructure", "cloud", "clouds", "across"}
    | {"everywhere", "region", "environment", "env", "side", "we", "it", "today", "with", "anything", "something"}
)
_SEARCH_STOP = _SCOPE_STOP | {
    *("me", "show", "that", "which", "are", "is", "were", "was", "currently", "right", "any", "some", "every"),
    *("there", "resources", "resource", "items", "a", "an", "from", "called", "named", "like", "matching", "with"),
    *("whose", "name", "names", "containing", "contains", "with", "have", "has", "what", "those", "these", "now"),
}
_COST_STOP = _SCOPE_STOP | {
    *("so", "far", "much", "did", "do", "does", "we", "are", "is", "was", "were", "spend", "spent", "spending"),
    *("cost", "costs", "total", "what", "this", "breakdown", "broken", "down", "me", "show", "up", "till"),
    *("until", "to", "date", "us", "been", "have", "has", "paying", "pay", "paid", "of", "from", "by", "with"),
    *("over", "during", "in", "per", "a"),
}
_ALERT_STOP = _SCOPE_STOP | {"open", "active", "firing", "current", "new", "critical", "any", "there", "are", "me"}

# Words the bags pass over: words of the language, never slips of another word.
STOP_WORDS = _SEARCH_STOP | _COST_STOP | _ALERT_STOP

ItemReader = Callable[[Sequence[str], int], tuple[object, int] | None]
_ITEMS: Mapping[str, ItemReader] = {
    "provider": vocab.read_provider,
    "region": vocab.read_region,
    "environment": vocab.read_environment,
    "period": vocab.read_period,
    "group_by": vocab.read_group_by,
    "kind": vocab.read_kind,
    "state": vocab.read_state,
    "compare": read_compare,
    "day": read_day,
    "month": read_month,
}


@dataclass(frozen=True)
class Bag:
    """Filters in any order ("stopped instances in gcp"), each word read by the first item reader that knows
    it; stop words are dropped; other words go to `query` when the bag takes free text, else end the bag."""

    items: tuple[str, ...]
    stop: frozenset[str]
    free_text: bool = False
    require: tuple[str, ...] = ()  # at least one of these must be present
    # Only a plural kind ("databases") makes a list; "show checkout prod vm 138" names one machine.
    plural_kinds: bool = False

    def __call__(self, inp: Input, start: int) -> Yield:
        values: Values = {}
        query: list[str] = []
        i = start
        while i < len(inp.words):
            i = self._read_one(inp, i, values, query)
            if i < 0:
                return
            if query:
                values["query"] = " ".join(query)
            if not self.require or any(name in values for name in self.require):
                yield i, dict(values)

    def _read_one(self, inp: Input, i: int, values: Values, query: list[str]) -> int:
        """Reads one item into `values`/`query`; the index after it, or -1 when the bag cannot go on."""
        for name in self.items:
            found = _ITEMS[name](inp.words, i)
            if found is not None:
                if name == "kind" and self.plural_kinds and not inp.words[found[1] - 1].endswith("s"):
                    return -1
                if values.setdefault(name, found[0]) != found[0]:
                    return -1  # two different providers (or periods...) in one command
                return found[1]
        if inp.words[i] in self.stop:
            return i + 1
        if self.free_text and inp.words[i] not in CONNECTIVES:
            query.append(inp.raws[i])
            return i + 1
        return -1


SCOPE = Bag(("provider", "region", "environment"), _SCOPE_STOP)
SEARCH = Bag(("provider", "region", "environment", "kind", "state"), _SEARCH_STOP, free_text=True)
TYPED_SEARCH = Bag(
    ("provider", "region", "environment", "kind", "state"), _SEARCH_STOP, True, ("kind", "state"), plural_kinds=True
)
# A period first: "yesterday" is a period of a cost report, a day only where one day is asked about (why).
_COST_ITEMS = ("compare", "period", "group_by", "provider", "region", "environment", "day", "month")
COST = Bag(_COST_ITEMS, _COST_STOP)
COST_GROUPED = Bag(_COST_ITEMS, _COST_STOP, require=("group_by",))  # "top spenders by team"
# After a resource phrase only the period and grouping: "cost of api dr last month" is the cost of api-dr.
COST_TAIL = Bag(("compare", "period", "group_by", "day", "month"), _COST_STOP)
# A jump is on one day ("yesterday" too), somewhere.
COST_DAY = Bag(("day", "provider", "region", "environment"), _COST_STOP)
_EXPORT_STOP = _COST_STOP | {"csv", "gz", "gzip", "file", "spreadsheet", "excel", "as", "an", "data", "report"}
COST_EXPORT = Bag(("period", "month", "provider", "region", "environment", "group_by"), _EXPORT_STOP)
ALERT_SCOPE = Bag(("provider", "region", "environment"), _ALERT_STOP)
