"""The rule of a publication (公示, docs/scheme.md §9): the office publishes the standings of a stage as
of a knowledge time that has come, and the ledger freezes them into the entry, with the appeal
window the scheme in force gives unless the office sets one."""

from __future__ import annotations

from .. import commands as c
from ..errors import RuleViolation
from ..moments import local_time, parse_as_of
from ..names import PUBLICATIONS_STREAM
from .checks import Context


def results_published(cmd: c.ResultsPublished, ctx: Context) -> list[str]:
    as_of = parse_as_of(cmd.as_of, ctx.tz) if cmd.as_of is not None else ctx.recorded_at
    if as_of > ctx.recorded_at:
        raise RuleViolation("publication.as_of_future", field="as_of", as_of=as_of.isoformat(),
                            recorded_at=ctx.recorded_at.isoformat(), as_of_shown=local_time(as_of, ctx.tz),
                            recorded_shown=local_time(ctx.recorded_at, ctx.tz))
    scheme = ctx.view.registry.scheme_at(ctx.recorded_at)
    days = scheme.appeal_days if cmd.appeal_days is None else cmd.appeal_days
    ctx.adds.update({"as_of": as_of.isoformat(), "appeal_days": days,
                     **ctx.view.freeze(cmd.stage, as_of)})
    return [PUBLICATIONS_STREAM]
