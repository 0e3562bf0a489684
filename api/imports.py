"""One import, as the command line, `POST /v1/imports` and the office's upload page all run it
(docs/commands.md §10.3): the sheet read and held to the ledger (`Ledger.import_plan`), the rows
decided on a trial group with the figures they would move (`Ledger.import_trial`), and, when it is
not a dry run and nothing is wrong, the sheet stored as a file and its commands appended as one
batch through `submit` (the group committer over HTTP, `Ledger.ingest` on the command line).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kaoping.domain import policy
from kaoping.domain.principals import Principal
from kaoping.domain.sheets_in import KIND_NAMES
from kaoping.ledger.application import Ledger
from kaoping.ledger.imports import Plan
from kaoping.ledger.writer import BatchRejected, BatchResult

Submit = Callable[[Sequence[dict[str, Any]], Principal], BatchResult]


def run_import(ledger: Ledger, submit: Submit, kind: str, data: bytes, name: str, principal: Principal,
               *, dry_run: bool, moves: bool = True) -> Plan:
    """The import's answer (`Plan.as_json`); appends only when not `dry_run` and free of errors."""
    policy.require_import(principal, kind, KIND_NAMES.get(kind, kind))
    plan = ledger.import_plan(kind, data, name, principal)
    # the rows read without an error are decided too, so that every error is listed at once
    ledger.import_trial(plan, principal, principal.actor, moves=moves and dry_run and not plan.errors)
    if dry_run or plan.errors:
        return plan
    if not plan.commands:  # every row recorded before: the same sheet imported again
        plan.applied = True
        plan.results = [{"index": i, "id": cid, "seqs": [], "duplicate": True}
                        for i, cid in enumerate(plan.duplicates)]
        return plan
    ledger.store_bytes(data, name or f"{kind}.xlsx", principal.actor)
    try:
        result = submit(plan.commands, principal)
    except BatchRejected as rejected:  # the ledger moved between the trial and the append
        plan.refused(rejected)
        return plan
    plan.applied = True
    plan.results = [{"index": r.index, "id": r.id, "seqs": r.seqs, "duplicate": r.duplicate}
                    for r in result.results]
    return plan


__all__ = ["Submit", "run_import"]
