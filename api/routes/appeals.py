"""Publication and appeals over HTTP: `GET /v1/publications[/{id}]`, the dispute worklist
`GET /v1/disputes`, `GET /v1/disputes/{code}/preview`, and `GET /v1/compare`. A unit token sees
its own unit's disputes only, and compares its own unit with another (`domain.policy`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from kaoping.domain import errors as e
from kaoping.domain import confidential, policy
from kaoping.domain.principals import Principal

from ..deps import AsOf, DisputeStatus, LedgerDep, Permit

router = APIRouter(tags=["appeals"])


@router.get("/v1/publications")
def publications(ledger: LedgerDep, caller: Annotated[Principal, Permit("publications")]) -> list[dict[str, Any]]:
    """Every publication (公示), oldest first, without its standings."""
    return ledger.publications()


@router.get("/v1/publications/{publication_id}")
def publication(publication_id: str, ledger: LedgerDep,
                caller: Annotated[Principal, Permit("publications")]) -> dict[str, Any]:
    """A publication's frozen standings, what moved since, and the checkpoint that covers it."""
    return ledger.publication(publication_id)


@router.get("/v1/disputes")
def disputes(ledger: LedgerDep, caller: Annotated[Principal, Permit("disputes", "unit")],
             status: DisputeStatus = "open", unit: str | None = None) -> list[dict[str, Any]]:
    """The disputes across units, oldest first (`status`: open, resolved or all)."""
    rows = ledger.disputes(status=status, unit=policy.scoped_unit(caller, "disputes", unit))
    return [{k: v for k, v in row.items() if k != "target_entry"} for row in rows]


@router.get("/v1/disputes/{code}/preview")
def preview(code: str, ledger: LedgerDep,
            caller: Annotated[Principal, Permit("dispute.preview")]) -> dict[str, Any]:
    """What upholding the dispute would change, computed without appending anything."""
    dispute = ledger.dispute(code)
    # another unit's dispute is, to a unit token, one that does not exist
    policy.require(caller, "dispute.preview", dispute["unit"] if dispute else caller.unit, code=code)
    if dispute is None:
        raise e.NotFound("dispute.unknown", field="dispute", code=code)
    return ledger.dispute_preview(code)


@router.get("/v1/compare")
def compare(ledger: LedgerDep, caller: Annotated[Principal, Permit("compare", "a", "b")],
            a: Annotated[str, Query(max_length=64)], b: Annotated[str, Query(max_length=64)],
            as_of: AsOf = None) -> dict[str, Any]:
    """Every figure of A and B side by side, with each difference's contribution to the totals'."""
    return confidential.compare(caller, ledger.compare(a, b, as_of=as_of))
