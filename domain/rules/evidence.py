"""The rules of evidence: submitted once per code for a checkpoint of a unit's open task, and
verified while it stands, on a day not after the verification is recorded."""

from __future__ import annotations

from .. import commands as c
from ..errors import RuleViolation, UnknownReference
from ..names import unit_stream
from .checks import Context, business_date, named_task, named_unit, not_before


def evidence_submitted(cmd: c.EvidenceSubmitted, ctx: Context) -> list[str]:
    unit, state = named_unit(ctx, cmd.unit)
    if cmd.evidence in state.evidence:
        raise RuleViolation(f"evidence {cmd.evidence!r} already exists for {unit.code}",
                            field="evidence")
    task = named_task(ctx, state, cmd.task, open_only=True)
    if cmd.checkpoint not in task.checkpoints:
        raise UnknownReference(f"task {cmd.task!r} has no checkpoint {cmd.checkpoint!r}",
                               field="checkpoint")
    return [unit_stream(unit.code)]


def evidence_verified(cmd: c.EvidenceVerified, ctx: Context) -> list[str]:
    unit, state = named_unit(ctx, cmd.unit)
    evidence = state.evidence.get(cmd.evidence)
    if evidence is None:
        raise UnknownReference(f"unit {unit.code} has no evidence {cmd.evidence!r}", field="evidence")
    if evidence.voided:
        raise RuleViolation(f"evidence {cmd.evidence!r} was voided", field="evidence")
    not_before(ctx, evidence.recorded_at, "evidence")
    business_date(ctx, cmd.verified_on, "verified_on")
    return [unit_stream(unit.code)]
