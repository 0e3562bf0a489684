"""§4 Common indicators (共性指标): the mean of the unit's latest standing item scores without the
excluded items; 创城 is shown beside the total, not in it (另行核算)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..decimals import exact, fmt
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
        parts = latest.payload.get("parts")
        if parts:
            leaves.append(by_parts(label, score, parts, scheme.sub_indicators(code),
                                   resolved.cite_all([latest], unit.code), cited))
            continue
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


def by_parts(label: str, score: Decimal, parts: list[dict[str, Any]], subs: list[dict[str, Any]],
             latest: list[dict[str, Any]], cited: list[dict[str, Any]]) -> Node:
    """§4.1: an indicator scored by its core sub-indicators, each part a node with its standard
    (可考核标准) and evidence carrier (可核查证明载体) as the scheme has them."""
    known = {sub["code"]: sub for sub in subs}
    children, terms, weights = [], [], []
    for part in parts:
        sub = known.get(part["sub"], {})
        weight, value = dec(sub.get("weight", 1)), dec(part["score"])
        name = f"核心指标 {part['sub']} {sub.get('name', '')}".rstrip()
        why = f"权重 {exact(weight)}，评分 {fmt(value)}"
        if sub:
            why += f"；可考核标准：{sub['standard']}；证明载体：{sub['evidence']}"
        children.append(Node(name, value, why, entries=latest))
        terms.append(f"{exact(weight)}×{fmt(value)}")
        weights.append(weight)
    formula = (f"按核心指标加权平均：({' + '.join(terms)}) / {exact(sum(weights, ZERO))} = {fmt(score)}"
               "（保留 2 位小数）")
    return Node(label, score, formula, children, entries=cited)
