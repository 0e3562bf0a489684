"""The rules of the ballot rounds (SCHEME-2018 §5): who may rank whom, what a ballot must rank; a
closed round takes no more.

A ballot is an entry in its round's stream and in the stream of every unit it ranks, so that each
unit's history shows the ballots that rank it. Ranking by proportion bands is fair only over all the
units a rater judges: a short ballot would put its few units in the top bands, so an office ballot
ranks every unit of its group and a leader token's ballot every unit of that group in its charge
(the scheme's `ballots` parameters, required by default).
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
    _complete(cmd, ctx)
    return [round_stream(cmd.round)] + [unit_stream(code) for code in cmd.ranking]


def _complete(cmd: c.BallotCast, ctx: Context) -> None:
    registry, principal = ctx.view.registry, ctx.principal
    if cmd.kind == "office":
        judged = [u.code for u in registry.units.values() if u.group == cmd.group]
        whose = f"an office ballot ranks every unit of {cmd.group}"
    elif cmd.kind == "leader" and principal is not None and principal.role == "leader":
        judged = [code for code in principal.units
                  if code in registry.units and registry.units[code].group == cmd.group]
        whose = f"a leader's ballot ranks every unit of {cmd.group} in the leader's charge"
    else:
        return  # mutual ballots rank the units a rater deals with; the command line's leader ballots
        # come with no charge to hold them to
    if not registry.scheme_at(ctx.recorded_at).ballot_complete(cmd.kind):
        return
    ranked = set(cmd.ranking)
    missing = sorted(code for code in judged if code not in ranked)
    if missing:
        raise RuleViolation(f"{whose} (SCHEME-2018 §5); {len(missing)} of {len(judged)} left out: "
                            f"{', '.join(missing)}", field="ranking")


def round_closed(cmd: c.RoundClosed, ctx: Context) -> list[str]:
    state = ctx.view.round(cmd.round)
    if state.closed_by is not None:
        raise RuleViolation(f"round {cmd.round} is already closed", field="round")
    return [round_stream(cmd.round)]
