"""The README's walkthrough, replayed line by line in `opsbot shell` on the embedded defaults (what `make demo`
starts): every line the README shows opsbot saying must be said, in the same message and in the same order.

What differs from run to run is normalised on both sides: confirmation codes, clock times, durations, and the
message numbers (matched by order of appearance). Between two typed lines the script waits for the conversation's
jobs (`/wait`), as a person reads a reply before typing the next line. A README line ending in "..." promises
only what comes before it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
OPSBOT = str(Path(sys.executable).parent / "opsbot")

_TYPED = re.compile(r"^(?P<user>[a-z]+)> (?P<text>.*)$")
_BOT = re.compile(r"^opsbot (?:#(?P<post>\d+)|\(update #(?P<edit>\d+)\)) (?P<text>.*)$")
_CODE = re.compile(r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6}\b")


@dataclass
class Transcript:
    typed: list[tuple[str, str]] = field(default_factory=list)  # (user, text)
    said: dict[str, list[str]] = field(default_factory=dict)  # message number -> its lines, in order
    order: list[str] = field(default_factory=list)  # message numbers by first appearance


def _normalise(line: str) -> str:
    line = _CODE.sub("CODE", line)
    line = re.sub(r"\b\d{1,2}:\d{2}\b", "HH:MM", line)
    line = re.sub(r"\(\d+(?:\.\d+)? s\)", "(N s)", line)
    return " ".join(line.split())


def _read(lines: list[str]) -> Transcript:
    """Typed lines and bot messages; indented lines continue the message above them."""
    transcript = Transcript()
    current: str | None = None
    for raw in lines:
        typed, bot = _TYPED.match(raw), _BOT.match(raw)
        if typed:
            transcript.typed.append((typed["user"], typed["text"]))
            current = None
        elif bot:
            current = bot["post"] or bot["edit"]
            if current not in transcript.said:
                transcript.said[current] = []
                transcript.order.append(current)
            transcript.said[current].append(_normalise(bot["text"]))
        elif current is not None and raw.startswith("  ") and raw.strip():
            transcript.said[current].append(_normalise(raw))
    return transcript


def _walkthroughs() -> list[list[str]]:
    """The README's fenced blocks that hold a conversation (typed lines and opsbot's answers)."""
    blocks = re.findall(r"^```\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.M | re.S)
    return [block.splitlines() for block in blocks if any(_TYPED.match(line) for line in block.splitlines())]


def _script(typed: list[tuple[str, str]]) -> str:
    speaker, lines = "alice", []
    for user, text in typed:
        if user != speaker:
            lines.append(f"/as {user}")
            speaker = user
        lines += [text, "/wait"]
    return "\n".join(lines) + "\n"


def _shows(promised: str, said: str) -> bool:
    if promised.endswith("..."):
        return said.startswith(promised.removesuffix("...").rstrip(" ,"))
    return said == promised


def _in_order(promised: list[str], said: list[str]) -> list[str]:
    """The promised lines missing from `said` when read in order (empty when all are there)."""
    missing, position = [], 0
    for line in promised:
        found = next((i for i in range(position, len(said)) if _shows(line, said[i])), None)
        if found is None:
            missing.append(line)
        else:
            position = found + 1
    return missing


def test_the_readme_walkthrough_gives_what_the_readme_shows(tmp_path: Path) -> None:
    walkthroughs = _walkthroughs()
    assert walkthroughs, "the README has no walkthrough"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")}
    env["OPSBOT_DATA_DIR"] = str(tmp_path / "data")
    for block in walkthroughs:
        readme = _read(block)
        done = subprocess.run(
            [OPSBOT, "shell"], input=_script(readme.typed), capture_output=True, text=True, env=env,
            timeout=180, cwd=tmp_path, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        shell = _read(done.stdout.splitlines())
        assert len(shell.order) >= len(readme.order), done.stdout
        for theirs, ours in zip(readme.order, shell.order, strict=False):
            missing = _in_order(readme.said[theirs], shell.said[ours])
            assert not missing, f"README message #{theirs} promises {missing}; the shell said:\n{done.stdout}"
