"""Parse + resolve latency against the 10,000-resource simulated inventory, over generated commands and over the
on-call chat corpus (bench/corpus), and the corpus's accuracy tables: exact reads per split and category, lines
that must never be a change read as one, and held-out misses counted per expected intent (never listed)."""

from __future__ import annotations

import random
import re
import time

from actions.simulated.inventory import generate_inventory
from bench.corpus.report import accuracy_figures, read_all
from bench.figures import Figure
from core.metrics import quantile
from intents.parser import parse
from intents.resolve import Resolver

ROUNDS = 3
_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

# (template, intent it should be read as); {t} a resource phrase, {n} a number as digits or words.
TEMPLATES: tuple[tuple[str, str], ...] = (
    ("scale {t} to {n}", "scale"),
    ("set {t} to {n} instances", "scale"),
    ("/scale {t} {n}", "scale"),
    ("add {n} instances to {t}", "scale"),
    ("scale up {t} by {n}", "scale"),
    ("scale down {t} by {n}", "scale"),
    ("remove {n} nodes from {t}", "scale"),
    ("restart {t}", "restart"),
    ("reboot the {t} please", "restart"),
    ("stop {t}", "stop"),
    ("start {t}", "start"),
    ("turn off {t}", "stop"),
    ("show {t}", "show"),
    ("details of {t}", "show"),
    ("what is {t}", "show"),
    ("@opsbot status of {t}", "status"),
    ("emergency scale {t}", "emergency_scale"),
    ("shut down {t} now", "shutdown"),
    ("fail over {t} to dr", "failover"),
    ("cost of {t} last month", "cost"),
    ("find {t}", "search"),
    ("ack {n}", "ack"),
    ("resolve alert {n}", "resolve"),
    ("status of prod", "status"),
    ("how's aws doing", "status"),
    ("list stopped instances in gcp", "search"),
    ("show running databases in eu-west-1", "search"),
    ("cost by provider", "cost"),
    ("forecast", "forecast"),
    ("who is on call", "oncall"),
    ("confirm K7Q2", "confirm"),
    ("never mind", "cancel"),
    ("help scale", "help"),
)


def spoken(number: int) -> str:
    """Words for 0..999, as a voice transcript has them."""
    if number < 10:
        return _UNITS[number]
    if number < 19:
        return _TEENS[number - 10]
    if number < 100:
        tens, unit = divmod(number, 10)
        return _TENS[tens] + ("" if unit == 0 else " " + _UNITS[unit])
    hundreds, rest = divmod(number, 100)
    return f"{_UNITS[hundreds]} hundred" + ("" if rest == 0 else " and " + spoken(rest))


def spoken_name(name: str) -> str:
    """ "search-staging-vm68" -> "search staging vm sixty eight"."""
    parts = re.findall(r"[a-z]+|\d+", name.lower())
    return " ".join(spoken(int(p)) if p.isdigit() and len(p) <= 3 else p for p in parts)


def _typo(name: str, rnd: random.Random) -> str:
    """One letter dropped, for the "did you mean" path."""
    i = rnd.randrange(1, len(name))
    return name[:i] + name[i + 1 :] if name[i].isalpha() else name


def build_corpus(names: list[str], size: int = 600, seed: int = 42) -> list[tuple[str, str]]:
    rnd = random.Random(seed)
    groups = [n for n in names if n.count("-") == 1][:50] or names[:50]
    corpus: list[tuple[str, str]] = []
    while len(corpus) < size:
        template, intent = rnd.choice(TEMPLATES)
        name = rnd.choice(groups) if rnd.random() < 0.6 else rnd.choice(names)
        forms = [name, name, name.upper(), name.replace("-", " "), _typo(name, rnd), name.split("-")[0]]
        if not name.startswith("vol-"):  # nobody reads a 17-digit volume id aloud
            forms.append(spoken_name(name))
        phrase = rnd.choice(forms)
        number = rnd.randint(1, 120)
        count = rnd.choice((str(number), spoken(number)))
        corpus.append((template.format(t=phrase, n=count), intent))
    return corpus


def run() -> list[Figure]:
    inventory = generate_inventory(seed=42, size=10_000)
    names = [r.name for r in inventory]
    start = time.perf_counter()
    resolver = Resolver(names)
    build = time.perf_counter() - start
    corpus = build_corpus(names)

    total: list[float] = []
    parsing: list[float] = []
    resolving: list[float] = []
    understood = resolved = targets = 0
    for round_ in range(ROUNDS + 1):  # round 0 warms caches and is not counted
        for text, expected in corpus:
            t0 = time.perf_counter()
            intent = parse(text)
            t1 = time.perf_counter()
            resolution = resolver.resolve(intent.slots.target) if intent.slots.target else None
            t2 = time.perf_counter()
            if round_ == 0:
                understood += intent.name.value == expected
                if resolution is not None:
                    targets += 1
                    resolved += resolution.match is not None
                continue
            total.append(t2 - t0)
            parsing.append(t1 - t0)
            if resolution is not None:
                resolving.append(t2 - t1)

    chat = [reading.entry.text for reading in read_all(parse)]
    chat_total: list[float] = []
    chat_cpu: list[float] = []  # CPU time: what a line costs, without the waits of a shared machine's scheduler
    for round_ in range(ROUNDS + 1):
        for text in chat:
            t0, c0 = time.perf_counter(), time.thread_time()
            intent = parse(text)
            if intent.slots.target:
                resolver.resolve(intent.slots.target)
            if round_:
                chat_total.append(time.perf_counter() - t0)
                chat_cpu.append(time.thread_time() - c0)

    paste = "restart db-prod " + "x" * 100_000
    t0 = time.perf_counter()
    parse(paste)
    paste_ms = (time.perf_counter() - t0) * 1000

    ms = 1000.0
    return [
        Figure("generated commands", len(corpus), "utterances"),
        Figure("generated commands read as intended", 100.0 * understood / len(corpus), "%"),
        Figure("parse targets resolved with certainty", 100.0 * resolved / max(1, targets), "%"),
        Figure("parse+resolve p50 (10,000 names)", quantile(total, 0.5) * ms, "ms"),
        Figure("parse+resolve p99 (10,000 names)", quantile(total, 0.99) * ms, "ms", "<= 1 ms"),
        Figure("parse only p99", quantile(parsing, 0.99) * ms, "ms"),
        Figure("parse+resolve p50, chat corpus", quantile(chat_total, 0.5) * ms, "ms"),
        Figure("parse+resolve p99, chat corpus", quantile(chat_total, 0.99) * ms, "ms", "<= 1 ms"),
        Figure("parse+resolve p99 CPU time, chat corpus", quantile(chat_cpu, 0.99) * ms, "ms", "<= 1 ms"),
        Figure("resolve only p99", quantile(resolving, 0.99) * ms, "ms"),
        Figure("resolver index build (10,000 names)", build * ms, "ms"),
        Figure("parse of a 100 KB paste", paste_ms, "ms"),
        *accuracy_figures(read_all(parse)),
    ]


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
