"""The rules of a unit's scores from outside its tasks: common indicators, bonuses, funding, penalties.

Items are looked up in the scheme in force when the entry is recorded. The funding item (B10 in
2018) is computed from funding.recorded and never awarded; items set per award (B11, B12) take
points, the others a count (SCHEME-2018 §§4, 6, 7).
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
        raise UnknownReference(f"unknown common indicator {cmd.indicator!r}", field="indicator")
    return [unit_stream(unit.code)]


def bonus_awarded(cmd: c.BonusAwarded, ctx: Context) -> list[str]:
    unit, _ = named_unit(ctx, cmd.unit)
    item = ctx.view.registry.scheme_at(ctx.recorded_at).bonus_item(cmd.item)
    if item is None:
        raise UnknownReference(f"unknown bonus item {cmd.item!r}", field="item")
    if Scheme.is_funding_item(item):
        raise RuleViolation(f"{cmd.item} is computed from funding.recorded, not awarded",
                            field="item")
    if Scheme.is_set_per_award(item):
        if "count" in cmd.model_fields_set:
            raise RuleViolation(f"{cmd.item} is set per award by points, not count", field="count")
        low, high = item["min"], item["max"]
        if cmd.points is None:
            raise RuleViolation(f"required for {cmd.item} ({low}–{high})", field="points")
        if not (Decimal(low) <= cmd.points <= Decimal(high)):
            raise RuleViolation(f"{cmd.item} points must be within {low}–{high}", field="points")
    elif cmd.points is not None:
        raise RuleViolation(f"{cmd.item} has fixed points; give count", field="points")
    return [unit_stream(unit.code)]


def funding_recorded(cmd: c.FundingRecorded, ctx: Context) -> list[str]:
    unit, _ = named_unit(ctx, cmd.unit)
    return [unit_stream(unit.code)]


def penalty_imposed(cmd: c.PenaltyImposed, ctx: Context) -> list[str]:
    unit, _ = named_unit(ctx, cmd.unit)
    if ctx.view.registry.scheme_at(ctx.recorded_at).penalty_item(cmd.item) is None:
        raise UnknownReference(f"unknown penalty item {cmd.item!r}", field="item")
    return [unit_stream(unit.code)]
