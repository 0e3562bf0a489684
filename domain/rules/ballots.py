"""The rules of the ballot rounds (docs/scheme.md §5): who may rank whom, what a ballot must rank; a
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
from ..labels import GROUP_NAMES, ROUND_NAMES
from ..names import round_stream, unit_stream
from ..policy import charge
from .checks import Context


def ballot_cast(cmd: c.BallotCast, ctx: Context) -> list[str]:
    registry = ctx.view.registry
    if ctx.view.round(cmd.round).closed_by is not None:
        raise RuleViolation("round.closed", field="round", round=ROUND_NAMES[cmd.round],
                            round_code=cmd.round)
    if cmd.kind == "mutual":
        rater = registry.units.get(cmd.rater)
        if rater is None:
            raise UnknownReference("ballot.rater_unknown", field="rater", code=cmd.rater)
        if rater.group == cmd.group:
            raise RuleViolation("ballot.rater_same_group", field="group", rater=cmd.rater,
                                group=GROUP_NAMES[cmd.group], group_code=cmd.group)
    for i, code in enumerate(cmd.ranking):
        unit = registry.unit(code, field_name=f"ranking.{i}")
        if unit.group != cmd.group:
            raise RuleViolation("ballot.not_in_group", field=f"ranking.{i}", code=code,
                                group=GROUP_NAMES[cmd.group], group_code=cmd.group)
        if code == cmd.rater:
            raise RuleViolation("ballot.ranks_itself", field=f"ranking.{i}", code=code)
    _complete(cmd, ctx)
    return [round_stream(cmd.round)] + [unit_stream(code) for code in cmd.ranking]


def _complete(cmd: c.BallotCast, ctx: Context) -> None:
    registry, principal = ctx.view.registry, ctx.principal
    if cmd.kind == "office":
        judged = [u.code for u in registry.units.values() if u.group == cmd.group]
        whose = (f"领导小组办公室的选票应排列{GROUP_NAMES[cmd.group]}的全部单位",
                 f"an office ballot ranks every unit of {cmd.group}")
    elif cmd.kind == "leader" and (in_charge := charge(principal)) is not None:
        judged = [code for code in in_charge
                  if code in registry.units and registry.units[code].group == cmd.group]
        whose = (f"领导的选票应排列其分管的{GROUP_NAMES[cmd.group]}全部单位",
                 f"a leader's ballot ranks every unit of {cmd.group} in the leader's charge")
    else:
        return  # mutual ballots rank the units a rater deals with; the command line's leader ballots
        # come with no charge to hold them to
    if not registry.scheme_at(ctx.recorded_at).ballot_complete(cmd.kind):
        return
    ranked = set(cmd.ranking)
    missing = sorted(code for code in judged if code not in ranked)
    if missing:
        raise RuleViolation("ballot.incomplete", field="ranking", whose=whose[0], whose_en=whose[1],
                            count=len(missing), total=len(judged), missing=missing)


def round_closed(cmd: c.RoundClosed, ctx: Context) -> list[str]:
    state = ctx.view.round(cmd.round)
    if state.closed_by is not None:
        raise RuleViolation("round.already_closed", field="round", round=ROUND_NAMES[cmd.round],
                            round_code=cmd.round)
    return [round_stream(cmd.round)]
