"""Which entries a unit's score can depend on, so that readers need not hand scoring the whole log.

Scoring a unit reads its own stream, the ballot rounds, and its group's funding (B10 compares the
group's largest total), with the voids and disputes that act on that funding. Nothing else moves
its total; `tests/test_relevance.py` checks that filtering never changes a score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .entries import Entry
from .reference import Unit

#: entries of a group peer's stream that can change another unit's B10
PEER_TYPES = frozenset({"funding.recorded", "entry.voided", "dispute.filed", "dispute.resolved"})


def relevant_to(unit: Unit, units: Mapping[str, Unit], entries: Sequence[Entry]) -> list[Entry]:
    own = f"unit:{unit.code}"
    peers = {f"unit:{u.code}" for u in units.values() if u.group == unit.group}
    return [e for e in entries
            if e.stream == own or e.stream.startswith("round:") or e.stream == "registry"
            or (e.stream in peers and e.type in PEER_TYPES)]


def moves_others(entry: Entry, units: Mapping[str, Unit]) -> set[str] | None:
    """The units whose score this entry may change besides its own stream's; None means all."""
    if entry.stream.startswith("round:"):
        group = entry.payload.get("group")
        return {u.code for u in units.values() if u.group == group} if group else None
    if entry.stream.startswith("unit:") and entry.type in PEER_TYPES:
        code = entry.stream.removeprefix("unit:")
        group = units[code].group if code in units else None
        return {u.code for u in units.values() if u.group == group}
    if entry.stream == "registry":
        return None
    return set()
