"""Which entries a unit's score can depend on, so that readers need not hand scoring the whole log.

Scoring a unit reads its own stream, the ballot rounds, and its group's funding (B10 compares the
group's largest total), with the voids and disputes that act on that funding. Nothing else moves
its total; `tests/test_reading_paths.py` checks that filtering never changes a score.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence

from .entries import Entry, by_seq
from .names import REGISTRY_STREAM, is_round, is_shared, unit_of, unit_stream
from .reference import Unit

#: entries of a group peer's stream that can change another unit's B10
PEER_TYPES = frozenset({"funding.recorded", "entry.voided", "dispute.filed", "dispute.resolved"})


def relevant_to(unit: Unit, units: Mapping[str, Unit], entries: Sequence[Entry]) -> list[Entry]:
    own = unit_stream(unit.code)
    peers = {unit_stream(u.code) for u in units.values() if u.group == unit.group}
    return [e for e in entries
            if e.stream == own or is_shared(e.stream) or (e.stream in peers and e.type in PEER_TYPES)]


def moves_others(entry: Entry, units: Mapping[str, Unit]) -> set[str] | None:
    """The units whose score this entry may change besides its own stream's; None means all."""
    if is_round(entry.stream):
        group = entry.payload.get("group")
        return {u.code for u in units.values() if u.group == group} if group else None
    code = unit_of(entry.stream)
    if code is not None and entry.type in PEER_TYPES:
        group = units[code].group if code in units else None
        return {u.code for u in units.values() if u.group == group}
    if entry.stream == REGISTRY_STREAM:
        return None
    return set()


class StreamIndex:
    """The log's entries grouped by stream, fed in seq order, so that `relevant_to` a unit is a merge
    of a few short lists rather than a scan of the whole log. Pure: the reader feeds it."""

    def __init__(self) -> None:
        self.by_stream: dict[str, list[Entry]] = {}
        self.shared: list[Entry] = []            # the rounds and the registry: relevant to every unit
        self.peer: dict[str, list[Entry]] = {}   # a unit stream's PEER_TYPES entries

    def add(self, entry: Entry) -> None:
        self.by_stream.setdefault(entry.stream, []).append(entry)
        if is_shared(entry.stream):
            self.shared.append(entry)
        elif entry.type in PEER_TYPES:
            self.peer.setdefault(entry.stream, []).append(entry)

    def stream(self, stream: str, upto: int | None = None) -> list[Entry]:
        """The stream's entries with seq ≤ upto (all when None), oldest first."""
        return _upto(self.by_stream.get(stream, []), upto)

    def _lists(self, unit: Unit, units: Mapping[str, Unit]) -> list[list[Entry]]:
        lists = [self.by_stream.get(unit_stream(unit.code), []), self.shared]
        lists += [self.peer[unit_stream(u.code)] for u in units.values()
                  if u.group == unit.group and u.code != unit.code and unit_stream(u.code) in self.peer]
        return lists

    def relevant_to(self, unit: Unit, units: Mapping[str, Unit], upto: int | None = None) -> list[Entry]:
        """Equal to `relevant_to(unit, units, the log's entries with seq ≤ upto)`."""
        merged = [e for part in self._lists(unit, units) for e in _upto(part, upto)]
        merged.sort(key=by_seq)  # sorted runs: a linear merge
        return merged

    def relevant_position(self, unit: Unit, units: Mapping[str, Unit], upto: int | None = None) -> int:
        """The seq of the last entry relevant to the unit (≤ upto), 0 if none: while it stays the same,
        so does everything the unit's score can depend on."""
        last = 0
        for part in self._lists(unit, units):
            if part:
                i = len(part) if upto is None else bisect_right(part, upto, key=by_seq)
                if i:
                    last = max(last, part[i - 1].seq)
        return last


def _upto(entries: list[Entry], upto: int | None) -> list[Entry]:
    if upto is None or not entries or entries[-1].seq <= upto:
        return entries
    return entries[:bisect_right(entries, upto, key=by_seq)]
