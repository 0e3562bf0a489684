"""A ledger entry as readers (scoring, history, replay) see it: one stored event and its seq."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int                  # ledger order: "later" everywhere means a higher seq
    stream: str               # "unit:D03", "round:half_year", "registry"
    id: str                   # the command's id; a ballot has one Entry per stream it landed in
    type: str                 # the contract's command type, e.g. "checkpoint.reported"
    recorded_at: datetime     # knowledge time (aware)
    appended_at: datetime     # the ledger's own clock
    actor: str
    backdated: bool
    payload: Mapping[str, Any]  # the validated command minus id/type/actor/recorded_at, JSON form

    def cite(self, voided_by: str | None = None) -> dict[str, Any]:
        """How an explanation names this entry (docs/commands.md §4, the tree's `entries`)."""
        cited = {"seq": self.seq, "id": self.id, "type": self.type,
                 "recorded_at": self.recorded_at.isoformat(), "actor": self.actor,
                 "voided_by": voided_by}
        source = self.payload.get("source")
        if isinstance(source, dict):  # read from a stored file (docs/commands.md §10.2)
            cited["source"] = source
        return cited


#: The sort and search key of ledger order (for `bisect` over entries in seq order); an attrgetter,
#: which runs in C: every resolution sorts its commands by it, once per score
by_seq: Callable[[Entry], int] = attrgetter("seq")
