"""The reading endpoints of CONTRACT.md: units, a unit's score, history and replay, standings, verify.
The same JSON as the command line; a unit token reads standings and its own unit only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from kaoping.domain import errors as e
from kaoping.ledger.replay import explain as replay_explained
from kaoping.projections.scores import current_document, with_read_model

from ..deps import AsOf, Caller, Group, LedgerDep, ProjectionDep, Stage, readable_unit

router = APIRouter(tags=["reading"])


@router.get("/v1/units")
def units(ledger: LedgerDep, caller: Caller) -> list[dict[str, str]]:
    return [{"code": u.code, "name": u.name, "name_en": u.name_en, "category": u.category,
             "group": u.group} for u in ledger.registry().units.values()]


@router.get("/v1/units/{code}/history")
def history(code: str, ledger: LedgerDep, caller: Caller) -> list[dict[str, Any]]:
    return ledger.history(readable_unit(code, caller))


@router.get("/v1/units/{code}/score", response_model=dict[str, Any])
def unit_score(code: str, ledger: LedgerDep, projection: ProjectionDep, caller: Caller, as_of: AsOf = None,
               upto: Annotated[int | None, Query(ge=1)] = None) -> Any:
    """Now: the read model's document, sent as it is stored; as of a date or up to a seq: scored."""
    unit = readable_unit(code, caller)
    if as_of is None and upto is None:
        document = current_document(projection, unit)
        if document is not None:
            return Response(document, media_type="application/json")
    return ledger.score(unit, as_of=as_of, upto=upto)


@router.get("/v1/units/{code}/replay")
def unit_replay(code: str, ledger: LedgerDep, caller: Caller, explain: bool = False) -> list[dict[str, Any]]:
    """The unit's total after each of its entries; with `explain`, each row's date, change and actor,
    and rows of type `checkpoint.due` where a checkpoint falling due moved the total."""
    unit = readable_unit(code, caller)
    return replay_explained(ledger.reader, unit) if explain else ledger.replay(unit)


@router.get("/v1/standings")
def standings(projection: ProjectionDep, caller: Caller, group: Group = None,
              stage: Stage = "annual", as_of: AsOf = None) -> list[dict[str, Any]]:
    if as_of is None:
        projection.catch_up()
    return projection.standings(group=group, stage=stage, as_of=as_of)


@router.get("/v1/verify")
def verify(ledger: LedgerDep, projection: ProjectionDep, caller: Caller) -> dict[str, Any]:
    if not caller.may_verify:
        raise e.Forbidden("verify.not_for_unit", field="role")
    return with_read_model(ledger.verify(), projection)
