"""YAML that remembers where things are. The file is composed into yaml's node tree (each node knows its
line) and constructed from that same tree, so a problem found later in the plain data can be reported as
FILE:LINE. PyYAML silently keeps the last of two equal keys; here that is an error."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from core.errors import ConfigError
from core.setting_errors import key_problem
from core.yaml_lines import line_of


@dataclass(frozen=True)
class YamlDocument:
    path: Path
    root: yaml.Node | None  # None for an empty file
    data: object

    def where(self, loc: Sequence[str | int]) -> str:
        """'FILE:LINE' of the value at `loc` (a pydantic error location), or of its nearest parent."""
        return f"{self.path}:{self._line(loc)}"

    def _line(self, loc: Sequence[str | int]) -> int:
        return line_of(self.root, loc)

    def problems(self, found: Iterable[tuple[Sequence[str | int], str]]) -> list[str]:
        """'FILE:LINE: what' for each (location, what), in the order of the file."""
        located = sorted(((self._line(loc), what) for loc, what in found), key=lambda item: item[0])
        return [f"{self.path}:{line}: {what}" for line, what in located]

    def mapping(self, what: str, needs: str) -> dict[str, Any]:
        """The file's top-level mapping. Raises ConfigError 'FILE: not <what>' (its problem: 'FILE:1: expected a
        mapping with at least <needs>') when the file holds anything else, or nothing."""
        if not isinstance(self.data, dict):
            raise ConfigError(f"{self.path}: not {what}", [f"{self.path}:1: expected a mapping with at least {needs}"])
        return self.data

    def validation_problems(self, exc: ValidationError) -> list[str]:
        return self.problems((err["loc"], describe(err)) for err in exc.errors())


_EXPECTED = {
    "model_type": "a mapping (key: value)",
    "dict_type": "a mapping (key: value)",
    "list_type": "a list",
    "tuple_type": "a list",
    "string_type": "text",
}
_KINDS = {"str": "text", "int": "a number", "float": "a number", "bool": "true or false", "NoneType": "nothing",
          "list": "a list", "dict": "a mapping", "date": "a date", "datetime": "a date and time"}  # fmt: skip


def describe(err: ErrorDetails) -> str:
    """pydantic's message, phrased for someone editing a YAML file."""
    kind = err["type"]
    if (about_keys := key_problem(err)) is not None:
        return about_keys
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, not {_KINDS.get(type(err['input']).__name__, 'that')}"
    message = err["msg"]
    return message.removeprefix("Value error, ")


def read_yaml(path: Path) -> YamlDocument:
    """Parse `path`. Raises ConfigError for unreadable files, YAML syntax errors and duplicate keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            duplicates = [f"{path}:{line}: {what}" for line, what in sorted(_duplicate_keys(root))]
            if duplicates:
                raise ConfigError(f"{path}: duplicate keys", duplicates)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        what = exc.problem or exc.context or "syntax error"
        if "alias" in (exc.context or ""):
            what += " (quote a lone '*')"
        elif exc.context and exc.context_mark is not None and exc.context_mark is not mark:
            what += f" ({exc.context} on line {exc.context_mark.line + 1})"  # where an unclosed '[' starts
        raise ConfigError(f"{path}{line}: not valid YAML: {what}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    finally:
        loader.dispose()
    return YamlDocument(path=path, root=root, data=data)


def _duplicate_keys(root: yaml.Node) -> Iterator[tuple[int, str]]:
    seen_nodes: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:  # aliases share nodes (and may even loop)
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    line = key.start_mark.line + 1
                    if key.value in first:
                        yield line, f"duplicate key '{key.value}' (first on line {first[key.value]})"
                    first.setdefault(key.value, line)
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
