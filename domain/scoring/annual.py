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
from ..explain import PENDING, Node, leaf_without_entries
from ..labels import FIGURE_NAMES, GROUP_NAMES, LEVEL_NAMES, METHOD_NAMES, TASK_ROLES, task_name
from ..reference import Unit
from ..scheme import Scheme
from .resolution import Resolution
from .tasks import Task
from .values import ZERO, dec

ONE = Decimal(1)
#: the 100-point scale itself (百分制), which the plan fixes; not a parameter of the scheme
SCALE = Decimal(100)

#: the annual individual score before the task-load bonus: what the tasks' year-end scores make
TASKS_NAME = "年度任务成绩"
TASKS_LABEL = f"{TASKS_NAME}（各层级平均，未含任务量加分）"


def _level(level: str) -> str:
    return LEVEL_NAMES.get(level, level)


def _levels(levels: Iterable[str]) -> str:
    return "、".join(_level(level) for level in levels)


def _points_sum(lines: Iterable[Mapping[str, Any]]) -> tuple[Decimal, str]:
    values = [dec(line["points"]) for line in lines]
    return sum(values, ZERO), " + ".join(num(v) for v in values) or "0"


def _task_score(task: Task, assessment: Entry | None) -> tuple[Decimal | None, str]:
    """Year-end task score by its method (§3.2); None when not yet assessed."""
    if assessment is None:
        return None, PENDING + "尚未考核 → 0"
    a, method = assessment.payload, task.p["method"]
    if method == "completion_ratio":
        actual, target = dec(a["actual"]), dec(task.p["target"])
        score = SCALE * min(actual / target, ONE)
        return score, f"100 × min(实际 {num(actual)} / 目标 {num(target)}, 1) = {fmt(score)}"
    if method == "direct_deduction":
        total, terms = _points_sum(a["deductions"])
        score = max(ZERO, SCALE - total)
        return score, f"max(0, 100 − ({terms})) = {fmt(score)}"
    if method == "veto":
        return (ZERO, "否决 → 0") if a["vetoed"] else (SCALE, "通过 → 100")
    if method == "cumulative":
        total, terms = _points_sum(a["points"])
        score = min(SCALE, total)
        return score, f"min(100, {terms}) = {fmt(score)}"
    raise ValueError(f"unknown scoring method {method!r}")


def _weighted_mean(pairs: list[tuple[Decimal, Decimal]]) -> Decimal:
    return sum((w * s for w, s in pairs), ZERO) / sum((w for w, _ in pairs), ZERO)


def combine_levels(by_level: Mapping[str, list[tuple[Decimal, Decimal]]], weights: Mapping[str, Decimal],
                   ) -> tuple[dict[str, Decimal], list[str], list[str], Decimal, dict[str, Decimal], Decimal]:
    """§3.3 from each level's (weight, score) pairs: the level means, the levels present and
    missing, the share each present level gets of the missing ones' weight, the effective weights
    and the annual figure (ZERO with no level present). Shared by `annual_score` and the replay's
    figures-only path, so that both do the same arithmetic in the same order."""
    means = {level: _weighted_mean(pairs) for level, pairs in by_level.items() if level in weights}
    present = [level for level in weights if level in means]
    if not present:
        return means, present, [], ZERO, {}, ZERO
    # a level with no task gives its weight away evenly to the levels that have tasks (§3.3)
    missing = [level for level in weights if level not in means]
    share = sum((weights[level] for level in missing), ZERO) / len(present)
    effective = {level: weights[level] + share for level in present}
    return means, present, missing, share, effective, sum((means[level] * effective[level] for level in present), ZERO)


def task_score(task: Task, assessment: Entry | None) -> Decimal:
    """The task's year-end score as the annual section counts it (0 before its assessment)."""
    score, _ = _task_score(task, assessment)
    return ZERO if score is None else score


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
                                    f"不计：已于 {task.withdrawn_on} 撤回，不计入层级平均",
                                    entries=resolved.cite_all([task.assignment, task.withdrawal, *history])))
            continue
        score, formula = _task_score(task, resolved.latest("task.assessed", unit.code, task.code))
        if score is None:
            pending.append(f"task.{task.code}")
            score = ZERO
        level = task.p["level"]
        by_level[level].append((task.weight, score))
        level_nodes[level].append(Node(
            f"{task.label} · {METHOD_NAMES.get(task.p['method'], task.p['method'])}", score,
            f"{formula}（权重 {num(task.weight)}）",
            entries=resolved.cite_all([task.assignment, *history], unit.code)))
    for assignment in voided:
        other_nodes.append(Node(task_name(assignment.payload["task"]), ZERO,
                                "不计：任务下达已作废（其报告、佐证、考核随之失效）",
                                entries=resolved.cite_all([assignment, resolved.void_of(assignment)])))

    means, present, missing, share, effective, annual = combine_levels(by_level, weights)
    if not present:
        pending.append("annual_individual")
        if not other_nodes:
            return ZERO, means, leaf_without_entries(TASKS_LABEL, ZERO,
                                                     "没有在册任务 → 0", pending=True)
        return ZERO, means, Node(TASKS_LABEL, ZERO, PENDING + "没有在册任务 → 0",
                                 other_nodes)
    children = []
    for level in present:
        pairs = by_level[level]
        terms = " + ".join(f"{num(w)}×{fmt(s)}" for w, s in pairs)
        weight_note = (f"权重 {num(weights[level])} + {exact(share)}（无任务层级的权重分来）"
                       if missing else f"权重 {num(weights[level])}")
        children.append(Node(f"{_level(level)}层级", means[level],
                             f"({terms}) / {num(sum((w for w, _ in pairs), ZERO))} = {fmt(means[level])}；"
                             f"{weight_note}", level_nodes[level]))
    children += other_nodes
    terms = " + ".join(f"{_level(level)} {fmt(means[level])}×{exact(effective[level])}" for level in present)
    formula = f"{terms} = {fmt(annual)}"
    if missing and len(weights) > 1:
        formula += f"（没有{_levels(missing)}任务：其权重平均分给{_levels(present)}）"
    return annual, means, Node(TASKS_LABEL, annual, formula, children)


