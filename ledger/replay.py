"""A replay that explains itself (`kaoping replay UNIT --explain`): each row of `Reader.replay` with its
business date, the change it made and who recorded it, and, between them, the moments a checkpoint
fell due and changed the total with no entry at all (type `checkpoint.due`), so that a drop is
shown where it happened and not at whatever entry came next (docs/scheme.md §3.1: a checkpoint is
judged once its due date has come).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from kaoping.domain.decimals import fmt
from kaoping.domain.names import unit_stream
from kaoping.domain.scoring.incremental import Replayer

from . import budget
from .reader import Reader


def explain(reader: Reader, code: str) -> list[dict[str, Any]]:
    """The explained rows, kept with the reader until an entry relevant to the unit is appended or
    the day changes (a due date may have passed)."""
    registry = reader.registry()
    unit = registry.unit(code)
    rows = reader.replay(unit.code)
    key = (unit.code, rows[-1]["seq"] if rows else 0, len(rows), reader.today())
    cached = reader.explained.get(key)
    if cached is None:
        cached = _explain(reader, unit, rows)
        reader.explained.put(key, cached, 1)
    return cached


def _explain(reader: Reader, unit: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    registry = reader.registry()
    tz = reader.settings.zone
    # every due date of the unit's assignments, with the seq from which the assignment counts
    dues = sorted({(date.fromisoformat(str(cp["due"])), e.seq, f"{e.payload['task']}/{cp['checkpoint']}")
                   for e in reader.log.index.stream(unit_stream(unit.code))
                   if e.type == "task.assigned" for cp in e.payload.get("checkpoints", ())})
    # one pass: the scorer follows the rows' entries, and between two rows judges the due dates
    # that passed on the entries up to the first
    candidates = reader.log.index.relevant_to(unit, registry.units, rows[-1]["seq"] if rows else 0)
    scorer, applied = Replayer(unit, registry.units), 0
    by_seq = {e.seq: e for e in candidates}
    explained: list[dict[str, Any]] = []
    previous = Decimal(0)

    def add(row: dict[str, Any], total: str) -> None:
        nonlocal previous
        explained.append({**row, "total": total, "delta": fmt(Decimal(total) - previous)})
        previous = Decimal(total)

    for i, row in enumerate(rows):
        budget.check()
        entry = by_seq[row["seq"]]
        while applied < len(candidates) and candidates[applied].seq <= entry.seq:
            scorer.apply(candidates[applied])
            applied += 1
        add({**row, "date": entry.recorded_at.astimezone(tz).date().isoformat(), "actor": entry.actor},
            row["total"])
        judged = entry.recorded_at.astimezone(tz).date()
        until = (by_seq[rows[i + 1]["seq"]].recorded_at.astimezone(tz).date() if i + 1 < len(rows)
                 else reader.today())
        in_force = registry.scheme_at(entry.recorded_at)
        for day in sorted({d for d, assigned, _ in dues if judged < d <= until and assigned <= entry.seq}):
            total = fmt(scorer.total(in_force, reader.row_cutoff(entry, day)))
            if total != fmt(previous):
                falling = [name for d, assigned, name in dues if d == day and assigned <= entry.seq]
                add({"seq": entry.seq, "id": None, "type": "checkpoint.due", "date": day.isoformat(),
                     "actor": None, "checkpoints": falling}, total)
    return explained


def largest_moves(rows: list[dict[str, Any]], count: int = 5) -> list[dict[str, Any]]:
    """The rows that moved the total most, largest first (ties: the earlier first); the first row
    is where the line starts, not a move."""
    moved = [row for row in rows[1:] if Decimal(row["delta"]) != 0]
    return sorted(moved, key=lambda row: -abs(Decimal(row["delta"])))[:count]


__all__ = ["explain", "largest_moves"]
