"""Publication and appeals over HTTP: `GET /v1/publications[/{id}]`, the dispute worklist
`GET /v1/disputes`, `GET /v1/disputes/{code}/preview`, and `GET /v1/compare`. A unit token sees
its own unit's disputes only, and compares its own unit with another."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from kaoping.domain import errors as e
from kaoping.domain.principals import Principal
from kaoping.ledger.compare import compare as compare_units

from ..deps import AsOf, Caller, DisputeStatus, LedgerDep

router = APIRouter(tags=["appeals"])


@router.get("/v1/publications")
def publications(ledger: LedgerDep, caller: Caller) -> list[dict[str, Any]]:
    """Every publication (公示), oldest first, without its standings."""
    return ledger.appeals.publications()


@router.get("/v1/publications/{publication_id}")
def publication(publication_id: str, ledger: LedgerDep, caller: Caller) -> dict[str, Any]:
    """A publication's frozen standings, what moved since, and the checkpoint that covers it."""
    return ledger.appeals.publication(publication_id)


def _own_unit(caller: Principal, unit: str | None) -> str | None:
    if caller.role != "unit":
        return unit
    if unit is not None and unit.upper() != caller.unit:
        raise e.Forbidden("dispute.unit_own_only", field="unit", unit=caller.unit)
    return caller.unit


@router.get("/v1/disputes")
def disputes(ledger: LedgerDep, caller: Caller, status: DisputeStatus = "open",
             unit: str | None = None) -> list[dict[str, Any]]:
    """The disputes across units, oldest first (`status`: open, resolved or all)."""
    rows = ledger.appeals.disputes(status=status, unit=_own_unit(caller, unit))
    return [{k: v for k, v in row.items() if k != "target_entry"} for row in rows]


@router.get("/v1/disputes/{code}/preview")
def preview(code: str, ledger: LedgerDep, caller: Caller) -> dict[str, Any]:
    """What upholding the dispute would change, computed without appending anything."""
    if caller.role == "unit":
        own = ledger.appeals.disputes(status="all", unit=caller.unit)
        if not any(d["dispute"] == code for d in own):
            raise e.NotFound("dispute.not_of_caller", field="dispute", code=code, unit=caller.unit)
    return ledger.appeals.preview(code)


@router.get("/v1/compare")
def compare(ledger: LedgerDep, caller: Caller, a: Annotated[str, Query(max_length=64)],
            b: Annotated[str, Query(max_length=64)], as_of: AsOf = None) -> dict[str, Any]:
    """Every figure of A and B side by side, with each difference's contribution to the totals'."""
    if caller.role == "unit" and caller.unit not in (a.upper(), b.upper()):
        raise e.Forbidden("compare.unit_own_only", field="a", unit=caller.unit)
    return compare_units(ledger.reader, a, b, as_of=as_of)
