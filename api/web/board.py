"""The office's 督办 board (`/board`, docs/commands.md §10.5): both groups, each unit with its red and
yellow counts and the points still at stake, the reddest first, each expanding to its items
(`<details>`, no script); filters by group, by days ahead (what counts as due soon) and by important
tasks; as of any past day, so the board of 2018-06-30 can be shown again; and the same as an xlsx
download (`/board.xlsx`, the sheet the office hands to the leaders). A unit token sees its own unit,
a leader the units in its charge (`board` in the policy table)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kaoping.api.sheets import as_of_suffix, board_sheet, download
from kaoping.domain import errors as e
from kaoping.domain import policy
from kaoping.domain.board import board, light_of
from kaoping.domain.labels import GROUP_NAMES
from kaoping.domain.names import GROUPS

from .render import problem, render
from .visitors import Page, Visitor, services_of

router = APIRouter(include_in_schema=False)

Board = Annotated[Visitor, Page("board")]
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
#: items a unit shows when expanded, reddest first; the rest are counted and are in the sheet (at
#: scale 20 a unit has some 70 lit items, and rendering every one made the page take a second)
SHOWN = 30


def _read(request: Request, who: Visitor, group: str | None, within: str | None, important: str | None,
          as_of: str | None) -> tuple[dict, list, Response | None]:
    """The filters as given, the due document and the board rows; or the problem page."""
    group = (group or "").strip() or None
    as_of = (as_of or "").strip() or None
    chosen = {"group": group or "", "within": (within or "").strip(), "important": bool(important),
              "as_of": as_of or ""}
    if group is not None and group not in GROUPS:
        return chosen, [], problem(request, who, 422, "参数有误", f"分组（group）：应为 {'、'.join(GROUPS)} 之一")
    try:
        days = int(chosen["within"]) if chosen["within"] else None
    except ValueError:
        return chosen, [], problem(request, who, 422, "参数有误", "天数（within）：应为 0 到 366 之间的整数，例如 7")
    ledger = services_of(request).ledger
    codes = policy.visible_units(who.principal, "board", list(ledger.registry().units))
    try:
        due = ledger.due(units=codes, within=days, as_of=as_of)
    except e.InvalidCommand as error:
        return chosen, [], problem(request, who, 422, "参数有误", error.message)
    chosen["within"] = str(due["within"])
    return {**chosen, "due": due}, board(due, group=group, important=bool(important)), None


@router.get("/board", response_class=HTMLResponse)
def board_page(request: Request, who: Board, group: str | None = None, within: str | None = None,
               important: str | None = None, as_of: str | None = None) -> Response:
    chosen, rows, refused = _read(request, who, group, within, important, as_of)
    if refused is not None:
        return refused
    query = {k: v for k, v in (("group", chosen["group"]), ("within", chosen["within"]),
                                ("important", "1" if chosen["important"] else ""), ("as_of", chosen["as_of"])) if v}
    groups = [{"key": g, "name": GROUP_NAMES[g],
               "rows": [{**r, "light": light_of(r), "shown": r["items"][:SHOWN], "more": max(0, len(r["items"]) - SHOWN)}
                        for r in rows if r["group"] == g]}
              for g in GROUPS if not chosen["group"] or g == chosen["group"]]
    return render(request, "board.html", who, chosen=chosen, groups=groups, group_names=GROUP_NAMES,
                  sheet=f"/board.xlsx?{urlencode(query)}" if query else "/board.xlsx",
                  totals={"red": sum(r["red"] for r in rows), "yellow": sum(r["yellow"] for r in rows),
                          "units": sum(1 for r in rows if r["red"] or r["yellow"])})


@router.get("/board.xlsx")
def board_download(request: Request, who: Board, group: str | None = None, within: str | None = None,
                   important: str | None = None, as_of: str | None = None) -> Response:
    chosen, rows, refused = _read(request, who, group, within, important, as_of)
    if refused is not None:
        return refused
    book = board_sheet(services_of(request).ledger, rows, as_of=chosen["as_of"] or None,
                       within=int(chosen["within"]), important=chosen["important"])
    suffix = as_of_suffix(chosen["as_of"] or None)
    return download(book, "xlsx", f"督办看板{suffix}", f"board{suffix}", headers=HEADERS)
