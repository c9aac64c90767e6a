"""Where a value is in a YAML file: the line of the value at a pydantic error location, found in the node tree
yaml composes (each node knows its line), so that a problem found in the plain data can be told as FILE:LINE."""

from __future__ import annotations

from collections.abc import Sequence

import yaml


def line_of(root: yaml.Node | None, loc: Sequence[str | int]) -> int:
    """The line of the value at `loc`, or of its nearest parent that exists (1 for an empty file)."""
    node = root
    if node is None:
        return 1
    mark = node.start_mark
    for part in loc:
        if part == "[key]":
            break
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    child, mark = value, key.start_mark  # a key's line reads better than a block value's
                    break
        elif isinstance(node, yaml.SequenceNode):
            if isinstance(part, int) and 0 <= part < len(node.value):
                child = node.value[part]
            else:  # a list the schema turned into a mapping: find the item by its text
                child = next((n for n in node.value if getattr(n, "value", None) == str(part)), None)
            if child is not None:
                mark = child.start_mark
        if child is None:
            break
        node = child
    return mark.line + 1
