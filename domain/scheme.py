"""The evaluation scheme as data: versioned, amendable, never constants in code.

The document is the JSON of `domain/data/scheme-2018.json` (numbers as decimal strings). An
amendment is a partial document merged over the one in force; the result names its own version.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7386): objects merge key by key, null deletes, anything else replaces."""
    result = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


@dataclass(frozen=True)
class Scheme:
    data: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.data["version"])

    def amended(self, patch: dict[str, Any]) -> Scheme:
        if "version" not in patch:
            raise ValueError("an amendment must name its new version")
        return Scheme(merge(self.data, patch))

    def dec(self, *path: str) -> Decimal:
        node: Any = self.data
        for key in path:
            node = node[key]
        return Decimal(str(node))

    def levels(self, group: str) -> dict[str, Decimal]:
        return {level: Decimal(w) for level, w in self.data["levels"][group].items()}

    def methods(self, group: str) -> list[str]:
        return list(self.data["methods"][group])

    def bonus_item(self, code: str) -> dict[str, Any] | None:
        return self.data["bonus"]["items"].get(code)

    def penalty_item(self, code: str) -> dict[str, Any] | None:
        return self.data["penalty"]["items"].get(code)

    @staticmethod
    def is_funding_item(item: dict[str, Any]) -> bool:
        return "funding" in item

    @staticmethod
    def is_set_per_award(item: dict[str, Any]) -> bool:
        return "min" in item and "max" in item
