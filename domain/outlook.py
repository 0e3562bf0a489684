"""Outlook (docs/commands.md, "Outlook"): the range a unit's total and rank can still reach from the
inputs still open, computed by the same scoring as every figure, the dispute preview's way: the
open inputs are filled in, at their best or at their worst, as entries that follow the log, and
every unit is scored on the log with them. Nothing is appended.

The open inputs of a unit, as its year stands (bonuses and penalties to come are not guessed, nor
verifications, nor ballots replaced):
- each checkpoint of an active task not yet reported: at best reported on time (on its due date, or
  today once it is overdue: late), at worst never reported;
- each active task not yet assessed: at best the method's full marks, at worst its zero;
- each common indicator counted in the mean that has no standing score: at best 100, at worst 0;
- each kind of ballot of a round not closed that no standing ballot ranks the unit in: at best a
  ballot that places it first, at worst none ever cast (the kind then scores 0, as §5 says).
Both fillings are judged at the end of the year's checkpoints (the latest due date, or today when
later), so that every checkpoint counts. The best rank sets the unit's best against every other
unit's worst; the worst rank the reverse: bounds, which every real filling stays within.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .decimals import rounded
from .entries import Entry
from .entry_types import typed
from .labels import BALLOT_KINDS, ROUND_NAMES, indicator_name, task_name
from .reference import Indicator, Unit
from .scheme import Scheme
from .scoring import Resolution
from .scoring.resolution import Cutoff, key_of
from .scoring.tasks import standing_tasks

#: the figure each kind of open input moves
PROCESS, ANNUAL, COMMON = "process", "annual_individual", "common"
#: the synthetic rater and filler codes of a filling's ballots: never a unit's code
OUTLOOK = "outlook"


@dataclass(frozen=True)
class OpenInput:
    """One input still open: what it is, the figure it moves, and the command payloads that fill
    it at its best and at its worst (None: the input is left unrecorded)."""

    what: str
    figure: str
    entry_type: str
    best: Mapping[str, Any] | None
    worst: Mapping[str, Any] | None


@dataclass
class Filling:
    """Entries that fill every open input at one extreme, to follow the log."""

    at: datetime
    next_seq: int
    entries: list[Entry] = field(default_factory=list)

    def add(self, unit: str, entry_type: str, payload: Mapping[str, Any]) -> None:
        stream = f"round:{payload['round']}" if entry_type == "ballot.cast" else f"unit:{unit}"
        seq = self.next_seq + len(self.entries)
        self.entries.append(Entry(seq=seq, stream=stream, id=f"{OUTLOOK}:{seq}", type=entry_type,
                                  recorded_at=self.at, appended_at=self.at, actor=OUTLOOK, backdated=False,
                                  payload=dict(payload)))


def _assessment(method: str, target: Any, best: bool) -> dict[str, Any]:
    full = {"completion_ratio": {"actual": str(target or 1)}, "direct_deduction": {"deductions": []},
            "veto": {"vetoed": False}, "cumulative": {"points": [{"points": "100", "reason": OUTLOOK}]}}
    zero = {"completion_ratio": {"actual": "0"}, "direct_deduction": {"deductions": [{"points": "100", "reason": OUTLOOK}]},
            "veto": {"vetoed": True}, "cumulative": {"points": []}}
    return (full if best else zero)[method]


def open_inputs(unit: Unit, resolved: Resolution, cutoff: Cutoff, scheme: Scheme,
                indicators: Mapping[str, Indicator]) -> list[OpenInput]:
    """Every input of `unit` still open at `cutoff` (its judge date is today)."""
    today = cutoff.judge_date
    found: list[OpenInput] = []
    tasks, _ = standing_tasks(unit, resolved, cutoff)
    for task in tasks:
        if not task.active:
            continue
        for checkpoint, due in task.checkpoints:
            if resolved.latest("checkpoint.reported", unit.code, task.code, checkpoint) is not None:
                continue
            on = max(due, today)
            best = {"unit": unit.code, "task": task.code, "checkpoint": checkpoint, "reported_on": on.isoformat(),
                    "completed": True, "quality": "ok", "note": ""}
            state = "已逾期，最好也只能补报" if due < today else "未报"
            found.append(OpenInput(f"节点 {task.code}/{checkpoint}（到期 {due}）{state}", PROCESS,
                                   "checkpoint.reported", best, None))
        if resolved.latest("task.assessed", unit.code, task.code) is None:
            method, target = task.p["method"], task.p.get("target")
            found.append(OpenInput(f"{task_name(task.code, str(task.p.get('title', '')))} 尚未考核", ANNUAL,
                                   "task.assessed",
                                   {"unit": unit.code, "task": task.code, **_assessment(method, target, True)},
                                   {"unit": unit.code, "task": task.code, **_assessment(method, target, False)}))
    excluded = set(scheme.data["common"]["excluded"])
    for code, indicator in sorted(indicators.items()):
        if code in excluded or not indicator.in_average:
            continue
        if resolved.latest("common.scored", unit.code, code) is None:
            found.append(OpenInput(f"共性指标 {indicator_name(code, indicator.name)} 尚未评分", COMMON,
                                   "common.scored", {"unit": unit.code, "indicator": code, "score": "100"},
                                   {"unit": unit.code, "indicator": code, "score": "0"}))
    closed = {typed(e).round for e in resolved.by_type["round.closed"] if resolved.standing(e)}
    for round_name in scheme.data["comprehensive"]:
        if round_name in closed:
            continue
        for kind in scheme.data["comp_kinds"]:
            if _ranked_in(unit.code, resolved, round_name, kind):
                continue
            ballot = {"round": round_name, "kind": kind, "rater": f"{OUTLOOK}:{unit.code}:{kind}", "group": unit.group}
            found.append(OpenInput(f"{ROUND_NAMES.get(round_name, round_name)}·{BALLOT_KINDS.get(kind, kind)} 尚无选票",
                                   f"{round_name}_comp", "ballot.cast", {**ballot, "ranking": [unit.code]}, None))
    return found


def _ranked_in(code: str, resolved: Resolution, round_name: str, kind: str) -> bool:
    """Whether a standing ballot of that round and kind ranks the unit now."""
    for ballot in resolved.ballots(round_name, kind):
        current = resolved.current.get(key_of(ballot))
        if current is not None and code in current.payload["ranking"]:
            return True
    return False


def year_end(resolved: Resolution, cutoff: Cutoff) -> date:
    """The day every checkpoint of the year has fallen due by (today, if that is later)."""
    dues = [date.fromisoformat(str(cp["due"])) for e in resolved.by_type["task.assigned"]
            for cp in e.payload.get("checkpoints", ())]
    return max([cutoff.judge_date, *dues])


def fill(inputs: Mapping[str, Sequence[OpenInput]], best_of: set[str], at: datetime, next_seq: int) -> Filling:
    """The entries that fill each unit's open inputs: at their best for the units in `best_of`, at
    their worst for the others."""
    filling = Filling(at, next_seq)
    for code, found in inputs.items():
        for item in found:
            payload = item.best if code in best_of else item.worst
            if payload is not None:
                filling.add(code, item.entry_type, payload)
    return filling


def rank_within(score: Decimal, others: Sequence[Decimal]) -> int:
    """The rank a unit with `score` gets among `others` (ties share a rank, as standings rank)."""
    return 1 + sum(1 for other in others if rounded(other) > rounded(score))


__all__ = ["ANNUAL", "COMMON", "Filling", "OUTLOOK", "OpenInput", "PROCESS", "fill", "open_inputs",
           "rank_within", "year_end"]
