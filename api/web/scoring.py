"""An assessment body's grid (`/scoring`, its landing page; docs/scheme.md §4, §4.1): the units it
assesses × its common indicators — and, where the scheme in force gives an indicator core
sub-indicators, one column per sub-indicator with its standard — each cell holding the standing
score, the evidence the unit attached for that indicator listed beside it. The body changes the cells
it means to and saves the grid as one batch: a `common.scored` per changed cell (by `parts` where the
indicator has sub-indicators). The units not yet scored come first. The office sees the same grid for
any indicator.

Through `forms`: CSRF, the nonce in every command's id (a grid sent twice appends once), one batch
(all or nothing), the ledger's refusal beside the cell it concerns."""

from __future__ import annotations

import secrets
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kaoping.domain.principals import Principal
from kaoping.ledger.application import Ledger

from .forms import Form, FormRefused, read_form, record
from .render import problem, render
from .visitors import Page, Visitor, services_of

router = APIRouter(include_in_schema=False)

Body = Annotated[Visitor, Page("scoring")]


def indicators_of(ledger: Ledger, principal: Principal) -> list[str]:
    """A body's indicators (its token's scope); every indicator for the office."""
    return sorted(principal.indicators) if principal.indicators else sorted(ledger.registry().indicators)


def standing(ledger: Ledger) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[tuple[str, str], list[dict[str, Any]]]]:
    """The standing `common.scored` payload by (unit, indicator) — the latest not voided — and the
    evidence units attached for an indicator, by (unit, indicator)."""
    entries = ledger.entries()
    targets = {e.payload["dispute"]: e.payload["target"] for e in entries if e.type == "dispute.filed"}
    voided = ({e.payload["target"] for e in entries if e.type == "entry.voided"}
              | {targets.get(e.payload["dispute"]) for e in entries
                 if e.type == "dispute.resolved" and e.payload.get("outcome") == "upheld"})
    scores: dict[tuple[str, str], dict[str, Any]] = {}
    evidence: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        if e.id in voided:
            continue
        if e.type == "common.scored":
            scores[(e.payload["unit"], e.payload["indicator"])] = {"seq": e.seq, **e.payload}
        elif e.type == "evidence.submitted" and e.payload.get("indicator"):
            evidence[(e.payload["unit"], e.payload["indicator"])].append(dict(e.payload))
    return scores, evidence


def columns(ledger: Ledger, codes: list[str]) -> list[dict[str, Any]]:
    scheme, registry = ledger.registry().scheme, ledger.registry().indicators
    return [{"code": code, "name": registry[code].name, "subs": scheme.sub_indicators(code)} for code in codes]


def grid_page(request: Request, who: Visitor, indicator: str | None = None, *, status_code: int = 200,
              errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
              done: str | None = None) -> Response:
    ledger = services_of(request).ledger
    mine = indicators_of(ledger, who.principal)
    if not indicator and not who.principal.indicators:
        indicator = mine[0]  # the office: one indicator at a time
    if indicator:
        indicator = indicator.upper()
        if indicator not in mine:
            return problem(request, who, 404, "未找到", f"没有可由你评分的指标 {indicator}（可评：{'、'.join(mine)}）。")
    shown = [indicator] if indicator else mine
    cols = columns(ledger, shown)
    scores, evidence = standing(ledger)
    units = list(ledger.registry().units.values())
    unscored = {u.code: [c for c in shown if (u.code, c) not in scores] for u in units}
    units.sort(key=lambda u: (not unscored[u.code], u.code))  # units not yet scored first
    if values is None:
        values = {}
        for (unit, code), payload in scores.items():
            if code in shown:
                values[f"s_{unit}_{code}"] = payload["score"]
                for part in payload.get("parts") or ():
                    values[f"p_{unit}_{part['sub']}"] = part["score"]
    errors = errors or {}
    placed = {f"s_{u.code}_{c['code']}" for u in units for c in cols} | {
        f"p_{u.code}_{s['code']}" for u in units for c in cols for s in c["subs"]}
    return render(request, "scoring.html", who, status_code, cols=cols, units=units, values=values,
                  errors=errors, unplaced={k: v for k, v in errors.items() if k not in placed},
                  evidence=evidence, unscored=unscored, pending=sum(1 for v in unscored.values() if v),
                  mine=mine, indicator=indicator or "", nonce=secrets.token_hex(6), done=done)


