"""§6 Bonus (加分项): awarded items under their group caps, B10 from the group's funding totals, the
sum under the overall cap."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..decimals import exact, fmt, num
from ..entries import Entry
from ..explain import Node, leaf_without_entries
from ..labels import FIGURE_NAMES
from ..reference import Unit
from ..scheme import Scheme
from .resolution import Resolution
from .values import ZERO, dec


def _award_points(entry: Entry, item: Mapping[str, Any]) -> tuple[Decimal, str]:
    p = entry.payload
    if Scheme.is_set_per_award(item):
        if p.get("points") is None:
            # awarded by count while the item had fixed points; an amendment since sets it per award
            return ZERO, f"0（{entry.id} 登记的是次数，没有分值，而该项现为每次评定分值）"
        points = dec(p["points"])
        return points, f"{num(points)}（每次评定分值）"
    count = int(p.get("count") or 1)
    points = dec(item["points"]) * count
    return points, f"{count} × {num(dec(item['points']))}"


def bonus_score(unit: Unit, units: Mapping[str, Unit], resolved: Resolution, scheme: Scheme) -> tuple[Decimal, Node]:
    label = FIGURE_NAMES["bonus"]
    raw: dict[str, Decimal] = defaultdict(lambda: ZERO)
    item_leaves: dict[str, Node] = {}
    awards = resolved.of_unit("bonus.awarded", unit.code)
    for code in sorted({e.payload["item"] for e in awards}, key=lambda c: (len(c), c)):
        history = [e for e in awards if e.payload["item"] == code]
        item = scheme.bonus_item(code)
        terms, total = [], ZERO
        for entry in history:
            if resolved.standing(entry) and item is not None and not Scheme.is_funding_item(item):
                points, term = _award_points(entry, item)
                total += points
                terms.append(term)
        raw[code] = total
        if item is None:
            formula = f"不计：{code} 不是方案 {scheme.version} 的加分项"
        elif Scheme.is_funding_item(item):
            formula = f"不计：方案 {scheme.version} 中 {code} 由争取资金记录算出，不登记加分"
        elif not terms:
            formula = "不计：该项的每次加分均已作废"
        else:
            formula = f"{' + '.join(terms)} = {exact(total)}"
        item_leaves[code] = Node(f"{code} {item['name'] if item else ''}".rstrip(), total, formula,
                                 entries=resolved.cite_all(history, unit.code))

    parts: list[tuple[Decimal, str]] = []
    children: list[Node] = []
    capped_items: set[str] = set()
    for items, cap in scheme.caps():
        capped_items |= set(items)
        leaves = [item_leaves[i] for i in items if i in item_leaves]
        if not leaves:
            continue
        subtotal = sum((raw[i] for i in items), ZERO)
        value = min(subtotal, cap)
        parts.append((value, "+".join(items)))
        children.append(Node(f"{'+'.join(items)} ≤ {num(cap)}", value,
                             f"min({exact(subtotal)}, {num(cap)}) = {exact(value)}", leaves))
    for code, leaf in item_leaves.items():
        if code not in capped_items:
            parts.append((raw[code], code))
            children.append(leaf)

    for code, item in scheme.data["bonus"]["items"].items():
        if Scheme.is_funding_item(item):
            value, node = _funding_bonus(code, item, unit, units, resolved)
            if node is not None:
                parts.append((value, code))
                children.append(node)

    before_cap = sum((v for v, _ in parts), ZERO)
    cap = scheme.dec("total", "bonus_cap")
    bonus = min(before_cap, cap)
    if not children:
        return ZERO, leaf_without_entries(label, ZERO, "没有加分，也没有争取资金记录 → 0")
    terms = " + ".join(f"{name} {exact(v)}" for v, name in parts)
    return bonus, Node(label, bonus, f"min({terms}, {num(cap)}) = {fmt(bonus)}", children)


def _funding_bonus(code: str, item: Mapping[str, Any], unit: Unit, units: Mapping[str, Unit],
                   resolved: Resolution) -> tuple[Decimal, Node | None]:
    """B10: the group's largest standing funding total earns the item's points, others pro rata."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_unit: dict[str, list[Entry]] = defaultdict(list)
    for entry in resolved.by_type["funding.recorded"]:
        owner = units.get(entry.payload["unit"])
        if owner is None or owner.group != unit.group:
            continue
        by_unit[owner.code].append(entry)
        if resolved.standing(entry):
            totals[owner.code] += dec(entry.payload["amount"])
    own_entries = by_unit.get(unit.code, [])
    if not own_entries:
        return ZERO, None
    points = dec(item["funding"])
    label = f"{code} {item.get('name', '')}".rstrip()
    own = totals.get(unit.code, ZERO)
    largest = max(totals.values(), default=ZERO)
    if own <= 0 or largest <= 0:
        return ZERO, Node(label, ZERO, "不计：没有现行的争取资金记录",
                          entries=resolved.cite_all(own_entries, unit.code))
    leaders = sorted(c for c, t in totals.items() if t == largest)
    value = points * own / largest
    cited = list(own_entries)
    if unit.code not in leaders:
        cited += by_unit[leaders[0]]
    formula = (f"{num(points)} × 本单位 {num(own)} ÷ 本组最高 {num(largest)}（{'、'.join(leaders)}）= "
               f"{exact(value)}")
    return value, Node(label, value, formula, entries=resolved.cite_all(cited, unit.code))
