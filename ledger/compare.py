"""Why does A rank above B (docs/commands.md §7 "比较"): every figure side by side, each
difference times the figure's weight in the total (docs/scheme.md §2), largest first. The top-level
figures' contributions (indicator, comprehensive, bonus, penalty) add up to the difference of the
totals (exactly on the unrounded figures; shown rounded, they may differ from it by a cent); the
others say how a top-level one came about. Differences are of the figures as shown, so that they are
what a reader subtracts on the page.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kaoping.domain.decimals import fmt, rounded
from kaoping.domain.errors import InvalidCommand, NotFound
from kaoping.domain.scheme import Scheme

from .reader import Reader

#: the figures a total is the weighted sum of; the other figures are parts of these
TOP_LEVEL = ("indicator", "comprehensive", "bonus", "penalty")


def weights(scheme: Scheme) -> dict[str, Decimal]:
    """Each figure's weight in the total under `scheme` (penalty subtracts; 创城 is not in it)."""
    w_ind, w_comp = scheme.dec("total", "indicator"), scheme.dec("total", "comprehensive")
    w_individual = w_ind * scheme.dec("indicator", "individual")
    w_annual = w_individual * scheme.dec("individual", "annual")
    return {
        "indicator": w_ind, "comprehensive": w_comp, "bonus": Decimal(1), "penalty": Decimal(-1),
        "individual": w_individual, "common": w_ind * scheme.dec("indicator", "common"),
        "process": w_individual * scheme.dec("individual", "process"),
        "annual_individual": w_annual, "task_load_bonus": w_annual,
        "half_year_comp": w_comp * scheme.dec("comprehensive", "half_year"),
        "year_end_comp": w_comp * scheme.dec("comprehensive", "year_end"),
        "chuangcheng": Decimal(0),
    }


def compare(reader: Reader, a: str, b: str, *, as_of: str | None = None) -> dict[str, Any]:
    registry = reader.registry()
    code_a, code_b = a.strip().upper(), b.strip().upper()
    for code, name in ((code_a, "a"), (code_b, "b")):
        if code not in registry.units:
            raise NotFound("unit.unknown", field=name, code=code)
    if code_a == code_b:
        raise InvalidCommand("compare.same_unit", field="b")
    scores = reader.unit_scores([code_a, code_b], as_of=as_of)
    first, second = scores[code_a], scores[code_b]
    in_force = registry.scheme_at(first.cutoff.as_of or reader.clock())
    rows = []
    for figure, weight in weights(in_force).items():
        one, other = getattr(first, figure), getattr(second, figure)
        rows.append({"figure": figure, "a": fmt(one), "b": fmt(other),
                     "difference": fmt(rounded(one) - rounded(other)),
                     "contribution": fmt((one - other) * weight), "top_level": figure in TOP_LEVEL,
                     "_size": abs((one - other) * weight)})
    rows.sort(key=lambda r: (-r["_size"], r["figure"]))
    for row in rows:
        del row["_size"]
    return {"a": code_a, "b": code_b, "as_of": as_of, "total_a": fmt(first.total),
            "total_b": fmt(second.total), "difference": fmt(rounded(first.total) - rounded(second.total)),
            "by_figure": rows}


__all__ = ["TOP_LEVEL", "compare", "weights"]
