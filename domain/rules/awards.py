"""The rules of a unit's scores from outside its tasks: common indicators, bonuses, funding, penalties.

Items are looked up in the scheme in force when the entry is recorded. The funding item (B10 in
2018) is computed from funding.recorded and never awarded; items set per award (B11, B12) take
points, the others a count (docs/scheme.md §§4, 6, 7).
"""

from __future__ import annotations

from decimal import Decimal

from .. import commands as c
from ..errors import RuleViolation, UnknownReference
from ..names import unit_stream
from ..scheme import Scheme
from .checks import Context, named_unit


def common_scored(cmd: c.CommonScored, ctx: Context) -> list[str]:
    unit, _ = named_unit(ctx, cmd.unit)
    if cmd.indicator not in ctx.view.registry.indicators:
        raise UnknownReference("indicator.unknown", field="indicator", code=cmd.indicator)
    return [unit_stream(unit.code)]


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
