"""An incremental scorer: a unit's total after each entry, in one pass over the entries it reads.

`replay` asks for the total after every entry that concerns a unit. Scoring each prefix from scratch
costs the whole prefix per row (quadratic in the unit's history); `Replayer` keeps one `Resolution`
current as entries are applied (`Resolution.add`) and re-derives only the sections an entry can move:
each section's result is remembered under the generations of the entry types it reads, the void
generation (a void can move anything) and the scheme in force; the process score is remembered per
task, under the task's own entries and which of its due dates and report dates the judging date has
reached (a due date passing between entries moves only the tasks it belongs to).

Figures only: nothing is cited and no explanation is kept (`score_unit` explains a single score).
`tests/test_replay_one_pass.py` checks every row against `score_unit` on the prefix.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from ..entries import Entry
from ..reference import Unit
from ..scheme import Scheme
from .annual import annual_score, task_load_bonus
from .bonus import bonus_score
from .common import common_score
from .comprehensive import comprehensive_score
from .penalty import penalty_score
from .process import process_score, task_process
from .resolution import Cutoff, Resolution, key_of
from .tasks import Task, standing_tasks
from .total import indicator_of, individual_of, total_of

#: which section inputs an entry of each type (about the unit, or its group's funding) moves
_MOVES = {
    "task.assigned": "tasks", "task.withdrawn": "tasks",
    "checkpoint.reported": "process", "evidence.submitted": "process", "evidence.verified": "process",
    "task.assessed": "annual", "common.scored": "common", "ballot.cast": "ballots",
    "bonus.awarded": "bonus", "funding.recorded": "bonus", "penalty.imposed": "penalty",
    "entry.voided": "voids", "dispute.resolved": "voids",
}
# Every other type (a dispute filed, the registry's entries, a round closed) is read by no section
# (the units and the scheme in force come from the caller): applying one moves nothing. A section
# that comes to read a new type adds it to _MOVES.


class Replayer:
    """Apply a unit's relevant entries (`relevance.relevant_to`) in seq order; `total(scheme,
    cutoff)` is then `score_unit(...).total` over the entries applied, at `cutoff` (whose `upto` is
    the last applied seq, or beyond it)."""

    def __init__(self, unit: Unit, units: Mapping[str, Unit]):
        self.unit, self.units = unit, units
        self.resolved = Resolution((), Cutoff(judge_date=date.min), cite=False)
        self.generation: Counter[str] = Counter()
        self._task_generation: Counter[str] = Counter()
        self._sections: dict[str, tuple[Any, Any]] = {}
        self._tasks: dict[str, tuple[Any, tuple[list[Decimal], Any]]] = {}
        self._raters: set[Any] = set()
        self._schemes: dict[int, Scheme] = {}  # keeps the schemes of the keys alive (keys hold ids)

    def apply(self, entry: Entry) -> None:
        self.resolved.add(entry)
        moved = _MOVES.get(entry.type)
        if moved is None or (entry.type == "dispute.resolved" and entry.payload["outcome"] != "upheld"):
            return
        if moved == "ballots":
            # the unit's comprehensive figure reads the ballots of the raters that ever ranked it
            key = key_of(entry)
            if self.unit.code in entry.payload["ranking"]:
                self._raters.add(key)
            elif key not in self._raters:
                return
        self.generation[moved] += 1
        if moved == "process" and entry.payload.get("unit") == self.unit.code:
            task = entry.payload.get("task")
            if task is None:  # a verification names its evidence, whose submission names the task
                evidence = self.resolved.evidence.get((self.unit.code, entry.payload.get("evidence")))
                task = evidence.payload["task"] if evidence is not None else None
            if task is None:
                self.generation["voids"] += 1
            else:
                self._task_generation[task] += 1
        elif moved in ("tasks", "annual") and entry.payload.get("unit") == self.unit.code:
            self._task_generation[entry.payload["task"]] += 1

    def _memo(self, section: str, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        found = self._sections.get(section)
        if found is not None and found[0] == key:
            return found[1]
        value = compute()
        self._sections[section] = (key, value)
        return value

    def total(self, scheme: Scheme, cutoff: Cutoff) -> Decimal:
        unit, resolved, g = self.unit, self.resolved, self.generation
        resolved.cutoff = cutoff
        self._schemes[id(scheme)] = scheme
        voids, version = g["voids"], id(scheme)
        ignored: list[str] = []  # pending and warnings: not part of the total

        tasks, voided = self._memo("tasks", (g["tasks"], voids, cutoff.tz),
                                   lambda: standing_tasks(unit, resolved, cutoff))
        process = self._memo(
            "process", (g["tasks"], g["process"], voids, version, cutoff.judge_date, cutoff.tz),
            lambda: process_score(unit, tasks, resolved, scheme, cutoff,
                                  per_task=lambda task: self._task(task, scheme, cutoff))[0])
        annual_tasks, task_load = self._memo(
            "annual", (g["tasks"], g["annual"], voids, version, cutoff.tz),
            lambda: self._annual(tasks, voided, scheme, ignored))
        common = self._memo("common", (g["common"], voids, version),
                            lambda: common_score(unit, resolved, scheme, ignored, {})[0])
        comprehensive = self._memo("comprehensive", (g["ballots"], voids, version),
                                   lambda: comprehensive_score(unit, resolved, scheme, ignored)[0])
        bonus = self._memo("bonus", (g["bonus"], voids, version),
                           lambda: bonus_score(unit, self.units, resolved, scheme)[0])
        penalty = self._memo("penalty", (g["tasks"], g["process"], g["penalty"], voids, version, cutoff.tz),
                             lambda: penalty_score(unit, tasks, resolved, scheme)[0])
        individual = individual_of(scheme, process, annual_tasks + task_load)
        return total_of(scheme, indicator_of(scheme, individual, common), comprehensive, bonus, penalty)

    def _annual(self, tasks: list[Task], voided: list[Entry], scheme: Scheme,
                ignored: list[str]) -> tuple[Decimal, Decimal]:
        annual_tasks, means, _ = annual_score(self.unit, tasks, voided, self.resolved, scheme, ignored)
        return annual_tasks, task_load_bonus(self.unit, tasks, means, self.resolved, scheme)[0]

    def _task(self, task: Task, scheme: Scheme, cutoff: Cutoff) -> tuple[list[Decimal], Any]:
        """`task_process`, remembered while the task's entries, the voids, the scheme and what the
        judging date has reached of its due dates and report dates stay the same."""
        judge, resolved, code = cutoff.judge_date, self.resolved, self.unit.code
        reached = []
        for checkpoint, due in task.checkpoints:
            report = resolved.latest("checkpoint.reported", code, task.code, checkpoint)
            reached.append((due <= judge, None if report is None
                            else date.fromisoformat(str(report.payload["reported_on"])) <= judge))
        key = (task.assignment.seq, task.withdrawal.seq if task.withdrawal is not None else None,
               self._task_generation[task.code], self.generation["voids"], id(scheme), tuple(reached))
        found = self._tasks.get(task.code)
        if found is not None and found[0] == key:
            return found[1]
        value = task_process(task, self.unit, resolved, scheme, cutoff)
        self._tasks[task.code] = (key, value)
        return value


__all__ = ["Replayer"]
