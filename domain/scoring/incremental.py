"""An incremental scorer: a unit's total after each entry, in one pass over the entries it reads.

`replay` asks for the total after every entry that concerns a unit. Scoring each prefix from scratch
costs the whole prefix per row (quadratic in the unit's history); `Replayer` keeps one `Resolution`
current as entries are applied (`Resolution.add`) and re-derives only the sections an entry can move:
each section's result is remembered under the generations of the entry types it reads, the void
generation (a void can move anything) and the scheme in force; the process score is kept per task,
under the task's own entries and the span of judging dates over which none of its due dates and
report dates is passed (a due date passing between entries moves only the task it belongs to).

Figures only: nothing is cited and no explanation is kept (`score_unit` explains a single score).
`tests/test_replay_one_pass.py` checks every row against `score_unit` on the prefix.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from ..entries import Entry
from ..reference import Unit
from ..scheme import Scheme
from .annual import combine_levels, task_load_figure, task_score
from .bonus import bonus_score
from .common import common_score
from .comprehensive import comprehensive_score
from .penalty import penalty_score
from .process import process_of, task_process
from .resolution import Cutoff, Resolution, key_of
from .tasks import Task, standing_tasks
from .total import indicator_of, individual_of, total_of
from .values import ZERO

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
        self._tasks: dict[str, tuple[Any, date, date, Decimal]] = {}
        self._task_scores: dict[str, tuple[Any, Decimal]] = {}
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
        if entry.type.startswith("evidence."):
            self.generation["evidence"] += 1  # the derived P8s read evidence and verifications only
        if moved == "process" and entry.payload.get("unit") == self.unit.code:
            task = entry.payload.get("task")
            if task is None:  # a verification names its evidence, whose submission names the task
                evidence = self.resolved.evidence.get((self.unit.code, entry.payload.get("evidence")))
                task = evidence.payload.get("task") if evidence is not None else None
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

        tasks, _ = self._memo("tasks", (g["tasks"], voids, cutoff.tz),
                                   lambda: standing_tasks(unit, resolved, cutoff))
        process = self._process(tasks, scheme, cutoff)
        annual_tasks, task_load = self._memo(
            "annual", (g["tasks"], g["annual"], voids, version, cutoff.tz),
            lambda: self._annual(tasks, scheme))
        common = self._memo("common", (g["common"], voids, version),
                            lambda: common_score(unit, resolved, scheme, ignored, {})[0])
        comprehensive = self._memo("comprehensive", (g["ballots"], voids, version),
                                   lambda: comprehensive_score(unit, resolved, scheme, ignored)[0])
        bonus = self._memo("bonus", (g["bonus"], voids, version),
                           lambda: bonus_score(unit, self.units, resolved, scheme)[0])
        penalty = self._memo("penalty", (g["tasks"], g["evidence"], g["penalty"], voids, version, cutoff.tz),
                             lambda: penalty_score(unit, tasks, resolved, scheme)[0])
        individual = individual_of(scheme, process, annual_tasks + task_load)
        return total_of(scheme, indicator_of(scheme, individual, common), comprehensive, bonus, penalty)

    def _annual(self, tasks: list[Task], scheme: Scheme) -> tuple[Decimal, Decimal]:
        """`annual_score` and `task_load_bonus`, figures only: each task's year-end score is kept
        under its assignment, its own entries and the voids (an assessment moves its task alone),
        and the levels are combined by the same `combine_levels` the explained score uses."""
        weights = scheme.levels(self.unit.group)
        by_level: dict[str, list[tuple[Decimal, Decimal]]] = defaultdict(list)
        voids = self.generation["voids"]
        for task in tasks:
            if not task.active:
                continue
            key = (task.assignment.seq, self._task_generation[task.code], voids)
            found = self._task_scores.get(task.code)
            if found is None or found[0] != key:
                latest = self.resolved.latest("task.assessed", self.unit.code, task.code)
                found = self._task_scores[task.code] = (key, task_score(task, latest))
            by_level[task.p["level"]].append((task.weight, found[1]))
        means, *_, annual_tasks = combine_levels(by_level, weights)
        return annual_tasks, task_load_figure(self.unit, tasks, means, scheme)

    def _process(self, tasks: list[Task], scheme: Scheme, cutoff: Cutoff) -> Decimal:
        """The process score from each task's deductions, a task recomputed only when its entries,
        the voids or the scheme changed, or the judging date left the span of dates over which
        none of its due dates and current report dates is passed (a scan of cheap checks)."""
        judge, voids = cutoff.judge_date, self.generation["voids"]
        deducted = ZERO
        for task in tasks:
            key = (task.assignment.seq, task.withdrawal.seq if task.withdrawal is not None else None,
                   self._task_generation[task.code], voids, id(scheme), cutoff.tz)
            found = self._tasks.get(task.code)
            if found is None or found[0] != key or not found[1] <= judge < found[2]:
                found = self._tasks[task.code] = (key, *self._span(task, judge),
                                                  sum(task_process(task, self.unit, self.resolved, scheme,
                                                                   cutoff)[0], ZERO))
            deducted += found[3]
        return process_of(scheme, deducted)

    def _span(self, task: Task, judge: date) -> tuple[date, date]:
        """The dates around `judge` between which the task's checkpoints are judged alike: what a
        checkpoint costs turns on whether its due date and its current report's date have come."""
        marks = []
        for checkpoint, due in task.checkpoints:
            marks.append(due)
            report = self.resolved.latest("checkpoint.reported", self.unit.code, task.code, checkpoint)
            if report is not None:
                marks.append(date.fromisoformat(str(report.payload["reported_on"])))
        return (max((m for m in marks if m <= judge), default=date.min),
                min((m for m in marks if m > judge), default=date.max))


__all__ = ["Replayer"]
