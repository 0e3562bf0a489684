"""The reading endpoints of docs/commands.md §4–5: units, a unit's score, history and replay, standings, verify.
The same JSON as the command line; a unit token reads standings and its own unit only."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from kaoping.domain import confidential, policy
from kaoping.domain.principals import Principal
from kaoping.projections.scores import current_document, with_read_model

from ..deps import AsOf, Group, LedgerDep, Permit, ProjectionDep, Stage

#: the caller of a route about one unit (the path's `code`): a unit token reads its own only
UnitReader = Annotated[Principal, Permit("unit.read", "code")]

#: how a stored score document names an evidence entry (it then shows that entry's file)
EVIDENCE = '"evidence.submitted"'

router = APIRouter(tags=["reading"])


@router.get("/v1/units")
def units(ledger: LedgerDep, caller: Annotated[Principal, Permit("units.list")]) -> list[dict[str, str]]:
    return [{"code": u.code, "name": u.name, "name_en": u.name_en, "category": u.category,
             "group": u.group} for u in ledger.registry().units.values()]


@router.get("/v1/units/{code}/history")
def history(code: str, ledger: LedgerDep, caller: UnitReader) -> list[dict[str, Any]]:
    return confidential.history(caller, ledger.history(code.upper()))


@router.get("/v1/units/{code}/score", response_model=dict[str, Any])
def unit_score(code: str, ledger: LedgerDep, projection: ProjectionDep, caller: UnitReader,
               as_of: AsOf = None, upto: Annotated[int | None, Query(ge=1)] = None) -> Any:
    """Now: the read model's document, sent as it is stored; as of a date or up to a seq: scored."""
    unit = code.upper()
    if as_of is None and upto is None:
        document = current_document(projection, unit)
        if document is not None:
            if not policy.sees_ballots(caller):  # ballots in words that name no rater
                return confidential.score(caller, ledger.show_files(json.loads(document)))
            if EVIDENCE not in document:  # as stored; an evidence entry shows its file as it is now
                return Response(document, media_type="application/json")
            return ledger.show_files(json.loads(document))
    return confidential.score(caller, ledger.score(unit, as_of=as_of, upto=upto))


@router.get("/v1/units/{code}/replay")
def unit_replay(code: str, ledger: LedgerDep, caller: UnitReader, explain: bool = False) -> list[dict[str, Any]]:
    """The unit's total after each of its entries; with `explain`, each row's date, change and actor,
    and rows of type `checkpoint.due` where a checkpoint falling due moved the total."""
    unit = code.upper()
    return confidential.replay(caller, ledger.replay_explained(unit) if explain else ledger.replay(unit))


@router.get("/v1/standings")
def standings(projection: ProjectionDep, caller: Annotated[Principal, Permit("standings")], group: Group = None,
              stage: Stage = "annual", as_of: AsOf = None) -> list[dict[str, Any]]:
    if as_of is None:
        projection.catch_up()
    return projection.standings(group=group, stage=stage, as_of=as_of)


@router.get("/v1/verify")
def verify(ledger: LedgerDep, projection: ProjectionDep,
           caller: Annotated[Principal, Permit("verify")]) -> dict[str, Any]:
    return with_read_model(ledger.verify(), projection)
