"""The rules of a unit's scores from outside its tasks: common indicators, bonuses, funding, penalties.

Items are looked up in the scheme in force when the entry is recorded. The funding item (B10 in
2018) is computed from funding.recorded and never awarded; items set per award (B11, B12) take
points, the others a count (docs/scheme.md §§4, 6, 7).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import commands as c
from ..decimals import exact, num, rounded
from ..errors import RuleViolation, UnknownReference
from ..labels import coded
from ..names import unit_stream
from ..scheme import Scheme
from .checks import Context, named_unit


def common_scored(cmd: c.CommonScored, ctx: Context) -> list[str]:
    unit, _ = named_unit(ctx, cmd.unit)
    if cmd.indicator not in ctx.view.registry.indicators:
        raise UnknownReference("indicator.unknown", field="indicator", code=cmd.indicator)
    subs = ctx.view.registry.scheme_at(ctx.recorded_at).sub_indicators(cmd.indicator)
    if not subs and cmd.parts is not None:
        raise RuleViolation("common.parts_none", field="parts", indicator=cmd.indicator)
    if subs:
        mean = parts_mean(cmd, subs)
        if cmd.score is None:
            ctx.adds["score"] = exact(mean)
        elif rounded(cmd.score) != mean:
            raise RuleViolation("common.score_mismatch", field="score", score=num(cmd.score), expected=num(mean))
    return [unit_stream(unit.code)]


def parts_mean(cmd: c.CommonScored, subs: list[dict[str, Any]]) -> Decimal:
    """§4.1: Σ weight × score ÷ Σ weight over the indicator's sub-indicators, each scored exactly once,
    to 2 places (half up): the score the ledger records for the indicator (docs/commands.md §10.4)."""
    names = {sub["code"]: sub["name"] for sub in subs}
    allowed = {"allowed": [coded(code, names) for code in names], "allowed_en": ", ".join(names)}
    if cmd.parts is None:
        raise RuleViolation("common.parts_required", field="parts", indicator=cmd.indicator, **allowed)
    given: dict[str, Decimal] = {}
    for i, part in enumerate(cmd.parts):
        if part.sub not in names:
            raise UnknownReference("common.part_unknown", field=f"parts.{i}.sub", indicator=cmd.indicator,
                                   code=part.sub, **allowed)
        if part.sub in given:
            raise RuleViolation("common.part_repeated", field=f"parts.{i}.sub", code=part.sub)
        given[part.sub] = part.score
    missing = [code for code in names if code not in given]
    if missing:
        raise RuleViolation("common.part_missing", field="parts", indicator=cmd.indicator,
                            missing=[coded(code, names) for code in missing], missing_en=", ".join(missing))
    weights = {sub["code"]: Decimal(str(sub.get("weight", 1))) for sub in subs}
    total = sum((weights[code] * score for code, score in given.items()), Decimal(0))
    return rounded(total / sum(weights.values(), Decimal(0)))


def bonus_awarded(cmd: c.BonusAwarded, ctx: Context) -> list[str]:
    unit, _ = named_unit(ctx, cmd.unit)
    item = ctx.view.registry.scheme_at(ctx.recorded_at).bonus_item(cmd.item)
    if item is None:
        raise UnknownReference("bonus.unknown", field="item", code=cmd.item)
    if Scheme.is_funding_item(item):
        raise RuleViolation("bonus.from_funding", field="item", item=cmd.item)
    if Scheme.is_set_per_award(item):
        low, high = item["min"], item["max"]
        words = {"item": cmd.item, "low": low, "high": high}
        if "count" in cmd.model_fields_set:
            raise RuleViolation("bonus.points_not_count", field="count", **words)
        if cmd.points is None:
            raise RuleViolation("bonus.points_required", field="points", **words)
        if not (Decimal(low) <= cmd.points <= Decimal(high)):
            raise RuleViolation("bonus.points_out_of_range", field="points", **words)
    elif cmd.points is not None:
        raise RuleViolation("bonus.fixed_points", field="points", item=cmd.item)
    return [unit_stream(unit.code)]


def funding_recorded(cmd: c.FundingRecorded, ctx: Context) -> list[str]:
    unit, _ = named_unit(ctx, cmd.unit)
    return [unit_stream(unit.code)]


def penalty_imposed(cmd: c.PenaltyImposed, ctx: Context) -> list[str]:
    unit, _ = named_unit(ctx, cmd.unit)
    if ctx.view.registry.scheme_at(ctx.recorded_at).penalty_item(cmd.item) is None:
        raise UnknownReference("penalty.unknown", field="item", code=cmd.item)
    return [unit_stream(unit.code)]
