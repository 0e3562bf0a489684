"""The standings page (`/`): both groups ranked for a stage, current or as of a date, with a bar
chart per group; a unit token sees every rank and may open its own unit only."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kaoping.domain import errors as e
from kaoping.domain import policy
from kaoping.domain.labels import GROUP_NAMES, STAGE_NAMES
from kaoping.domain.names import GROUPS
from kaoping.domain.standings import stage_figure

from .charts import bar_chart
from .render import problem, render
from .visitors import Page, Visitor, services_of

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def standings_page(request: Request, who: Annotated[Visitor, Page("standings")], stage: str = "annual",
                   as_of: str | None = None) -> Response:
    as_of = (as_of or "").strip() or None
    services = services_of(request)
    try:
        stage_figure(stage)
        if as_of is None:
            services.projection.catch_up()
        rows = services.projection.standings(stage=stage, as_of=as_of)
    except e.InvalidCommand as error:
        return problem(request, who, 422, "参数有误", error.message)
    principal = who.principal
    suffix = f"?as_of={quote(as_of)}" if as_of else ""

    def link(code: str) -> str | None:
        return f"/units/{code}{suffix}" if policy.may(principal, "unit.read", code) else None

    groups = []
    for group in GROUPS:
        ranked = [{**row, "href": link(str(row["unit"]))} for row in rows if row["group"] == group]
        title = f"{GROUP_NAMES[group]} · {STAGE_NAMES[stage]}"
        groups.append({"key": group, "name": GROUP_NAMES[group], "rows": ranked,
                       "chart": bar_chart(ranked, title=title, link=link, highlight=principal.unit)})
    # the disputes open now say nothing of a ranking as it stood on a past day: no badge there
    disputed = set() if as_of else {d["unit"] for d in services.ledger.disputes(status="open")}
    return render(request, "standings.html", who, stage=stage, as_of=as_of, groups=groups,
                  stages=STAGE_NAMES, disputed=disputed,
                  provisional=sum(1 for row in rows if row["pending"]))
