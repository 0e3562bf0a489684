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


_NUMERIC_KEYS = frozenset({
    "indicator", "comprehensive", "bonus_cap", "individual", "common", "process", "annual", "half_year",
    "year_end", "leader", "office", "mutual", "base", "not_reported", "late", "substandard", "provincial",
    "municipal", "own", "county", "co_factor", "gate", "share", "points", "cap", "funding", "min", "max",
})


@dataclass(frozen=True)
class Scheme:
    data: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.data["version"])

    def amended(self, patch: dict[str, Any]) -> Scheme:
        if not isinstance(patch.get("version"), str) or not patch["version"].strip():
            raise ValueError("an amendment must name its new version")
        if patch["version"] == self.version:
            raise ValueError(f"version {self.version} is the one in force; name a new one")
        result = Scheme(merge(self.data, patch))
        result.check()
        return result

    def check(self) -> None:
        """Refuse a document the scoring could not read (a typo in an amendment, say)."""
        from decimal import InvalidOperation

        def numbers(node: Any, path: str) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    numbers(value, f"{path}.{key}" if path else key)
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    numbers(value, f"{path}.{i}")
            elif isinstance(node, str) and path.split(".")[-1] in _NUMERIC_KEYS:
                try:
                    Decimal(node)
                except InvalidOperation:
                    raise ValueError(f"{path}: {node!r} is not a number") from None

        numbers(self.data, "")
        shares = sum(Decimal(band["share"]) for band in self.data["bands"])
        if shares != 1:
            raise ValueError(f"bands: shares add up to {shares}, not 1")
        for group in ("departments", "towns_zones"):
            if not self.data["levels"].get(group):
                raise ValueError(f"levels.{group}: no level")

    def dec(self, *path: str) -> Decimal:
        node: Any = self.data
        for key in path:
            node = node[key]
        return Decimal(str(node))

    def ballot_complete(self, kind: str) -> bool:
        """§5: whether a ballot of this kind must rank every unit its rater judges."""
        return bool(self.data.get("ballots", {}).get(f"{kind}_complete", True))

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
