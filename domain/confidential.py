"""Ballots are confidential (issue 28, item 5): what a reader who may not see them is shown instead.

Who sees ballots whole is the policy table's (`policy.sees_ballots`: the office, the group office,
auditors). Everyone else reads, of a ballot, what the unit earned from it and the ballot's kind and
round, never who cast it nor where it placed the other units:

- a history row of a ballot keeps its seq, type, times and hashes (its receipt still verifies: the
  leaf is the chain hash) but its id becomes `选票#SEQ`, its actor `（保密）` and its payload the
  round, the kind and the ranked group only; any other row naming a ballot by id names it so too;
- a score explanation's ballot node reads `选票` with the points earned (`本单位得 70.00 分`), under
  its parent that names the kind and round; its entries as in the history;
- a replay row of a ballot carries the masked id (and no actor).

Pure: documents in, copies out (a stored or cached document is never changed).
"""

from __future__ import annotations

from typing import Any

from . import policy
from .principals import Principal

BALLOT = "ballot.cast"
HIDDEN = "（保密）"
#: what of a ballot's payload every reader sees
SHOWN = ("round", "kind", "group")


def masked(seq: int) -> str:
    return f"选票#{seq}"


def _rename(value: Any, names: dict[str, str]) -> Any:
    """`value` with every string that is a ballot's id replaced by its masked id, at any depth."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, dict):
        return {k: _rename(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, names) for v in value]
    return value


def _ballot_names(rows: list[dict[str, Any]]) -> dict[str, str]:
    return {row["id"]: masked(row["seq"]) for row in rows if row.get("type") == BALLOT and "id" in row}


def history(principal: Principal | None, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A unit's history as `principal` may read it."""
    if principal is None or policy.sees_ballots(principal):
        return rows
    names = _ballot_names(rows)
    shown = []
    for row in rows:
        if row.get("type") == BALLOT:
            payload = row.get("payload") or {}
            # who recorded it, at whichever console, is the rater's secret as much as the actor
            row = {**{k: v for k, v in row.items() if k != "console"}, "actor": HIDDEN,
                   "payload": {k: payload[k] for k in SHOWN if k in payload}}
        shown.append(_rename(row, names) if names else row)
    return shown


def replay(principal: Principal | None, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A unit's replay (plain or explained) as `principal` may read it."""
    if principal is None or policy.sees_ballots(principal):
        return rows
    return [{**row, "id": masked(row["seq"]), **({"actor": HIDDEN} if "actor" in row else {})}
            if row.get("type") == BALLOT else row for row in rows]


def score(principal: Principal | None, document: dict[str, Any]) -> dict[str, Any]:
    """A score document as `principal` may read it: its explanation's ballot nodes in words that
    name no rater and no other unit."""
    if principal is None or policy.sees_ballots(principal) or "explanation" not in document:
        return document
    names: dict[str, str] = {}

    def collect(node: dict[str, Any]) -> None:
        names.update(_ballot_names(node.get("entries", [])))
        for child in node.get("children", ()):
            collect(child)

    def walk(node: dict[str, Any]) -> dict[str, Any]:
        entries = node.get("entries", [])
        shown = dict(node)
        if entries and all(entry.get("type") == BALLOT for entry in entries):
            shown["label"] = "选票"
            shown["formula"] = f"本单位得 {node.get('value')} 分"
        shown["entries"] = [_rename({**entry, "actor": HIDDEN}, names) if entry.get("type") == BALLOT
                            else entry for entry in entries]
        shown["children"] = [walk(child) for child in node.get("children", ())]
        return shown

    collect(document["explanation"])
    return {**document, "explanation": walk(document["explanation"])}


def compare(principal: Principal | None, document: dict[str, Any]) -> dict[str, Any]:
    """A comparison as `principal` may read it (`policy.sees_figures`): of a unit whose figures it
    may not read, the totals the standings publish and nothing of the figures behind them (each
    row's value of that unit, difference and contribution are null; `withheld` names the unit)."""
    if principal is None:
        return document
    hidden = [document[side] for side in ("a", "b") if not policy.sees_figures(principal, document[side])]
    if not hidden:
        return document
    sides = [side for side in ("a", "b") if document[side] in hidden]
    rows = [{**row, **{side: None for side in sides}, "difference": None, "contribution": None}
            for row in document["by_figure"]]
    return {**document, "by_figure": rows, "withheld": hidden}


def unmask(rows: list[dict[str, Any]], name: str) -> str:
    """The stored id a masked name (`选票#SEQ`) stands for in `rows` (a history read whole), so a
    unit disputes a ballot it cannot read by the name it was shown; any other name as it is."""
    for row in rows:
        if row.get("type") == BALLOT and masked(row["seq"]) == name:
            return str(row["id"])
    return name


__all__ = ["BALLOT", "HIDDEN", "compare", "history", "masked", "replay", "score", "unmask"]
