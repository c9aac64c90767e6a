"""`opsbot parse`: the parser's view of a message, with the target resolved against the inventory
as the conversation would resolve it (an id, whole or the cloud's part or a unique prefix; exact or normalised
names; fuzzy ones are shown as candidates, never substituted)."""

from __future__ import annotations

from dataclasses import dataclass, field

from actions.simulated.inventory import generate_inventory
from conversation.services import Index, named
from core.settings import Settings
from intents.parser import parse
from intents.resolve import Resolver


@dataclass(frozen=True)
class Understanding:
    intent: str
    slots: dict[str, object]
    confidence: float
    did_you_mean: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {"intent": self.intent, "slots": self.slots, "confidence": self.confidence}
        if self.did_you_mean:
            out["did_you_mean"] = list(self.did_you_mean)
        return out


class Understander:
    def __init__(self, settings: Settings) -> None:
        inventory = tuple(generate_inventory(seed=settings.sim_seed, size=settings.sim_resources))
        by_name, shared = named(inventory)
        # As the conversation builds it: group members are found by their exact name (or id) only.
        resolver = Resolver(r.name for r in inventory if r.group is None)
        self._index = Index(inventory, by_name, resolver, shared)

    def understand(self, text: str) -> Understanding:
        intent = parse(text)
        slots = intent.slots.present()
        candidates: tuple[str, ...] = ()
        if intent.slots.target is not None:
            resolution = self._index.resolve(intent.slots.target)
            if resolution.match is not None:
                slots["target"] = resolution.match
            else:
                candidates = resolution.candidates
        return Understanding(intent.name.value, slots, round(intent.confidence, 3), candidates)
