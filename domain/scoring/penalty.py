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
from ..labels import DOUBLE_P8
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


def penalty_score(unit: Unit, tasks: list[Task], resolved: Resolution,
                  scheme: Scheme) -> tuple[Decimal, Node, list[str]]:
    """The penalty, its explanation, and the warnings for the office's checks (a P8 twice)."""
    label = "减分 penalty"
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
            children.append(Node(title, ZERO, f"not counted: voided by {resolved.void_of(entry).id}",
                                 entries=resolved.cite_all([entry], unit.code)))
            continue
        if item is None:
            children.append(Node(title, ZERO, f"not counted: not an item of scheme {scheme.version}",
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
            f"{p8_code} {p8['name']} (derived)", amount,
            f"evidence {found.evidence.payload['evidence']} of important task {found.task} verified falsified "
            f"by {found.verification.id}, standing → 1 × {num(amount)}",
            entries=resolved.cite_all([found.evidence, found.verification], unit.code))))
    warnings: list[str] = []
    if by_hand and derived:
        hand_ids = ", ".join(entry.id for entry, _ in by_hand)
        derived_ids = ", ".join(entry.id for entry, _ in derived)
        why = (f"{p8_code} imposed by hand ({hand_ids}) beside the {p8_code} derived from a standing "
               f"falsified verification ({derived_ids}): {DOUBLE_P8}; SCHEME-2018 §3.1, the office "
               f"does not impose that {p8_code} again by hand")
        warnings.append(f"{unit.code}: {why}")
        pair = [node for _, node in by_hand + derived]
        children = [node for node in children if all(node is not n for _, n in by_hand)]
        subtotal = sum((node.value for node in pair), ZERO)
        children.append(Node(f"{p8_code} {DOUBLE_P8} possible double deduction (warning: both counted)",
                             subtotal, f"{' + '.join(exact(n.value) for n in pair)} = {exact(subtotal)}; "
                             f"{why}", pair))
    else:
        children += [node for _, node in derived]
    penalty = sum(amounts, ZERO)
    if not children:
        return ZERO, leaf_without_entries(label, ZERO, "no penalty imposed → 0"), warnings
    terms = " + ".join(exact(a) for a in amounts) or "0"
    return penalty, Node(label, penalty, f"{terms} = {exact(penalty)}", children), warnings
