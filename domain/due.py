"""§11 督办: what falls due, for each unit, before it costs points (docs/scheme.md §11,
docs/commands.md "Due dates").

Every checkpoint of a unit's standing tasks, judged as the process score judges it (§3.1: the same
`Resolution` of the log at the same cutoff), with a status, a light and the points at stake:

- not reported: `overdue` once its date has passed (red: the 未报 deduction is counted now; a late
  report would cost the smaller 未按节点 one, so what reporting still saves is their difference),
  `due_soon` within `within` days (yellow), else `upcoming` (green); a checkpoint due today is due
  soon, not overdue: reported today it is on time;
- reported: `not_completed` (reported not completed, or of poor quality), `reported_late`, or
  `reported`; green, but yellow for a checkpoint of an important task with no evidence submitted
  (its verification is what §3.1 weighs on an important task). Nothing is at stake any more.

A withdrawn task's checkpoints due after its withdrawal are not judged and not listed. Pure: the
caller hands in the resolution, the cutoff (its judge date is "today"), the scheme in force.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .decimals import fmt
from .entry_types import typed
from .reference import Unit
from .scheme import Scheme
from .scoring.resolution import Cutoff, Resolution
from .scoring.tasks import standing_tasks

#: statuses by how much a clerk must act, and the light each shows (the unreported ones are
#: refined by the days left, and a reported one by its evidence)
STATUSES = ("overdue", "due_soon", "upcoming", "not_completed", "reported_late", "reported")
RED, YELLOW, GREEN = "red", "yellow", "green"


@dataclass(frozen=True)
class DueItem:
    task: str
    title: str
    checkpoint: str
    due: date
    status: str
    light: str
    days: int
    points_at_stake: Decimal
    important: bool
    evidence_submitted: int
    evidence_verified: int

    def as_json(self) -> dict[str, object]:
        return {"task": self.task, "title": self.title, "checkpoint": self.checkpoint,
                "due": self.due.isoformat(), "status": self.status, "light": self.light, "days": self.days,
                "points_at_stake": fmt(self.points_at_stake), "important": self.important,
                "evidence": {"submitted": self.evidence_submitted, "verified": self.evidence_verified}}


def due_items(unit: Unit, resolved: Resolution, cutoff: Cutoff, scheme: Scheme, within: int) -> list[DueItem]:
    """The unit's checkpoints as of `cutoff.judge_date`, earliest due first."""
    today = cutoff.judge_date
    not_reported, late = scheme.dec("process", "not_reported"), scheme.dec("process", "late")
    tasks, _ = standing_tasks(unit, resolved, cutoff)
    items = []
    for task in tasks:
        important = bool(task.p.get("important"))
        for checkpoint, due in task.checkpoints:
            if task.withdrawn_on is not None and due > task.withdrawn_on:
                continue
            evidence = [e for e in resolved.evidence_for(unit.code, task.code, checkpoint) if resolved.standing(e)]
            verified = sum(1 for e in evidence
                           if resolved.latest("evidence.verified", unit.code, typed(e).evidence) is not None)
            report = resolved.latest("checkpoint.reported", unit.code, task.code, checkpoint)
            days = (due - today).days
            if report is None:
                if days < 0:
                    status, light, stake = "overdue", RED, not_reported - late
                else:
                    status = "due_soon" if days <= within else "upcoming"
                    light, stake = (YELLOW if status == "due_soon" else GREEN), not_reported
            else:
                r = typed(report)
                status = ("not_completed" if not r.completed or r.quality == "poor"
                          else "reported_late" if r.reported_on > due else "reported")
                light = YELLOW if important and not evidence else GREEN
                stake = Decimal(0)
            items.append(DueItem(task.code, str(task.p.get("title", "")), checkpoint, due, status, light, days,
                                 stake, important, len(evidence), verified))
    items.sort(key=lambda item: (item.due, item.task, item.checkpoint))
    return items


def due_unit(unit: Unit, items: Iterable[DueItem]) -> dict[str, object]:
    """One unit's row of `due`: its counts by light and every item."""
    listed = list(items)
    counts = {light: sum(1 for item in listed if item.light == light) for light in (RED, YELLOW, GREEN)}
    return {"unit": unit.code, "name": unit.name, "group": unit.group, **counts,
            "items": [item.as_json() for item in listed]}


def reddest_first(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Units with red items first (most red first), then most yellow, then by code."""
    return sorted(rows, key=lambda row: (-int(row["red"]), -int(row["yellow"]), str(row["unit"])))  # type: ignore[call-overload]


__all__ = ["DueItem", "GREEN", "RED", "STATUSES", "YELLOW", "due_items", "due_unit", "reddest_first"]
