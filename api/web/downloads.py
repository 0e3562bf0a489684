"""Spreadsheet downloads for signed-in visitors: the standings and a unit's score sheet, as .xlsx or
.csv, under the same read rules as the pages."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kaoping.api.sheets import (STANDINGS_SHEETS, as_of_suffix, download, figures_for, standings_book,
                                standings_names, unit_sheet)
from kaoping.domain import errors as e
from kaoping.domain.names import unit_stream

from .render import problem
from .units import unknown_unit
from .visitors import Page, Visitor, services_of

router = APIRouter(include_in_schema=False)

#: a download is an attachment a browser keeps: nothing cached, nothing sniffed
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@router.get("/exports/standings.{fmt}")
def standings_download(request: Request, who: Annotated[Visitor, Page("standings.sheet")], fmt: str, as_of: str | None = None,
                       stage: str = "annual", sheet: str = "full") -> Response:
    """The standings as a sheet: the full working one, or (`?sheet=brief`) the leaders' brief one."""
    if fmt not in ("xlsx", "csv"):
        return problem(request, who, 404, "未找到", f"没有 {fmt} 格式的下载。")
    if sheet not in STANDINGS_SHEETS:
        offered = "、".join(f"{key}（{name}）" for key, name in STANDINGS_SHEETS.items())
        return problem(request, who, 422, "参数有误", f"表格（sheet）：没有“{sheet}”这种表格，可选 {offered}。")
    as_of = (as_of or "").strip() or None
    services = services_of(request)
    try:
        book = standings_book(services.ledger, services.projection, sheet=sheet, as_of=as_of, stage=stage,
                              figures_of=figures_for(who.principal, services.ledger.registry().units))
    except e.InvalidCommand as bad:
        return problem(request, who, 422, "参数有误", bad.message)
    return download(book, fmt, *standings_names(stage, as_of, sheet), headers=HEADERS)


@router.get("/units/{code}/receipts/{seq}.json")
def receipt_download(request: Request, who: Annotated[Visitor, Page("unit.receipt", "code")], code: str,
                     seq: int) -> Response:
    """The receipt of one entry of the unit's history: its inclusion proof and the signed checkpoint
    it proves against, with the log's vkey, as one file the unit keeps (`kaoping prove SEQ --json`)."""
    code = code.upper()
    ledger = services_of(request).ledger
    refused = unknown_unit(request, who, code, ledger.registry())
    if refused is not None:
        return refused
    if ledger.unit_of_seq(seq) != unit_stream(code):
        return problem(request, who, 404, "未找到", f"本单位的历史记录中没有第 {seq} 条记录。")
    try:
        receipt = ledger.prove(seq)
    except e.KaopingError as error:
        return problem(request, who, 404, "未找到", error.message)
    receipt["vkey"] = ledger.vkey()
    body = json.dumps(receipt, ensure_ascii=False, indent=2).encode()
    return Response(body, media_type="application/json", headers={
        **HEADERS, "Content-Disposition": f'attachment; filename="receipt-{code}-seq{seq}.json"'})


@router.get("/units/{code}/score.{fmt}")
def unit_download(request: Request, who: Annotated[Visitor, Page("unit.sheet", "code")], code: str, fmt: str,
                  as_of: str | None = None) -> Response:
    code = code.upper()
    if fmt not in ("xlsx", "csv"):
        return problem(request, who, 404, "未找到", f"没有 {fmt} 格式的下载。")
    ledger = services_of(request).ledger
    registry = ledger.registry()
    refused = unknown_unit(request, who, code, registry)
    if refused is not None:
        return refused
    as_of = (as_of or "").strip() or None
    try:
        book = unit_sheet(ledger, code, as_of=as_of, reader=who.principal)
    except e.InvalidCommand as bad:
        return problem(request, who, 422, "参数有误", bad.message)
    name = registry.units[code].name
    return download(book, fmt, f"{code}-{name}-得分{as_of_suffix(as_of)}",
                    f"{code}-score{as_of_suffix(as_of)}", headers=HEADERS)
