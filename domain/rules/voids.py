"""The rules of voids and disputes: what may be voided, disputed and resolved, and by whom once.

Voids, dispute resolutions and round closes are final; a dispute is on a standing entry of its unit
that is not a ballot and not already under dispute, and, when a publication counted it, filed
within that publication's appeal window (SCHEME-2018 §9); a resolution settles an open dispute
once (CONTRACT.md, "Voids"). A void goes to every stream of its target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import commands as c
from ..errors import RuleViolation, UnknownReference
from ..namespaces import check_dispute_namespace
from ..names import FINAL_TYPES, UNDISPUTABLE_TYPES, unit_of, unit_stream
from .checks import Context, named_target, named_unit, not_before, standing_in

if TYPE_CHECKING:
    from . import RecordedCommand


def entry_voided(cmd: c.EntryVoided, ctx: Context) -> list[str]:
    target = named_target(ctx, cmd.target)
    if target.type in FINAL_TYPES:
        raise RuleViolation(f"{target.command_id!r} is a {target.type}, which is final", field="target")
    standing_in(ctx, target)
    if target.type == "dispute.filed":
        state = ctx.view.unit(unit_of(target.streams[0]))  # type: ignore[arg-type]
        settled = [d for d in state.disputes.values()
                   if d.filed_by == target.command_id and d.resolved_by is not None]
        if settled:
            raise RuleViolation(f"dispute {target.command_id!r} is resolved by "
                                f"{settled[0].resolved_by!r}, which is final", field="target")
    return list(target.streams)


def dispute_filed(cmd: c.DisputeFiled, ctx: Context) -> list[str]:
    unit, state = named_unit(ctx, cmd.unit)
    check_dispute_namespace(cmd.dispute, unit.code, ctx.view.registry.units)
    if ctx.view.dispute_unit(cmd.dispute) is not None or cmd.dispute in state.disputes:
        raise RuleViolation(f"dispute {cmd.dispute!r} already exists", field="dispute")
    target = named_target(ctx, cmd.target)
    if unit_stream(unit.code) not in target.streams:
        if ctx.principal is not None and ctx.principal.role == "unit":
            # another unit's entry is, to a unit token, an entry that does not exist
            raise UnknownReference("entry.unknown", field="target", id=cmd.target)
        raise RuleViolation(f"{target.command_id!r} is not an entry of {unit.code}", field="target")
    if target.type in UNDISPUTABLE_TYPES:
        why = {"ballot.cast": "a rater replaces its ballot instead",
               "dispute.filed": "a dispute is settled by its resolution"}.get(target.type, "it is final")
        raise RuleViolation(f"a {target.type} cannot be disputed: {why}", field="target")
    standing_in(ctx, target)
    for other in state.disputes.values():
        if other.target == target.command_id and other.resolved_by is None and not other.voided:
            raise RuleViolation(f"{target.command_id!r} is already under dispute", field="target")
    _within_appeal_window(ctx, target)
    return [unit_stream(unit.code)]


def _within_appeal_window(ctx: Context, target: RecordedCommand) -> None:
    """SCHEME-2018 §9: an entry a publication counted is disputable until its window closes."""
    seq = ctx.view.first_seq(target.command_id)
    if seq is None:  # recorded in this very batch: no publication counted it
        return
    for publication in ctx.view.publications().publications.values():
        if publication.counted(seq, target.recorded_at) and ctx.recorded_at > publication.appeal_closes:
            closed = publication.appeal_closes.astimezone(ctx.tz).isoformat(timespec="minutes")
            raise RuleViolation(
                f"{target.command_id!r} was counted by the publication {publication.command_id!r}, "
                f"whose appeal window ({publication.appeal_days} days) closed {closed}",
                field="target")


def dispute_resolved(cmd: c.DisputeResolved, ctx: Context) -> list[str]:
    code = ctx.view.dispute_unit(cmd.dispute)
    if code is None:
        raise UnknownReference(f"unknown dispute {cmd.dispute!r}", field="dispute")
    dispute = ctx.view.unit(code).disputes[cmd.dispute]
    if dispute.voided:
        raise RuleViolation(f"dispute {cmd.dispute!r} was voided", field="dispute")
    if dispute.resolved_by is not None:
        raise RuleViolation(f"dispute {cmd.dispute!r} is already resolved by {dispute.resolved_by!r}",
                            field="dispute")
    not_before(ctx, dispute.recorded_at, "dispute")
    return [unit_stream(code)]