@router.get("/scoring", response_class=HTMLResponse)
def grid(request: Request, who: Body, indicator: str | None = None, done: str | None = None) -> Response:
    return grid_page(request, who, indicator, done=done)


def commands_of(ledger: Ledger, form: Form, shown: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The changed cells as commands, and for each the cells it came from (for placing a refusal)."""
    scores, _ = standing(ledger)
    subs = {c["code"]: [s["code"] for s in c["subs"]] for c in columns(ledger, shown)}
    plain: dict[tuple[str, str], str] = {}
    parts: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for name, value in form.fields.items():
        value = value.strip()
        if not value or name[:2] not in ("s_", "p_"):
            continue
        unit, _, code = name[2:].partition("_")
        if name.startswith("s_"):
            plain[(unit.upper(), code.upper())] = value
        else:
            parts[(unit.upper(), code.upper().split(".")[0])][code.upper()] = value
    commands, cells = [], []
    for (unit, code), value in sorted(plain.items()):
        if subs.get(code) or _same(scores.get((unit, code), {}).get("score"), value):
            continue  # an indicator with sub-indicators is scored by its parts
        commands.append({"id": form.command_id("score", unit, code), "type": "common.scored", "unit": unit,
                         "indicator": code, "score": value})
        cells.append({"score": f"s_{unit}_{code}"})
    for (unit, code), given in sorted(parts.items()):
        before = {p["sub"]: p["score"] for p in scores.get((unit, code), {}).get("parts") or ()}
        if given.keys() == before.keys() and all(_same(before[k], v) for k, v in given.items()):
            continue
        order = sorted(given, key=lambda sub: (subs.get(code, []).index(sub) if sub in subs.get(code, []) else 99, sub))
        commands.append({"id": form.command_id("score", unit, code), "type": "common.scored", "unit": unit,
                         "indicator": code, "parts": [{"sub": sub, "score": given[sub]} for sub in order]})
        missing = [sub for sub in subs.get(code, []) if sub not in given]
        cells.append({"order": [f"p_{unit}_{sub}" for sub in order],
                      "parts": f"p_{unit}_{missing[0] if missing else order[0]}"})
    return commands, cells


def _same(before: Any, given: str) -> bool:
    try:
        return before is not None and Decimal(str(before)) == Decimal(given)
    except InvalidOperation:
        return False


@router.post("/scoring", response_class=HTMLResponse)
async def save(request: Request, who: Body, indicator: str | None = None) -> Response:
    """Every changed cell as one batch: all recorded, or none and the refusal beside its cell."""
    ledger = services_of(request).ledger
    form: Form | None = None
    mine = indicators_of(ledger, who.principal)
    shown = [indicator.upper()] if indicator and indicator.upper() in mine else mine
    try:
        form = await read_form(request, who)
        commands, cells = await run_in_threadpool(commands_of, ledger, form, shown)
        if not commands:  # nothing changed, or the grid sent again after it was saved: a no-op
            return RedirectResponse("/scoring?done=0" + (f"&indicator={quote(indicator)}" if indicator else ""),
                                    status_code=303)

        def field_of(index: int | None, field: str) -> str:
            if index is None or index >= len(cells):
                return field
            cell = cells[index]
            head, _, rest = field.partition(".")
            if head == "parts" and rest.split(".")[0].isdigit() and "order" in cell:
                i = int(rest.split(".")[0])
                return cell["order"][i] if i < len(cell["order"]) else cell["parts"]
            return cell.get(head) or cell.get("score") or cell.get("parts") or field

        await run_in_threadpool(record, request, who, commands, field_of)
    except FormRefused as refused:
        return await run_in_threadpool(grid_page, request, who, indicator, status_code=refused.status,
                                       errors={refused.field: refused.message}, values=form.fields if form else {})
    target = f"/scoring?done={len(commands)}" + (f"&indicator={quote(indicator)}" if indicator else "")
    return RedirectResponse(target, status_code=303)


__all__ = ["router"]
