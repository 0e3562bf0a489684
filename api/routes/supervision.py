"""督办 over HTTP: `GET /v1/due` (docs/commands.md, "Due dates"), the same JSON as `kaoping due`. A
unit token sees its own unit, a leader its charge, every other role all units (`domain.policy`)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Query, Response

from kaoping.domain import policy
from kaoping.domain.principals import Principal

from ..deps import AsOf, LedgerDep, Permit, PermitCalendar

router = APIRouter(tags=["supervision"])


@router.get("/v1/due", response_class=Response,
            responses={200: {"content": {"application/json": {"schema": {"type": "object"}}},
                             "description": "the due document (docs/commands.md §10.5)"}})
def due(ledger: LedgerDep, caller: Annotated[Principal, Permit("due", "unit")],
        unit: Annotated[str | None, Query(max_length=64)] = None,
        within: Annotated[int | None, Query(ge=0, le=366)] = None, as_of: AsOf = None) -> Response:
    """Every checkpoint of the units the caller may see, with its status, light (red overdue,
    yellow due soon) and the points at stake; units with red items first. Encoded by msgspec: at
    scale 20 the document holds some 40,000 items, and FastAPI's own encoding of it took seconds; the
    bytes are kept with the document (`Ledger.due_view`) until an entry is appended or the day turns."""
    codes = [unit] if unit else list(ledger.registry().units)
    body = ledger.due_view("json", msgspec.json.encode,
                           units=policy.visible_units(caller, "due", [c.upper() for c in codes]),
                           within=within, as_of=as_of)
    return Response(body, media_type="application/json")


@router.get("/v1/units/{code}/outlook")
def outlook(code: str, ledger: LedgerDep, caller: Annotated[Principal, Permit("unit.read", "code")],
            as_of: AsOf = None) -> dict[str, Any]:
    """The range the unit's total and rank can still reach from the inputs still open, best and
    worst, and those inputs; computed on the log with them filled in, nothing appended."""
    return ledger.outlook(code, as_of=as_of)


@router.get("/v1/units/{code}/calendar.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {"schema": {"type": "string"}}},
                             "description": "an RFC 5545 calendar of the unit's checkpoints"}})
def calendar(code: str, ledger: LedgerDep,
             caller: Annotated[Principal, PermitCalendar("calendar", "code")]) -> Response:
    """The unit's checkpoints as a calendar to subscribe to: one all-day event per checkpoint, an
    alarm before it falls due. A calendar application, which cannot send a header, gives a token
    of the `calendar` role as `?token=` (no other role's token is taken from a URL)."""
    return Response(ledger.calendar(code), media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "no-store",
                             "Content-Disposition": f'inline; filename="{code.upper()}.ics"'})
