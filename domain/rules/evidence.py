"""The rules of evidence: submitted once per code, for a checkpoint of a unit's open task or for a
common indicator (and its sub-indicator in the scheme in force), and verified while it stands, on a
day not after the verification is recorded; online only when its file is stored, and with the files
the verifier attaches stored (docs/commands.md §10.1, docs/scheme.md §4.1)."""

from __future__ import annotations

from .. import commands as c
from ..errors import RuleViolation, UnknownReference
from ..labels import coded
from ..names import unit_stream
from .checks import Context, business_date, named_task, named_unit, not_before

#: the common indicators evidence may support: C01 (创城) is accounted for apart (docs/scheme.md §4)
INDICATOR_RANGE = range(2, 26)


def evidence_submitted(cmd: c.EvidenceSubmitted, ctx: Context) -> list[str]:
    unit, state = named_unit(ctx, cmd.unit)
    if cmd.evidence in state.evidence:
        raise RuleViolation("evidence.code_taken", field="evidence", code=cmd.evidence, unit=unit.code)
    if cmd.indicator is not None:
        _indicator(cmd, ctx)
        return [unit_stream(unit.code)]
    task = named_task(ctx, state, cmd.task or "", open_only=True)
    if cmd.checkpoint not in task.checkpoints:
        raise UnknownReference("checkpoint.unknown", field="checkpoint", task=cmd.task,
                               code=cmd.checkpoint)
    return [unit_stream(unit.code)]


def _indicator(cmd: c.EvidenceSubmitted, ctx: Context) -> None:
    indicator = cmd.indicator or ""
    if indicator not in ctx.view.registry.indicators:
        raise UnknownReference("indicator.unknown", field="indicator", code=indicator)
    if not indicator[1:].isdigit() or int(indicator[1:]) not in INDICATOR_RANGE:
        raise RuleViolation("evidence.indicator_range", field="indicator", code=indicator)
    subs = ctx.view.registry.scheme_at(ctx.recorded_at).sub_indicators(indicator)
    codes = [sub["code"] for sub in subs]
    if not subs and cmd.sub is not None:
        raise RuleViolation("evidence.sub_none", field="sub", indicator=indicator)
    if subs and cmd.sub is None:
        raise RuleViolation("evidence.sub_required", field="sub", indicator=indicator,
                            allowed=[coded(sub["code"], {sub["code"]: sub["name"]}) for sub in subs],
                            allowed_en=", ".join(codes))
    if subs and cmd.sub not in codes:
        raise UnknownReference("evidence.sub_unknown", field="sub", indicator=indicator, code=cmd.sub,
                               allowed=[coded(sub["code"], {sub["code"]: sub["name"]}) for sub in subs],
                               allowed_en=", ".join(codes))


def evidence_verified(cmd: c.EvidenceVerified, ctx: Context) -> list[str]:
    unit, state = named_unit(ctx, cmd.unit)
    evidence = state.evidence.get(cmd.evidence)
    if evidence is None:
        raise UnknownReference("evidence.unknown", field="evidence", unit=unit.code, code=cmd.evidence)
    if evidence.voided:
        raise RuleViolation("evidence.voided", field="evidence", code=cmd.evidence)
    not_before(ctx, evidence.recorded_at, "evidence")
    business_date(ctx, cmd.verified_on, "verified_on")
    for i, sha256 in enumerate(cmd.files or ()):
        if not ctx.view.file_stored(sha256):
            raise UnknownReference("file.not_stored", field=f"files.{i}", sha256=sha256)
    # there is nothing to look at online without the file: on site the verifier sees the original.
    # A verification the office backdates (history recorded from paper) happened before the ledger
    # held files, and is taken as recorded
    if cmd.method == "online" and not ctx.supplied and not ctx.view.file_stored(evidence.sha256):
        raise RuleViolation("evidence.online_unstored", field="method", code=cmd.evidence)
    return [unit_stream(unit.code)]
