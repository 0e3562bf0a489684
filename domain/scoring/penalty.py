"""§7 Penalty (减分项): the imposed items, uncapped, and one derived P8 for each standing falsified
verification of an important task's evidence (§3.1). A P8 imposed by hand beside a derived one is
counted (the office may have found other 虚报) but shown with it as a pair and flagged 可能重复扣分,
since §3.1 says the office does not impose that P8 again by hand."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..decimals import exact, num
from ..entries import Entry
from ..explain import Node, leaf_without_entries
from ..labels import DERIVED_P8, DOUBLE_P8, FIGURE_NAMES, VERIFICATION_OUTCOMES
from ..reference import Unit
from ..scheme import Scheme
from .resolution import Resolution
from .tasks import Task
from .values import ZERO, dec


@dataclass
class _Falsified:
    """A standing `falsified` verification on an important task's evidence: a derived P8."""

    evidence: Entry
    verification: Entry
    task: str


def _falsified(unit: Unit, tasks: list[Task], resolved: Resolution) -> list[_Falsified]:
    """Derived P8s: standing falsified verifications of evidence of important tasks, withdrawn or not."""
    important = {t.code for t in tasks if t.p.get("important")}
    found = []
    for evidence in resolved.of_unit("evidence.submitted", unit.code):
        if evidence.payload.get("task") not in important or not resolved.standing(evidence):
            continue
        verification = resolved.latest("evidence.verified", unit.code, evidence.payload["evidence"])
        if verification is not None and verification.payload["outcome"] == "falsified":
            found.append(_Falsified(evidence, verification, evidence.payload["task"]))
    return found


def penalty_score(unit: Unit, tasks: list[Task], resolved: Resolution,
                  scheme: Scheme) -> tuple[Decimal, Node, list[str]]:
    """The penalty, its explanation, and the warnings for the office's checks (a P8 twice)."""
    label = FIGURE_NAMES["penalty"]
    p8_code = scheme.data["penalty"]["falsified_evidence_item"]
    children: list[Node] = []
    amounts: list[Decimal] = []
    by_hand: list[tuple[Entry, Node]] = []  # standing P8s imposed by hand
    for entry in resolved.of_unit("penalty.imposed", unit.code):
        p = entry.payload
        item = scheme.penalty_item(p["item"])
        count = int(p.get("count") or 1)
        title = f"{p['item']} {item['name'] if item else ''}".rstrip()
        if not resolved.standing(entry):
            children.append(Node(title, ZERO, f"不计：已被 {resolved.void_of(entry).id} 作废",
                                 entries=resolved.cite_all([entry], unit.code)))
            continue
        if item is None:
            children.append(Node(title, ZERO, f"不计：不是方案 {scheme.version} 的减分项",
                                 entries=resolved.cite_all([entry], unit.code)))
            continue
        amount = dec(item["points"]) * count
        amounts.append(amount)
        node = Node(title, amount, f"{count} × {num(dec(item['points']))} = {exact(amount)}",
                    entries=resolved.cite_all([entry], unit.code))
        children.append(node)
        if p["item"] == p8_code:
            by_hand.append((entry, node))
    p8 = scheme.penalty_item(p8_code) or {"points": "0", "name": ""}
    derived: list[tuple[Entry, Node]] = []
    for found in _falsified(unit, tasks, resolved):
        amount = dec(p8["points"])
        amounts.append(amount)
        derived.append((found.verification, Node(
            f"{p8_code} {p8['name']}{DERIVED_P8}", amount,
            f"重要指标任务 {found.task} 的佐证 {found.evidence.payload['evidence']} 经 {found.verification.id} "
            f"核验为{VERIFICATION_OUTCOMES['falsified']}（现行）→ 1 × {num(amount)}",
            entries=resolved.cite_all([found.evidence, found.verification], unit.code))))
    warnings: list[str] = []
    if by_hand and derived:
        hand_ids = ", ".join(entry.id for entry, _ in by_hand)
        derived_ids = ", ".join(entry.id for entry, _ in derived)
        why = (f"手工登记的 {p8_code}（{hand_ids}）与现行造假核验（{derived_ids}）自动计的 {p8_code} "
               f"并列：{DOUBLE_P8}；按考评方案第 3.1 节，考评办不再手工登记该 {p8_code}")
        warnings.append(f"{unit.code}：{why}")
        pair = [node for _, node in by_hand + derived]
        children = [node for node in children if all(node is not n for _, n in by_hand)]
        subtotal = sum((node.value for node in pair), ZERO)
        children.append(Node(f"{p8_code} {DOUBLE_P8}（提示：两者均计入）",
                             subtotal, f"{' + '.join(exact(n.value) for n in pair)} = {exact(subtotal)}；"
                             f"{why}", pair))
    else:
        children += [node for _, node in derived]
    penalty = sum(amounts, ZERO)
    if not children:
        return ZERO, leaf_without_entries(label, ZERO, "没有减分 → 0"), warnings
    terms = " + ".join(exact(a) for a in amounts) or "0"
    return penalty, Node(label, penalty, f"{terms} = {exact(penalty)}", children), warnings
