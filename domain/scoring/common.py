"""§4 Common indicators (共性指标): the mean of the unit's latest standing item scores without the
excluded items; 创城 is shown beside the total, not in it (另行核算)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ..decimals import fmt
from ..explain import PENDING, Node, leaf_without_entries
from ..labels import FIGURE_NAMES, indicator_name
from ..reference import Indicator, Unit
from ..scheme import Scheme
from .resolution import Resolution
from .values import ZERO, dec

#: 创城 beside the total, not in it (docs/scheme.md §4: 创城成绩另行核算)
CHUANGCHENG_LABEL = "创城（另行核算，不计入总分）"


def common_score(unit: Unit, resolved: Resolution, scheme: Scheme, pending: list[str],
                 indicators: Mapping[str, Indicator]) -> tuple[Decimal, Decimal, Node, Node]:
    """The common score, 创城's, and their explanations; `indicators` (the registry's) names each
    indicator scored ("共性指标 C16 依法行政"); a code it does not hold is shown bare."""
    excluded = set(scheme.data["common"]["excluded"])
    chuang_code = scheme.data["common"]["chuangcheng"]
    scored = sorted({e.payload["indicator"] for e in resolved.of_unit("common.scored", unit.code)})
    counted: list[Decimal] = []
    leaves = []
    chuangcheng, chuang_node = ZERO, None
    for code in scored:
        history = resolved.history("common.scored", unit.code, code)
        latest = resolved.latest("common.scored", unit.code, code)
        cited = resolved.cite_all(history, unit.code)
        registered = indicators.get(code)
        label = f"{FIGURE_NAMES['common']} {indicator_name(code, registered.name if registered else '')}"
        if latest is None:
            leaves.append(Node(label, ZERO, "不计：每次评分均已作废", entries=cited))
            continue
        score = dec(latest.payload["score"])
        if code == chuang_code:
            chuangcheng = score
            chuang_node = Node(CHUANGCHENG_LABEL, score, f"{code} 最新的现行评分 = {fmt(score)}", entries=cited)
        if code in excluded:
            leaves.append(Node(label, score, f"{fmt(score)}，不计入平均", entries=cited))
            continue
        counted.append(score)
        leaves.append(Node(label, score, f"最新的现行评分 = {fmt(score)}", entries=cited))
    label = f"{FIGURE_NAMES['common']}（{'、'.join(sorted(excluded))} 除外的平均）"
    # pending follows the contract's figure order: common, then chuangcheng
    if not counted:
        pending.append("common")
    if chuang_node is None:
        pending.append("chuangcheng")
        chuang_node = leaf_without_entries(CHUANGCHENG_LABEL, ZERO, f"{chuang_code} 尚无现行评分 → 0",
                                           pending=True)
    if not counted:
        common_node = (Node(label, ZERO, PENDING + "计入平均的各项均无现行评分 → 0", leaves) if leaves
                       else leaf_without_entries(label, ZERO, "尚无评分 → 0", pending=True))
        return ZERO, chuangcheng, common_node, chuang_node
    common = sum(counted, ZERO) / len(counted)
    formula = f"({' + '.join(fmt(s) for s in counted)}) / {len(counted)} = {fmt(common)}"
    return common, chuangcheng, Node(label, common, formula, leaves), chuang_node