def task_load_bonus(unit: Unit, tasks: list[Task], means: Mapping[str, Decimal], resolved: Resolution,
                    scheme: Scheme) -> tuple[Decimal, Node]:
    label = FIGURE_NAMES["task_load_bonus"]
    load = scheme.data["task_load"]
    per_task = {level: dec(v) for level, v in load["per_task"].items()}
    if not set(per_task) & set(scheme.levels(unit.group)):
        return ZERO, leaf_without_entries(
            label, ZERO, f"{GROUP_NAMES.get(unit.group, unit.group)}没有{_levels(per_task)}任务层级，不计任务量加分 → 0")
    co_factor, gate_level, gate = dec(load["co_factor"]), load["gate_level"], dec(load["gate"])
    eligible = [t for t in tasks if t.active and t.p["level"] in per_task]
    if not eligible:
        return ZERO, leaf_without_entries(label, ZERO, f"没有{'或'.join(map(_level, per_task))}任务 → 0")
    leaves, amounts = [], []
    for task in eligible:
        amount = _load_amount(task, per_task, co_factor)
        formula = f"{num(per_task[task.p['level']])} × 难度系数 {num(task.difficulty)}"
        if task.role == "co":
            formula += f" × {TASK_ROLES['co']} {num(co_factor)}"
        amounts.append(amount)
        leaves.append(Node(f"{task.label} · {_level(task.p['level'])} {TASK_ROLES.get(task.role, task.role)}", amount,
                           f"{formula} = {exact(amount)}", entries=resolved.cite_all([task.assignment], unit.code)))
    raw = sum(amounts, ZERO)
    if _gated(means, gate_level, gate):
        return ZERO, Node(label, ZERO, f"{_level(gate_level)}层级平均 {exact(means[gate_level])} < {num(gate)}："
                                       f"不予任务量加分（完成省目标低于70%的不予加分）；否则为 {exact(raw)}",
                          leaves)
    gate_note = (f"{_level(gate_level)}层级平均 {exact(means[gate_level])} ≥ {num(gate)}" if gate_level in means
                 else f"没有{_level(gate_level)}任务：不设门槛")
    terms = " + ".join(exact(a) for a in amounts)
    return raw, Node(label, raw, f"{terms} = {exact(raw)}（{gate_note}）", leaves)


def task_load_figure(unit: Unit, tasks: list[Task], means: Mapping[str, Decimal], scheme: Scheme) -> Decimal:
    """`task_load_bonus(...)[0]` without its explanation (the replay's figures-only path)."""
    load = scheme.data["task_load"]
    per_task = {level: dec(v) for level, v in load["per_task"].items()}
    if not set(per_task) & set(scheme.levels(unit.group)):
        return ZERO
    co_factor = dec(load["co_factor"])
    amounts = [_load_amount(t, per_task, co_factor) for t in tasks if t.active and t.p["level"] in per_task]
    if not amounts or _gated(means, load["gate_level"], dec(load["gate"])):
        return ZERO
    return sum(amounts, ZERO)


def _load_amount(task: Task, per_task: Mapping[str, Decimal], co_factor: Decimal) -> Decimal:
    amount = per_task[task.p["level"]] * task.difficulty
    return amount * co_factor if task.role == "co" else amount


def _gated(means: Mapping[str, Decimal], gate_level: str, gate: Decimal) -> bool:
    """No task-load bonus while the gate level's mean is below the gate (§3.3)."""
    return gate_level in means and means[gate_level] < gate


def five_task_warning(unit: Unit, tasks: list[Task], resolved: Resolution,
                      scheme: Scheme) -> tuple[list[str], Node | None]:
    minimum = scheme.data.get("min_tasks", {}).get(unit.group)
    if minimum is None:
        return [], None
    active = [t for t in tasks if t.active]
    if len(active) >= int(minimum):
        return [], None
    warning = (f"{unit.code} 在册任务 {len(active)} 项，少于 {minimum} 项：应以{_level('own')}补足"
               "（不足5项的…补充）")
    label = f"任务不足 {minimum} 项（提示，不影响分数）"
    if not active:
        return [warning], leaf_without_entries(label, Decimal(len(active)), f"没有在册任务：{warning}")
    return [warning], Node(label, Decimal(len(active)), warning,
                           entries=resolved.cite_all([t.assignment for t in active], unit.code))
