"""§7 Penalty (减分项): the imposed items, uncapped, and one derived P8 for each standing falsified
verification of an important task's evidence (§3.1)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..decimals import exact, num
from ..entries import Entry
from ..explain import Node, leaf_without_entries
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
        if evidence.payload["task"] not in important or not resolved.standing(evidence):
            continue
        verification = resolved.latest("evidence.verified", unit.code, evidence.payload["evidence"])
        if verification is not None and verification.payload["outcome"] == "falsified":
            found.append(_Falsified(evidence, verification, evidence.payload["task"]))
    return found


def penalty_score(unit: Unit, tasks: list[Task], resolved: Resolution, scheme: Scheme) -> tuple[Decimal, Node]:
    label = "减分 penalty"
    children, amounts = [], []
    for entry in resolved.of_unit("penalty.imposed", unit.code):
        p = entry.payload
        item = scheme.penalty_item(p["item"])
        count = int(p.get("count") or 1)
        title = f"{p['item']} {item['name'] if item else ''}".rstrip()
        if not resolved.standing(entry):
            children.append(Node(title, ZERO, f"not counted: voided by {resolved.void_of(entry).id}",
                                 entries=resolved.cite_all([entry], unit.code)))
            continue
        if item is None:
            children.append(Node(title, ZERO, f"not counted: not an item of scheme {scheme.version}",
                                 entries=resolved.cite_all([entry], unit.code)))
            continue
        amount = dec(item["points"]) * count
        amounts.append(amount)
        children.append(Node(title, amount, f"{count} × {num(dec(item['points']))} = {exact(amount)}",
                             entries=resolved.cite_all([entry], unit.code)))
    p8_code = scheme.data["penalty"]["falsified_evidence_item"]
    p8 = scheme.penalty_item(p8_code) or {"points": "0", "name": ""}
    for found in _falsified(unit, tasks, resolved):
        amount = dec(p8["points"])
        amounts.append(amount)
        children.append(Node(
            f"{p8_code} {p8['name']} (derived)", amount,
            f"evidence {found.evidence.payload['evidence']} of important task {found.task} verified falsified "
            f"by {found.verification.id}, standing → 1 × {num(amount)}",
            entries=resolved.cite_all([found.evidence, found.verification], unit.code)))
    penalty = sum(amounts, ZERO)
    if not children:
        return ZERO, leaf_without_entries(label, ZERO, "no penalty imposed → 0")
    terms = " + ".join(exact(a) for a in amounts) or "0"
    return penalty, Node(label, penalty, f"{terms} = {exact(penalty)}", children)
