"""§3.2–3.3 Annual individual score (年度成绩): each task's year-end score by its method (§3.2), the
level means under the group's level weights, the task-load bonus, and the warning for a department
with fewer than five tasks (§3)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ..decimals import exact, fmt, num
from ..entries import Entry
from ..explain import Node, leaf_without_entries
from ..reference import Unit
from ..scheme import Scheme
from .resolution import Resolution
from .tasks import Task
from .values import ZERO, dec

ONE = Decimal(1)
#: the 100-point scale itself (百分制), which the plan fixes; not a parameter of the scheme
SCALE = Decimal(100)

LEVEL_LABELS = {"provincial": "省专项 provincial", "municipal": "市专项 municipal",
                "own": "部门自身重点工作 own", "county": "县考核 county"}
#: the annual individual score before the task-load bonus: what the tasks' year-end scores make
TASKS_LABEL = "年度任务成绩 annual task score (level means, before the task-load bonus)"
METHOD_LABELS = {"completion_ratio": "完成比例法 completion ratio", "direct_deduction": "直接扣分法 direct deduction",
                 "veto": "否决计分法 veto", "cumulative": "累计计分法 cumulative"}


def _points_sum(lines: Iterable[Mapping[str, Any]]) -> tuple[Decimal, str]:
    values = [dec(line["points"]) for line in lines]
    return sum(values, ZERO), " + ".join(num(v) for v in values) or "0"


def _task_score(task: Task, assessment: Entry | None) -> tuple[Decimal | None, str]:
    """Year-end task score by its method (§3.2); None when not yet assessed."""
    if assessment is None:
        return None, "pending: not assessed yet → 0"
    a, method = assessment.payload, task.p["method"]
    if method == "completion_ratio":
        actual, target = dec(a["actual"]), dec(task.p["target"])
        score = SCALE * min(actual / target, ONE)
        return score, f"100 × min(actual {num(actual)} / target {num(target)}, 1) = {fmt(score)}"
    if method == "direct_deduction":
        total, terms = _points_sum(a["deductions"])
        score = max(ZERO, SCALE - total)
        return score, f"max(0, 100 − ({terms})) = {fmt(score)}"
    if method == "veto":
        return (ZERO, "vetoed → 0") if a["vetoed"] else (SCALE, "passed → 100")
    if method == "cumulative":
        total, terms = _points_sum(a["points"])
        score = min(SCALE, total)
        return score, f"min(100, {terms}) = {fmt(score)}"
    raise ValueError(f"unknown scoring method {method!r}")


def _weighted_mean(pairs: list[tuple[Decimal, Decimal]]) -> Decimal:
    return sum((w * s for w, s in pairs), ZERO) / sum((w for w, _ in pairs), ZERO)


def annual_score(unit: Unit, tasks: list[Task], voided: list[Entry], resolved: Resolution, scheme: Scheme,
                 pending: list[str]) -> tuple[Decimal, dict[str, Decimal], Node]:
    """The tasks' part of the annual individual score (the level means combined, before the
    task-load bonus is added to it) and the level means."""
    weights = scheme.levels(unit.group)
    by_level: dict[str, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    level_nodes: dict[str, list[Node]] = defaultdict(list)
    other_nodes: list[Node] = []
    for task in tasks:
        history = resolved.history("task.assessed", unit.code, task.code)
        if not task.active:
            other_nodes.append(Node(task.label, ZERO,
                                    f"not counted: withdrawn {task.withdrawn_on}, leaves the level means",
                                    entries=resolved.cite_all([task.assignment, task.withdrawal, *history])))
            continue
        score, formula = _task_score(task, resolved.latest("task.assessed", unit.code, task.code))
        if score is None:
            pending.append(f"task.{task.code}")
            score = ZERO
        level = task.p["level"]
        by_level[level].append((task.weight, score))
        level_nodes[level].append(Node(
            f"{task.label} · {METHOD_LABELS.get(task.p['method'], task.p['method'])}", score,
            f"{formula} (weight {num(task.weight)})",
            entries=resolved.cite_all([task.assignment, *history], unit.code)))
    for assignment in voided:
        other_nodes.append(Node(f"任务 task {assignment.payload['task']}", ZERO,
                                "not counted: assignment voided (its reports, evidence, assessments with it)",
                                entries=resolved.cite_all([assignment, resolved.void_of(assignment)])))

    means = {level: _weighted_mean(pairs) for level, pairs in by_level.items() if level in weights}
    present = [level for level in weights if level in means]
    if not present:
        pending.append("annual_individual")
        if not other_nodes:
            return ZERO, means, leaf_without_entries(TASKS_LABEL, ZERO,
                                                     "no standing task → 0", pending=True)
        return ZERO, means, Node(TASKS_LABEL, ZERO, "pending: no standing task → 0",
                                 other_nodes)
    # a level with no task gives its weight away evenly to the levels that have tasks (§3.3)
    missing = [level for level in weights if level not in means]
    share = sum((weights[level] for level in missing), ZERO) / len(present)
    effective = {level: weights[level] + share for level in present}
    annual = sum((means[level] * effective[level] for level in present), ZERO)

    children = []
    for level in present:
        pairs = by_level[level]
        terms = " + ".join(f"{num(w)}×{fmt(s)}" for w, s in pairs)
        weight_note = (f"weight {num(weights[level])} + {exact(share)} given by the missing level(s)"
                       if missing else f"weight {num(weights[level])}")
        children.append(Node(f"{LEVEL_LABELS.get(level, level)} level", means[level],
                             f"({terms}) / {num(sum((w for w, _ in pairs), ZERO))} = {fmt(means[level])}; "
                             f"{weight_note}", level_nodes[level]))
    children += other_nodes
    terms = " + ".join(f"{level} {fmt(means[level])}×{exact(effective[level])}" for level in present)
    formula = f"{terms} = {fmt(annual)}"
    if missing and len(weights) > 1:
        formula += f" (no {', '.join(missing)} task: weight given evenly to {', '.join(present)})"
    return annual, means, Node(TASKS_LABEL, annual, formula, children)


def task_load_bonus(unit: Unit, tasks: list[Task], means: Mapping[str, Decimal], resolved: Resolution,
                    scheme: Scheme) -> tuple[Decimal, Node]:
    label = "任务量加分 task-load bonus"
    load = scheme.data["task_load"]
    per_task = {level: dec(v) for level, v in load["per_task"].items()}
    if not set(per_task) & set(scheme.levels(unit.group)):
        return ZERO, leaf_without_entries(label, ZERO, f"not for {unit.group} (departments only) → 0")
    co_factor, gate_level, gate = dec(load["co_factor"]), load["gate_level"], dec(load["gate"])
    eligible = [t for t in tasks if t.active and t.p["level"] in per_task]
    if not eligible:
        return ZERO, leaf_without_entries(label, ZERO, f"no {' or '.join(per_task)} task → 0")
    leaves, amounts = [], []
    for task in eligible:
        amount = per_task[task.p["level"]] * task.difficulty
        formula = f"{num(per_task[task.p['level']])} × difficulty {num(task.difficulty)}"
        if task.role == "co":
            amount *= co_factor
            formula += f" × co {num(co_factor)}"
        amounts.append(amount)
        leaves.append(Node(f"{task.label} · {task.p['level']} {task.role}", amount,
                           f"{formula} = {exact(amount)}", entries=resolved.cite_all([task.assignment], unit.code)))
    raw = sum(amounts, ZERO)
    if gate_level in means and means[gate_level] < gate:
        return ZERO, Node(label, ZERO, f"{gate_level} level {exact(means[gate_level])} < {num(gate)}: "
                                       f"no task-load bonus (完成省目标低于70%的不予加分); would be {exact(raw)}",
                          leaves)
    gate_note = (f"{gate_level} level {exact(means[gate_level])} ≥ {num(gate)}" if gate_level in means
                 else f"no {gate_level} task: not gated")
    terms = " + ".join(exact(a) for a in amounts)
    return raw, Node(label, raw, f"{terms} = {exact(raw)} ({gate_note})", leaves)


def five_task_warning(unit: Unit, tasks: list[Task], resolved: Resolution,
                      scheme: Scheme) -> tuple[list[str], Node | None]:
    minimum = scheme.data.get("min_tasks", {}).get(unit.group)
    if minimum is None:
        return [], None
    active = [t for t in tasks if t.active]
    if len(active) >= int(minimum):
        return [], None
    warning = (f"{unit.code} has {len(active)} standing task(s), fewer than {minimum}: top up with own key "
               "work (不足5项的…补充)")
    label = f"任务不足 fewer than {minimum} tasks (warning, no score change)"
    if not active:
        return [warning], leaf_without_entries(label, Decimal(len(active)), f"no standing task: {warning}")
    return [warning], Node(label, Decimal(len(active)), warning,
                           entries=resolved.cite_all([t.assignment for t in active], unit.code))
