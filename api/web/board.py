"""The office's 督办 board (`/board`, docs/commands.md §10.5): both groups, each unit with its red and
yellow counts and the points still at stake, the reddest first, each expanding to its items
(`<details>`, no script); filters by group, by days ahead (what counts as due soon) and by important
tasks; as of any past day, so the board of 2018-06-30 can be shown again; and the same as an xlsx
download (`/board.xlsx`, the sheet the office hands to the leaders). A unit token sees its own unit,
a leader the units in its charge (`board` in the policy table). The units' part of the page and the
sheet's rows are made once per due document and filter and kept with it (`Ledger.due_view`), so a
reload reads them instead of rendering 1,770 rows again at scale 20."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from kaoping.api.sheets import as_of_suffix, board_sheet, download
from kaoping.domain import errors as e
from kaoping.domain import policy
from kaoping.domain.board import board, light_of
from kaoping.domain.labels import GROUP_NAMES
from kaoping.domain.names import GROUPS

from .render import problem, render, templates
from .visitors import Page, Visitor, services_of

router = APIRouter(include_in_schema=False)

Board = Annotated[Visitor, Page("board")]
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
#: items a unit shows when expanded, reddest first; the rest are counted and are in the sheet (at
#: scale 20 a unit has some 70 lit items, and rendering every one made the page take a second)
SHOWN = 30


def _read(request: Request, who: Visitor, group: str | None, within: str | None, important: str | None,
          as_of: str | None, view: str, make: Callable[..., Any]) -> tuple[dict, Any, Response | None]:
    """The filters as given and `make(due, group, important)` for the due document they ask for,
    kept with the document (`Ledger.due_view`: once per log position, day and filter); or the
    problem page. `make` gives the document's `within` first."""
    group = (group or "").strip() or None
    as_of = (as_of or "").strip() or None
    chosen = {"group": group or "", "within": (within or "").strip(), "important": bool(important),
              "as_of": as_of or ""}
    if group is not None and group not in GROUPS:
        return chosen, None, problem(request, who, 422, "参数有误", f"分组（group）：应为 {'、'.join(GROUPS)} 之一")
    try:
        days = int(chosen["within"]) if chosen["within"] else None
    except ValueError:
        return chosen, None, problem(request, who, 422, "参数有误", "天数（within）：应为 0 到 366 之间的整数，例如 7")
    ledger = services_of(request).ledger
    codes = policy.visible_units(who.principal, "board", list(ledger.registry().units))
    try:
        made = ledger.due_view((view, group, bool(important)), lambda due: make(due, group, bool(important)),
                               units=codes, within=days, as_of=as_of)
    except e.InvalidCommand as error:
        return chosen, None, problem(request, who, 422, "参数有误", error.message)
    chosen["within"] = str(made[0])
    return chosen, made, None


def _page_rows(due: dict[str, Any], group: str | None, important: bool) -> tuple[int, Markup, dict[str, int]]:
    """The board's units rendered (the slow part of the page at scale 20: up to 1,770 item rows)
    and the totals above them."""
    rows = board(due, group=group, important=important)
    groups = [{"key": g, "name": GROUP_NAMES[g],
               "rows": [{**r, "light": light_of(r), "shown": r["items"][:SHOWN], "more": max(0, len(r["items"]) - SHOWN)}
                        for r in rows if r["group"] == g]}
              for g in GROUPS if not group or g == group]
    html = templates.get_template("board_units.html").render(groups=groups)
    return due["within"], Markup(html), {"red": sum(r["red"] for r in rows), "yellow": sum(r["yellow"] for r in rows),
                                         "units": sum(1 for r in rows if r["red"] or r["yellow"])}


def _sheet_rows(due: dict[str, Any], group: str | None, important: bool) -> tuple[int, list[dict[str, Any]]]:
    return due["within"], board(due, group=group, important=important)


@router.get("/board", response_class=HTMLResponse)
def board_page(request: Request, who: Board, group: str | None = None, within: str | None = None,
               important: str | None = None, as_of: str | None = None) -> Response:
    chosen, made, refused = _read(request, who, group, within, important, as_of, "board.html", _page_rows)
    if refused is not None:
        return refused
    _, units_html, totals = made
    query = {k: v for k, v in (("group", chosen["group"]), ("within", chosen["within"]),
                                ("important", "1" if chosen["important"] else ""), ("as_of", chosen["as_of"])) if v}
    return render(request, "board.html", who, chosen=chosen, units_html=units_html, group_names=GROUP_NAMES,
                  sheet=f"/board.xlsx?{urlencode(query)}" if query else "/board.xlsx", totals=totals,
                  today=services_of(request).ledger.today().isoformat())


@router.get("/board.xlsx")
def board_download(request: Request, who: Board, group: str | None = None, within: str | None = None,
                   important: str | None = None, as_of: str | None = None) -> Response:
    chosen, made, refused = _read(request, who, group, within, important, as_of, "board.xlsx", _sheet_rows)
    if refused is not None:
        return refused
    rows = made[1]
    book = board_sheet(services_of(request).ledger, rows, as_of=chosen["as_of"] or None,
                       within=int(chosen["within"]), important=chosen["important"])
    suffix = as_of_suffix(chosen["as_of"] or None)
    return download(book, "xlsx", f"督办看板{suffix}", f"board{suffix}", headers=HEADERS)
