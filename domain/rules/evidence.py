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
        raise RuleViolation("evidence.code_taken", field="evidence", code=cmd.evidence, unit=unit.code)
    task = named_task(ctx, state, cmd.task, open_only=True)
    if cmd.checkpoint not in task.checkpoints:
        raise UnknownReference("checkpoint.unknown", field="checkpoint", task=cmd.task,
                               code=cmd.checkpoint)
    return [unit_stream(unit.code)]


def evidence_verified(cmd: c.EvidenceVerified, ctx: Context) -> list[str]:
    unit, state = named_unit(ctx, cmd.unit)
    evidence = state.evidence.get(cmd.evidence)
    if evidence is None:
        raise UnknownReference("evidence.unknown", field="evidence", unit=unit.code, code=cmd.evidence)
    if evidence.voided:
        raise RuleViolation("evidence.voided", field="evidence", code=cmd.evidence)
    not_before(ctx, evidence.recorded_at, "evidence")
    business_date(ctx, cmd.verified_on, "verified_on")
    return [unit_stream(unit.code)]
