"""§4 Common indicators (共性指标): the mean of the unit's latest standing item scores without the
excluded items; 创城 is shown beside the total, not in it (另行核算)."""

from __future__ import annotations

from decimal import Decimal

from ..decimals import fmt
from ..explain import Node, leaf_without_entries
from ..reference import Unit
from ..scheme import Scheme
from .resolution import Resolution
from .values import ZERO, dec


def common_score(unit: Unit, resolved: Resolution, scheme: Scheme,
                 pending: list[str]) -> tuple[Decimal, Decimal, Node, Node]:
    excluded = set(scheme.data["common"]["excluded"])
    chuang_code = scheme.data["common"]["chuangcheng"]
    indicators = sorted({e.payload["indicator"] for e in resolved.of_unit("common.scored", unit.code)})
    counted: list[Decimal] = []
    leaves = []
    chuangcheng, chuang_node = ZERO, None
    for code in indicators:
        history = resolved.history("common.scored", unit.code, code)
        latest = resolved.latest("common.scored", unit.code, code)
        cited = resolved.cite_all(history, unit.code)
        label = f"共性指标 indicator {code}"
        if latest is None:
            leaves.append(Node(label, ZERO, "not counted: every score voided", entries=cited))
            continue
        score = dec(latest.payload["score"])
        if code == chuang_code:
            chuangcheng = score
            chuang_node = Node("创城 chuangcheng (shown, not in the total: 另行核算)", score,
                               f"latest standing {code} score = {fmt(score)}", entries=cited)
        if code in excluded:
            leaves.append(Node(label, score, f"{fmt(score)}, excluded from the mean", entries=cited))
            continue
        counted.append(score)
        leaves.append(Node(label, score, f"latest standing score = {fmt(score)}", entries=cited))
    label = f"共性指标 common (mean without {', '.join(sorted(excluded))})"
    # pending follows the contract's figure order: common, then chuangcheng
    if not counted:
        pending.append("common")
    if chuang_node is None:
        pending.append("chuangcheng")
        chuang_node = leaf_without_entries("创城 chuangcheng (shown, not in the total: 另行核算)", ZERO,
                                           f"no standing {chuang_code} score yet → 0", pending=True)
    if not counted:
        common_node = (Node(label, ZERO, "pending: no counted item scored → 0", leaves) if leaves
                       else leaf_without_entries(label, ZERO, "no item scored yet → 0", pending=True))
        return ZERO, chuangcheng, common_node, chuang_node
    common = sum(counted, ZERO) / len(counted)
    formula = f"({' + '.join(fmt(s) for s in counted)}) / {len(counted)} = {fmt(common)}"
    return common, chuangcheng, Node(label, common, formula, leaves), chuang_node
