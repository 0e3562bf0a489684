"""The rules of the ballot rounds (SCHEME-2018 §5): who may rank whom; a closed round takes no more.

A ballot is an entry in its round's stream and in the stream of every unit it ranks, so that each
unit's history shows the ballots that rank it.
"""

from __future__ import annotations

from .. import commands as c
from ..errors import RuleViolation, UnknownReference
from ..names import round_stream, unit_stream
from .checks import Context


def ballot_cast(cmd: c.BallotCast, ctx: Context) -> list[str]:
    registry = ctx.view.registry
    if ctx.view.round(cmd.round).closed_by is not None:
        raise RuleViolation(f"round {cmd.round} is closed", field="round")
    if cmd.kind == "mutual":
        rater = registry.units.get(cmd.rater)
        if rater is None:
            raise UnknownReference(f"a mutual rater is a unit code; unknown unit {cmd.rater!r}",
                                   field="rater")
        if rater.group == cmd.group:
            raise RuleViolation(f"mutual rater {cmd.rater} ranks the other group, not {cmd.group}",
                                field="group")
    for i, code in enumerate(cmd.ranking):
        unit = registry.unit(code, field_name=f"ranking.{i}")
        if unit.group != cmd.group:
            raise RuleViolation(f"{code} is not in group {cmd.group}", field=f"ranking.{i}")
        if code == cmd.rater:
            raise RuleViolation(f"{code} may not rank itself", field=f"ranking.{i}")
    return [round_stream(cmd.round)] + [unit_stream(code) for code in cmd.ranking]


def round_closed(cmd: c.RoundClosed, ctx: Context) -> list[str]:
    state = ctx.view.round(cmd.round)
    if state.closed_by is not None:
        raise RuleViolation(f"round {cmd.round} is already closed", field="round")
    return [round_stream(cmd.round)]
