"""Ballots in the browser (`/ballots`, a leader's and the leading-group office's landing page):
按比例排序评价 (docs/scheme.md §5) for the three raters who cast them — a county leader ranks the
units in its charge, the leading-group office every unit of a group, a unit (互评) the units of the
other group it deals with. The page lists, per round and group, the ballot the visitor still owes,
has cast (and may replace) or can no longer change (the round is closed); each ballot is a table with
a 名次 per unit (works with no script), and 预览 shows the band and points each position earns over
the units ranked before anything is recorded. A replaced ballot is shown as replaced; a closed round
is read-only. A unit sees its own ballots only, never who ranked it where.

The form goes through `forms` (CSRF, the nonce as the ballot's id, one batch, the refusal beside its
unit's 名次); the page checks what only a form has — numbers, repeats, gaps — and the ledger the rest
(charge, group, completeness, a closed round)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kaoping.domain import policy
from kaoping.domain.errors import InvalidCommand
from kaoping.domain.labels import BALLOT_KINDS, GROUP_NAMES, ROUND_NAMES
from kaoping.domain.moments import local_time
from kaoping.domain.names import round_stream
from kaoping.domain.principals import Principal
from kaoping.domain.scoring.comprehensive import band_of
from kaoping.ledger.application import Ledger

from .forms import Form, FormRefused, read_form, record
from .render import problem, render
from .visitors import Page, Visitor, services_of

router = APIRouter(include_in_schema=False)

Rater = Annotated[Visitor, Page("ballots")]
ROUNDS = tuple(ROUND_NAMES)
GROUPS = tuple(GROUP_NAMES)
RANK = "rank_"


def rater_of(principal: Principal) -> str:
    """Who the ballot says rates: a unit's code, else the token's actor (as `roles._ballot` holds it)."""
    return policy.bound_unit(principal) or principal.actor


def groups_of(ledger: Ledger, principal: Principal) -> list[str]:
    """The groups the visitor ranks: a leader those of its charge, a unit the other group, the
    leading-group office both."""
    units = ledger.registry().units
    unit = policy.bound_unit(principal)
    if unit is not None:
        return [g for g in GROUPS if g != units[unit].group]
    in_charge = policy.charge(principal)
    if in_charge is not None:
        return [g for g in GROUPS if any(units[c].group == g for c in in_charge if c in units)]
    return list(GROUPS)


def candidates(ledger: Ledger, principal: Principal, group: str) -> list[Any]:
    """The units the visitor's ballot of `group` may rank, in code order."""
    in_charge = policy.charge(principal)
    return [u for u in ledger.registry().units.values()
            if u.group == group and (in_charge is None or u.code in in_charge) and u.code != principal.unit]


def round_view(ledger: Ledger, principal: Principal, name: str, group: str) -> dict[str, Any]:
    """The round as this rater sees it: closed or not, and its own ballots of `group`, oldest first,
    each but the last replaced."""
    kind, rater = policy.BALLOT_KIND_OF_ROLE[principal.role], rater_of(principal)
    closed, ballots = False, []
    for entry in ledger.stream_entries(round_stream(name)):
        if entry.type == "round.closed":
            closed = True
        elif (entry.type == "ballot.cast" and entry.payload["kind"] == kind and entry.payload["rater"] == rater
              and entry.payload["group"] == group):
            ballots.append({"seq": entry.seq, "id": entry.id, "ranking": list(entry.payload["ranking"]),
                            "recorded_at": local_time(entry.recorded_at, ledger.zone)})
    return {"round": name, "group": group, "closed": closed, "ballots": ballots,
            "current": ballots[-1] if ballots else None}


def owed(ledger: Ledger, principal: Principal) -> list[dict[str, Any]]:
    """Every round × group the visitor rates, with its status: 待投, 已投 (replaceable), 已关闭."""
    rows = []
    for name in ROUNDS:
        for group in groups_of(ledger, principal):
            view = round_view(ledger, principal, name, group)
            status = "closed" if view["closed"] else "cast" if view["current"] else "owed"
            rows.append({**view, "status": status, "count": len(candidates(ledger, principal, group))})
    return rows


@router.get("/ballots", response_class=HTMLResponse)
def ballots(request: Request, who: Rater, done: str | None = None) -> Response:
    ledger = services_of(request).ledger
    rows = owed(ledger, who.principal)
    return render(request, "ballots.html", who, rows=rows, done=done,
                  kind=BALLOT_KINDS[policy.BALLOT_KIND_OF_ROLE[who.principal.role]],
                  owing=[r for r in rows if r["status"] == "owed"])


def ranks_of(form_fields: dict[str, str]) -> dict[str, str]:
    """The 名次 typed per unit (`rank_D03`), blanks left out."""
    return {k[len(RANK):].upper(): v.strip() for k, v in form_fields.items()
            if k.startswith(RANK) and v.strip()}


