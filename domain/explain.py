"""How a score explains itself: a tree of figures, each with its formula and the entries behind it.

A node is `{label, value, formula, children, entries}` (docs/commands.md §4, `score`). Labels and formulas are
in the plan's Chinese, for the office's clerks (the names are `domain.labels`'); only codes, numbers,
dates and the operators of a formula are not words. A leaf either cites at least one ledger entry or
says in its formula why none: such formulas start with one of `NO_ENTRY_PREFIXES`, so a reader (and a
test) can tell.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .decimals import fmt

#: how a formula starts when its figure still waits for an input (counted 0 meanwhile); the pages
#: mark such nodes 待定
PENDING = "待定："
#: how a leaf's formula starts when it has nothing to cite and waits for nothing (e.g. no bonus)
NO_ENTRY = "无记录："
NO_ENTRY_PREFIXES = (PENDING, NO_ENTRY)


@dataclass
class Node:
    label: str
    value: Decimal
    formula: str
    children: list[Node] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "value": fmt(self.value),
            "formula": self.formula,
            "children": [child.as_json() for child in self.children],
            "entries": [dict(entry) for entry in self.entries],
        }

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def leaves(self) -> Iterator[Node]:
        return (node for node in self.walk() if not node.children)

    def find(self, label_part: str) -> Node | None:
        """The first node (depth first) whose label contains `label_part`; for tests and readers."""
        return next((node for node in self.walk() if label_part in node.label), None)


def leaf_without_entries(label: str, value: Decimal, why: str, *, pending: bool = False) -> Node:
    """A leaf that has nothing to cite, saying why (every leaf cites an entry or says why none)."""
    return Node(label, value, (PENDING if pending else NO_ENTRY) + why)
