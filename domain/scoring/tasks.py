"""§3 Individual indicators (个性指标): a unit's tasks at the cutoff, as the process score, the annual
score with its task-load bonus, and the derived P8 penalty read them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ..entries import Entry
from ..labels import task_name
from ..reference import Unit
from .resolution import Cutoff, Resolution
from .values import dec


@dataclass
class Task:
    code: str
    assignment: Entry
    withdrawal: Entry | None      # the standing withdrawal, if any
    withdrawn_on: date | None     # its recorded_at date: checkpoints due after it are not judged

    @property
    def p(self) -> Mapping[str, Any]:
        return self.assignment.payload

    @property
    def label(self) -> str:
        return task_name(self.code, self.p.get("title", ""))

    @property
    def active(self) -> bool:
        return self.withdrawal is None

    @property
    def weight(self) -> Decimal:
        return dec(self.p.get("weight") or 1)

    @property
    def difficulty(self) -> Decimal:
        return dec(self.p.get("difficulty") or 1)

    @property
    def role(self) -> str:
        return self.p.get("role") or "lead"

    @property
    def checkpoints(self) -> list[tuple[str, date]]:
        return [(cp["checkpoint"], date.fromisoformat(str(cp["due"]))) for cp in self.p.get("checkpoints", [])]


def standing_tasks(unit: Unit, resolved: Resolution, cutoff: Cutoff) -> tuple[list[Task], list[Entry]]:
    """The unit's standing tasks (withdrawn ones included, marked) and its voided assignments."""
    tasks, voided = [], []
    for assignment in resolved.of_unit("task.assigned", unit.code):
        if not resolved.standing(assignment):
            voided.append(assignment)
            continue
        code = assignment.payload["task"]
        withdrawal = resolved.latest("task.withdrawn", unit.code, code)
        tasks.append(Task(code, assignment, withdrawal,
                          cutoff.local_date(withdrawal.recorded_at) if withdrawal else None))
    return tasks, voided
