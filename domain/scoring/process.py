"""§3.1 Process score (过程成绩): 100 less one deduction per judged checkpoint, the largest that
applies; on an important task the worst standing verification of its evidence counts too."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ..decimals import fmt, num
from ..entries import Entry
from ..explain import Node, leaf_without_entries
from ..labels import FIGURE_NAMES, PROCESS_DEDUCTIONS, QUALITY, VERIFICATION_OUTCOMES
from ..reference import Unit
from ..scheme import Scheme
from .resolution import Cutoff, Resolution
from .tasks import Task
from .values import ZERO

#: how bad a verification is: where a checkpoint has several pieces of evidence, the worst standing one counts
VERIFICATION_SEVERITY = {"falsified": 2, "discrepancy": 1, "confirmed": 0}


def _checkpoint_deduction(task: Task, checkpoint: str, due: date, unit: Unit, resolved: Resolution,
                          scheme: Scheme, cutoff: Cutoff) -> tuple[Decimal, str, list[Entry]]:
    """The one (largest) deduction a judged checkpoint costs, why, and the entries behind it."""
    cited: list[Entry] = [task.assignment]
    cited += resolved.history("checkpoint.reported", unit.code, task.code, checkpoint)
    report = resolved.latest("checkpoint.reported", unit.code, task.code, checkpoint)

    reasons: list[tuple[str, str]] = []  # (the scheme's process key, why it applies)
    notes: list[str] = []                # what was looked at and cost nothing
    if report is None:
        reasons.append(("not_reported", "没有现行的报告"))
    else:
        r = report.payload
        reported_on = date.fromisoformat(str(r["reported_on"]))
        if reported_on > cutoff.judge_date:
            reasons.append(("not_reported", f"{reported_on} 报告，晚于截至日 {cutoff.judge_date}"))
        else:
            if reported_on > due:
                reasons.append(("late", f"{reported_on} 报告，晚于到期日 {due}"))
            if not r["completed"]:
                reasons.append(("substandard", "报告未完成"))
            if r.get("quality", "ok") == "poor":
                reasons.append(("substandard", f"质量{QUALITY['poor']}"))
            if not reasons:
                notes.append(f"{reported_on} 报告，到期 {due}，已完成，质量{QUALITY['ok']}")

    # the worst standing verification among this checkpoint's evidence; it costs points only on an
    # important task (evidence of other tasks is kept and verified the same way)
    worst: Entry | None = None
    for evidence in resolved.evidence_for(unit.code, task.code, checkpoint):
        e = evidence.payload
        cited.append(evidence)
        cited += resolved.history("evidence.verified", unit.code, e["evidence"])
        verification = resolved.latest("evidence.verified", unit.code, e["evidence"])
        if verification is not None and resolved.standing(evidence) and (
                worst is None or VERIFICATION_SEVERITY[verification.payload["outcome"]]
                > VERIFICATION_SEVERITY[worst.payload["outcome"]]):
            worst = verification
    if worst is not None and worst.payload["outcome"] != "confirmed":
        outcome, evidence_code = worst.payload["outcome"], worst.payload["evidence"]
        verified = f"佐证 {evidence_code} 核验为{VERIFICATION_OUTCOMES.get(outcome, outcome)}"
        if not task.p.get("important"):
            notes.append(f"{verified}，非重要指标，不扣分")
        elif outcome == "falsified":
            reasons.append(("not_reported", verified))
        else:
            reasons.append(("substandard", verified))

    note = f"（{'；'.join(notes)}）" if notes else ""
    if not reasons:
        return ZERO, f"未扣分{note} → 0", cited
    # at most one deduction per checkpoint, the largest (the first listed among equals)
    key, why = max(reasons, key=lambda reason: scheme.dec("process", reason[0]))
    points = scheme.dec("process", key)
    others = [w for k, w in reasons if (k, w) != (key, why)]
    also = f"（另：{'；'.join(others)}；每个节点只扣一次，取最大的）" if others else ""
    return points, f"{why}：{PROCESS_DEDUCTIONS[key]} → {num(points)}{also}{note}", cited


def task_process(task: Task, unit: Unit, resolved: Resolution, scheme: Scheme,
                 cutoff: Cutoff) -> tuple[list[Decimal], Node]:
    """One task's deductions (one per judged checkpoint that costs points) and its node."""
    leaves, task_points = [], []
    for checkpoint, due in task.checkpoints:
        label = f"节点 {task.code}/{checkpoint}（到期 {due}）"
        if due > cutoff.judge_date:
            leaves.append(Node(label, ZERO, f"不考核：到期日晚于截至日 {cutoff.judge_date} → 0",
                               entries=resolved.cite_all([task.assignment])))
            continue
        if task.withdrawn_on is not None and due > task.withdrawn_on:
            leaves.append(Node(label, ZERO, f"不考核：任务已于 {task.withdrawn_on} 撤回 → 0",
                               entries=resolved.cite_all([task.assignment, task.withdrawal])))
            continue
        points, formula, cited = _checkpoint_deduction(task, checkpoint, due, unit, resolved, scheme, cutoff)
        if task.withdrawal is not None:
            cited.append(task.withdrawal)
            formula += f"（到期早于 {task.withdrawn_on} 撤回：照计）"
        leaves.append(Node(label, points, formula, entries=resolved.cite_all(cited, unit.code)))
        if points:
            task_points.append(points)
    subtotal = sum(task_points, ZERO)
    formula = " + ".join(num(p) for p in task_points) + f" = {fmt(subtotal)}" if task_points else "0"
    if not leaves:
        return task_points, Node(task.label, ZERO, "没有节点 → 0",
                                 entries=resolved.cite_all([task.assignment], unit.code))
    return task_points, Node(task.label, subtotal, f"扣分 {formula}", leaves)


def process_of(scheme: Scheme, deducted: Decimal) -> Decimal:
    """The process score once `deducted` points are taken off its base (never below 0)."""
    return max(ZERO, scheme.dec("process", "base") - deducted)


def process_score(unit: Unit, tasks: list[Task], resolved: Resolution, scheme: Scheme,
                  cutoff: Cutoff) -> tuple[Decimal, Node]:
    base = scheme.dec("process", "base")
    deductions: list[Decimal] = []
    task_nodes = []
    for task in tasks:
        task_points, node = task_process(task, unit, resolved, scheme, cutoff)
        deductions += task_points
        task_nodes.append(node)
    process = process_of(scheme, sum(deductions, ZERO))
    terms = " + ".join(num(d) for d in deductions) if deductions else "0"
    formula = f"max(0, {num(base)} − ({terms})) = {fmt(process)}"
    if not task_nodes:
        return process, leaf_without_entries(FIGURE_NAMES["process"], process,
                                             f"没有任务，没有可考核的节点：{formula}")
    return process, Node(FIGURE_NAMES["process"], process, formula, task_nodes)
