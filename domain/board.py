"""The office's 督办 board (docs/commands.md §10.5), pure: a `due` document narrowed by group and by
important tasks, each unit with its red and yellow items, their counts and the points still at stake,
the reddest unit first. The page (`api/web/board.py`) and its spreadsheet show the same rows."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

LIT = ("red", "yellow")


def board(due: Mapping[str, Any], *, group: str | None = None, important: bool = False) -> list[dict[str, Any]]:
    """A row per unit (of `group`, or both): `unit`, `name`, `group`, `red`, `yellow`, `stake` (the
    points at stake over its lit items, a Decimal) and `items` (its red and yellow items, red first,
    then by due date); with `important`, only important tasks' items count. Reddest first: most red,
    then most yellow, then most at stake, then by code."""
    rows = []
    for unit in due["units"]:
        if group and unit["group"] != group:
            continue
        items = sorted((i for i in unit["items"] if i["light"] in LIT and (not important or i["important"])),
                       key=lambda i: (i["light"] != "red", i["due"], i["task"], i["checkpoint"]))
        rows.append({"unit": unit["unit"], "name": unit["name"], "group": unit["group"],
                     "red": sum(1 for i in items if i["light"] == "red"),
                     "yellow": sum(1 for i in items if i["light"] == "yellow"),
                     "stake": sum((Decimal(str(i["points_at_stake"])) for i in items), Decimal(0)),
                     "items": items})
    rows.sort(key=lambda r: (-r["red"], -r["yellow"], -r["stake"], r["unit"]))
    return rows


def light_of(row: Mapping[str, Any]) -> str:
    """A unit's own light on the board: red with any red item, yellow with any yellow, else green."""
    return "red" if row["red"] else "yellow" if row["yellow"] else "green"


__all__ = ["board", "light_of"]