def ranking_of(ranks: dict[str, str]) -> list[str]:
    """The units in the order their 名次 put them: FormRefused beside the 名次 that is no number,
    repeated, or leaves a gap (ranks run 1…n)."""
    numbers: dict[str, int] = {}
    for code, given in ranks.items():
        if not given.isdigit() or int(given) < 1:
            raise FormRefused(RANK + code, InvalidCommand("ballots.rank_not_number", given=given[:20]).message)
        numbers[code] = int(given)
    if not numbers:
        raise FormRefused("ranking", InvalidCommand("ballots.empty").message)
    by_rank: dict[int, list[str]] = {}
    for code, rank in numbers.items():
        by_rank.setdefault(rank, []).append(code)
    for rank, codes in sorted(by_rank.items()):
        if len(codes) > 1:
            raise FormRefused(RANK + codes[1], InvalidCommand("ballots.rank_repeated", rank=rank, units=codes).message)
    missing = [r for r in range(1, len(numbers) + 1) if r not in by_rank]
    if missing:
        late = max(numbers, key=lambda c: numbers[c])
        raise FormRefused(RANK + late, InvalidCommand("ballots.rank_gap", count=len(numbers), missing=missing).message)
    return [code for code, _ in sorted(numbers.items(), key=lambda item: item[1])]


def ballot_page(request: Request, who: Visitor, name: str, group: str, *, status_code: int = 200,
                errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                preview: list[str] | None = None) -> Response:
    ledger = services_of(request).ledger
    principal = who.principal
    if name not in ROUNDS or group not in groups_of(ledger, principal):
        return problem(request, who, 404, "未找到", InvalidCommand("ballots.unknown").message + "。")
    view = round_view(ledger, principal, name, group)
    units = candidates(ledger, principal, group)
    scheme = ledger.registry().scheme
    shown = preview if preview is not None else (view["current"]["ranking"] if view["current"] else None)
    if values is None:
        values = {RANK + code: str(i + 1) for i, code in enumerate(shown or [])}
    earned = {code: (i + 1, *band_of(i + 1, len(shown), scheme)) for i, code in enumerate(shown or [])}
    bands = [{"position": p, "band": band_of(p, len(units), scheme)} for p in range(1, len(units) + 1)]
    kind = policy.BALLOT_KIND_OF_ROLE[principal.role]
    errors = errors or {}
    placed = {RANK + u.code for u in units} | {"ranking", ""}
    return render(request, "ballot.html", who, status_code, view=view, units=units, values=values, errors=errors,
                  unplaced={k: v for k, v in errors.items() if k not in placed}, earned=earned, bands=bands,
                  preview=preview is not None, kind=kind, kind_name=BALLOT_KINDS[kind], rater=rater_of(principal),
                  round_name=ROUND_NAMES[name], group_name=GROUP_NAMES[group], nonce=secrets.token_hex(6),
                  complete=kind != "mutual" and scheme.ballot_complete(kind), names={
                      u.code: u.name for u in ledger.registry().units.values()})


@router.get("/ballots/{name}/{group}", response_class=HTMLResponse)
def ballot(request: Request, who: Rater, name: str, group: str) -> Response:
    return ballot_page(request, who, name, group)


@router.post("/ballots/{name}/{group}", response_class=HTMLResponse)
async def cast(request: Request, who: Rater, name: str, group: str) -> Response:
    """Preview the bands (nothing recorded) or cast the ballot (replacing the rater's earlier one)."""
    form: Form | None = None
    try:
        form = await read_form(request, who)
        ranking = ranking_of(ranks_of(form.fields))
        if form.value("action") == "preview":
            return await run_in_threadpool(ballot_page, request, who, name, group, values=form.fields,
                                           preview=ranking)
        principal = who.principal
        command_id = form.command_id("ballot", name, group)
        await run_in_threadpool(record, request, who, [{
            "id": command_id, "type": "ballot.cast", "round": name, "group": group,
            "kind": policy.BALLOT_KIND_OF_ROLE.get(principal.role, ""), "rater": rater_of(principal),
            "ranking": ranking}],
            lambda index, field: (RANK + ranking[int(field.split(".")[1])]
                                  if field.startswith("ranking.") and field.split(".")[1].isdigit()
                                  and int(field.split(".")[1]) < len(ranking) else field))
    except FormRefused as refused:
        return await run_in_threadpool(ballot_page, request, who, name, group, status_code=refused.status,
                                       errors={refused.field: refused.message}, values=form.fields if form else {})
    return RedirectResponse(f"/ballots?done={quote(command_id)}", status_code=303)


__all__ = ["router"]
