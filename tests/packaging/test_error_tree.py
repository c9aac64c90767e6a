"""The error tree drawn in core/errors.py's docstring is the one in the code: every exception class the shipped
packages define is an OpsbotError, drawn once, with its module and under its parent."""

from __future__ import annotations

import ast
import builtins
import importlib
import re
from pathlib import Path

import core.errors
from core.errors import OpsbotError

CHECKOUT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "bot", "intents", "actions", "workers", "policies", "voice", "audit", "conversation", "alerts")
_DRAWN = re.compile(r"^(?P<indent>\s*)[*+\-~] (?P<name>\w+)\s+(?P<module>[\w.]+)")
_BUILTIN_ERRORS = {n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)}


def drawn() -> dict[tuple[str, str], str | None]:
    """(module, class) -> its parent's name, from the docstring's indentation."""
    tree: dict[tuple[str, str], str | None] = {}
    parents: list[tuple[int, str]] = []
    for text in (core.errors.__doc__ or "").splitlines():
        found = _DRAWN.match(text)
        if found is None:
            continue
        indent, name = len(found["indent"]), found["name"]
        while parents and parents[-1][0] >= indent:
            parents.pop()
        tree[(found["module"], name)] = parents[-1][1] if parents else None
        parents.append((indent, name))
    return tree


def defined() -> set[tuple[str, str]]:
    """(module, class) of every exception class in the shipped packages, found in the source (nothing imported)."""
    classes: list[tuple[str, str, list[str]]] = []
    for package in PACKAGES:
        for path in sorted((CHECKOUT / package).rglob("*.py")):
            module = ".".join(path.relative_to(CHECKOUT).with_suffix("").parts).removesuffix(".__init__")
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    bases = [ast.unparse(b).rpartition(".")[2] for b in node.bases]
                    classes.append((module, node.name, bases))
    errors = set(_BUILTIN_ERRORS)
    found: set[tuple[str, str]] = set()
    while True:  # a class is an error when a base is one, also when that base is defined later in the walk
        more = {(m, n) for m, n, bases in classes if any(b in errors or b.endswith("Error") for b in bases)}
        if more <= found:
            return found
        found |= more
        errors |= {n for _, n in more}


def test_every_error_is_drawn_once_with_its_module() -> None:
    assert set(drawn()) == defined()


def test_every_error_is_an_opsbot_error_under_its_drawn_parent() -> None:
    for (module, name), parent in drawn().items():
        cls = getattr(importlib.import_module(module), name)
        assert issubclass(cls, OpsbotError), f"{module}.{name} is outside the tree"
        if parent is not None:
            assert cls.__bases__[0].__name__ == parent, f"{module}.{name} is drawn under {parent}"
