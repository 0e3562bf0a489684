"""The rules of voids and disputes: what may be voided, disputed and resolved, and by whom once.

Voids, dispute resolutions and round closes are final; a dispute is on a standing entry of its unit
that is not a ballot and not already under dispute, and, when a publication counted it, filed
within that publication's appeal window (docs/scheme.md §9); a resolution settles an open dispute
once (docs/commands.md §3 "作废"). A void goes to every stream of its target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import commands as c
from ..errors import RuleViolation, UnknownReference
from ..labels import ENTRY_TYPES
from ..moments import local_time
from ..namespaces import check_dispute_namespace
from ..names import FINAL_TYPES, UNDISPUTABLE_TYPES, unit_of, unit_stream
from ..policy import bound_unit
from .checks import Context, named_target, named_unit, not_before, standing_in

if TYPE_CHECKING:
    from . import RecordedCommand


def entry_voided(cmd: c.EntryVoided, ctx: Context) -> list[str]:
    target = named_target(ctx, cmd.target)
    if target.type in FINAL_TYPES:
        raise RuleViolation("entry.final", field="target", id=target.command_id,
                            type=ENTRY_TYPES.get(target.type, target.type), type_code=target.type)
    standing_in(ctx, target)
    if target.type == "dispute.filed":
        state = ctx.view.unit(unit_of(target.streams[0]))  # type: ignore[arg-type]
        settled = [d for d in state.disputes.values()
                   if d.filed_by == target.command_id and d.resolved_by is not None]
        if settled:
            raise RuleViolation("dispute.resolved_final", field="target", id=target.command_id,
                                by=settled[0].resolved_by)
    return list(target.streams)


def void_requested(cmd: c.VoidRequested, ctx: Context) -> list[str]:
    """A request that the office void an entry of the unit's own stream: one that still stands, is
    not final, and has no other request open (`domain.roles` holds a unit token to entries its
    unit's tokens recorded)."""
    unit, state = named_unit(ctx, cmd.unit)
    target = named_target(ctx, cmd.target)
    if unit_stream(unit.code) not in target.streams:
        if bound_unit(ctx.principal) is not None:
            raise UnknownReference("entry.unknown", field="target", id=cmd.target)
        raise RuleViolation("dispute.not_of_unit", field="target", id=target.command_id, unit=unit.code)
    if target.type in FINAL_TYPES or target.type == "void.requested":
        raise RuleViolation("void_request.final", field="target", id=target.command_id)
    standing_in(ctx, target)
    for request, aimed in state.void_requests.items():
        if aimed == target.command_id and state.entries[request].voided_by is None:
            raise RuleViolation("void_request.open", field="target", id=target.command_id, by=request)
    return [unit_stream(unit.code)]


def dispute_filed(cmd: c.DisputeFiled, ctx: Context) -> list[str]:
    unit, state = named_unit(ctx, cmd.unit)
    check_dispute_namespace(cmd.dispute, unit.code, ctx.view.registry.units)
    if ctx.view.dispute_unit(cmd.dispute) is not None or cmd.dispute in state.disputes:
        raise RuleViolation("dispute.code_taken", field="dispute", code=cmd.dispute)
    target = named_target(ctx, cmd.target)
    if unit_stream(unit.code) not in target.streams:
        if bound_unit(ctx.principal) is not None:
            # another unit's entry is, to a unit token, an entry that does not exist
            raise UnknownReference("entry.unknown", field="target", id=cmd.target)
        raise RuleViolation("dispute.not_of_unit", field="target", id=target.command_id, unit=unit.code)
    if target.type in UNDISPUTABLE_TYPES:
        why, why_en = {"ballot.cast": ("评价人可重新投票替换原选票", "a rater replaces its ballot instead"),
                       "dispute.filed": ("异议以裁决了结", "a dispute is settled by its resolution")
                       }.get(target.type, ("它是最终结果", "it is final"))
        raise RuleViolation("dispute.undisputable", field="target", type=ENTRY_TYPES.get(target.type, target.type),
                            type_code=target.type, why=why, why_en=why_en)
    standing_in(ctx, target)
    for other in state.disputes.values():
        if other.target == target.command_id and other.resolved_by is None and not other.voided:
            raise RuleViolation("dispute.already_open", field="target", id=target.command_id)
    _within_appeal_window(ctx, target)
    return [unit_stream(unit.code)]


def _within_appeal_window(ctx: Context, target: RecordedCommand) -> None:
    """docs/scheme.md §9: an entry a publication counted is disputable until its window closes."""
    seq = ctx.view.first_seq(target.command_id)
    if seq is None:  # recorded in this very batch: no publication counted it
        return
    for publication in ctx.view.publications().publications.values():
        if publication.counted(seq, target.recorded_at) and ctx.recorded_at > publication.appeal_closes:
            raise RuleViolation("dispute.window_closed", field="target", id=target.command_id,
                                publication=publication.command_id, title=publication.title or publication.command_id,
                                as_of=publication.as_of.astimezone(ctx.tz).date().isoformat(),
                                days=publication.appeal_days, closed=local_time(publication.appeal_closes, ctx.tz),
                                closed_iso=publication.appeal_closes.astimezone(ctx.tz).isoformat(timespec="minutes"))


def dispute_resolved(cmd: c.DisputeResolved, ctx: Context) -> list[str]:
    code = ctx.view.dispute_unit(cmd.dispute)
    if code is None:
        raise UnknownReference("dispute.unknown", field="dispute", code=cmd.dispute)
    dispute = ctx.view.unit(code).disputes[cmd.dispute]
    if dispute.voided:
        raise RuleViolation("dispute.voided", field="dispute", code=cmd.dispute)
    if dispute.resolved_by is not None:
        raise RuleViolation("dispute.already_resolved", field="dispute", code=cmd.dispute,
                            by=dispute.resolved_by)
    not_before(ctx, dispute.recorded_at, "dispute")
    return [unit_stream(code)]
