"""Spreadsheets over HTTP: `GET /v1/exports/standings.{xlsx,csv}` and a unit's score sheet, with the
same bearer tokens and role rules as the JSON endpoints."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from fastapi.responses import Response

from kaoping.domain.principals import Principal

from ..deps import AsOf, LedgerDep, Permit, ProjectionDep, Stage
from ..sheets import (XLSX, as_of_suffix, download, figures_for, file_part, standings_book, standings_names,
                      unit_sheet)

router = APIRouter(prefix="/v1/exports", tags=["exports"])

Format = Literal["xlsx", "csv"]
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}},
                      "text/csv": {"schema": {"type": "string"}}},
          "description": "the spreadsheet, as an attachment"}}


@router.get("/standings.{fmt}", response_class=Response, responses=_RESPONSES)
def standings_export(fmt: Format, ledger: LedgerDep, projection: ProjectionDep,
                     caller: Annotated[Principal, Permit("standings.sheet")],
                     as_of: AsOf = None, stage: Stage = "annual",
                     sheet: Literal["full", "brief"] = "full") -> Response:
    """Every unit's figures, one worksheet per group in rank order by the stage's figure (the CSV:
    one file with a group column), as .xlsx or .csv; every role may read standings, and a unit
    token gets the other units' standings columns only (rank, code, name, the ranked figure).
    `sheet=brief`: the leaders' brief sheet (rank, unit, the ranked figure and the stage's main
    figures; A4 upright; a title with the year, the county and the date)."""
    book = standings_book(ledger, projection, sheet=sheet, as_of=as_of, stage=stage,
                          figures_of=figures_for(caller, ledger.registry().units))
    return download(book, fmt, *standings_names(stage, as_of, sheet))


@router.get("/units/{code}/score.{fmt}", response_class=Response, responses=_RESPONSES)
def unit_score_export(code: Annotated[str, Path()], fmt: Format, ledger: LedgerDep,
                      caller: Annotated[Principal, Permit("unit.sheet", "code")], as_of: AsOf = None) -> Response:
    """A unit's score sheet (its explanation tree) as .xlsx or .csv; a unit token reads its own."""
    unit = code.upper()
    book = unit_sheet(ledger, unit, as_of=as_of, reader=caller)
    name = ledger.registry().unit(unit).name
    return download(book, fmt, f"{unit}-{name}-得分{as_of_suffix(as_of)}",
                    f"{file_part(unit)}-score{as_of_suffix(as_of)}")
