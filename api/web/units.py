"""A unit's page (`/units/{code}`): its figures, the explanation tree down to the entries, the replay
chart, its disputes and its history; a unit token may dispute entries others recorded, through the
same group committer and rules as `POST /v1/commands`."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kaoping.api.errors import status_of
from kaoping.domain import errors as e
from kaoping.domain.explain import PENDING
from kaoping.domain.folds import RegistryState
from kaoping.domain import confidential, policy
from kaoping.domain.labels import DISPUTE_STATES, OUTCOMES, pending_name
from kaoping.domain.names import FIGURES
from kaoping.domain.standings import pending_for
from kaoping.ledger.group_commit import PendingBatch
from kaoping.ledger.replay import largest_moves
from kaoping.ledger.writer import BatchRejected
from kaoping.projections.scores import unit_score

from .charts import line_chart
from .words import describe, replaced_by
from .render import CSRF_REFUSED, problem, render
from .visitors import Page, Visitor, forged, services_of

router = APIRouter(include_in_schema=False)

NONCE = re.compile(r"^[0-9a-f]{12}$")
#: the short, readable number a dispute filed on the pages gets: the unit's code and a count
SHORT_CODE = re.compile(r"^[A-Z]\d{2}-\d{3,4}$")


def _next_number(code: str) -> str:
    unit, _, count = code.rpartition("-")
    return f"{unit}-{int(count) + 1:03d}" if count.isdigit() else f"{code}-1"



def _disputes(rows: list[dict[str, Any]], history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The unit's disputes as the worklist states them (`Ledger.disputes`), with the history rows
    of their filing, target and ruling for the page to show."""
    by_seq = {row["seq"]: row for row in history}
    by_id = {row["id"]: row for row in history}
    shown = []
    for d in rows:
        filed = by_seq[d["filed_seq"]]
        state = OUTCOMES.get(d["status"]) or DISPUTE_STATES.get(d["status"], d["status"])
        if d["status"] == "voided" and filed["voided_by"]:
            state = f"{state}（{filed['voided_by']}）"
        shown.append({"code": d["dispute"], "filed": filed, "target": by_id.get(d["target"]),
                      "target_id": d["target"], "outcome": d["status"], "state": state,
                      "resolved": by_seq.get(d["resolved_seq"]) if d["resolved_seq"] else None})
    return shown


def _place(rows: list[dict[str, Any]], code: str, open_disputes: int) -> dict[str, Any] | None:
    """第 N 名 / M: the unit's rank in its group's current annual standings, how far behind the
    first and the unit ranked just above it."""
    own = next((row for row in rows if row["unit"] == code), None)
    if own is None:
        return None
    group = [row for row in rows if row["group"] == own["group"]]
    above = next((row for row in reversed(group) if row["rank"] < own["rank"]), None)
    score = Decimal(own["score"])
    return {"rank": own["rank"], "of": len(group),
            "behind_first": f"{Decimal(group[0]['score']) - score:.2f}" if group[0] is not own else None,
            "above": above, "behind_above": f"{Decimal(above['score']) - score:.2f}" if above else None,
            "open_disputes": open_disputes}


def _mark_pending(node: dict[str, Any]) -> dict[str, Any]:
    return {**node, "pending": str(node.get("formula", "")).startswith(PENDING),
            "children": [_mark_pending(child) for child in node.get("children", ())]}


def unknown_unit(request: Request, who: Visitor, code: str, registry: RegistryState) -> Response | None:
    """The page a visitor gets instead of unit `code`'s when there is no such unit (whether the
    visitor may read it, the page's `Page` declaration has already asked the policy table)."""
    if code not in registry.units:
        return problem(request, who, 404, "未找到", f"没有代码为 {code} 的被考评单位。")
    return None


HISTORY_PAGE = 50


@dataclass
class HistoryPage:
    """One page of a unit's history in words, newest first, filtered by type and business date."""

    rows: list[dict[str, Any]]
    total: int
    filtered: int
    page: int
    pages: int
    types: list[str]
    type: str | None
    date_from: str | None
    date_to: str | None
    as_of: str | None
    #: the page each entry of the unfiltered history is on, for links from the explanation
    page_of: dict[int, int]

    def query(self, page: int) -> str:
        params = {"h_type": self.type, "h_from": self.date_from, "h_to": self.date_to,
                  "as_of": self.as_of, "h_page": str(page)}
        return urlencode({k: v for k, v in params.items() if v})


def history_page(history: list[dict[str, Any]], code: str, indicators: Any, *, kind: str | None,
                 date_from: str | None, date_to: str | None, page: int, as_of: str | None) -> HistoryPage:
    replaced = replaced_by(history)
    words = {row["id"]: describe(row, code, indicators) for row in history}
    chosen = [row for row in reversed(history)
              if (not kind or row["type"] == kind)
              and (not date_from or row["recorded_at"][:10] >= date_from)
              and (not date_to or row["recorded_at"][:10] <= date_to)]
    pages = max(1, -(-len(chosen) // HISTORY_PAGE))
    page = min(max(1, page), pages)
    rows = [{**row, "words": words[row["id"]],
             "replaced": {"id": replaced[row["id"]]["id"], "words": words[replaced[row["id"]]["id"]]}
             if row["id"] in replaced else None}
            for row in chosen[(page - 1) * HISTORY_PAGE:page * HISTORY_PAGE]]
    newest_first = [row["seq"] for row in reversed(history)]
    page_of = {seq: 1 + i // HISTORY_PAGE for i, seq in enumerate(newest_first)}
    return HistoryPage(rows, len(history), len(chosen), page, pages,
                       sorted({row["type"] for row in history}), kind or None, date_from or None,
                       date_to or None, as_of, page_of)


def unit_page_response(request: Request, who: Visitor, code: str, *, as_of: str | None = None,
                       filed: str | None = None, error: str | None = None,
                       status_code: int = 200, h_type: str | None = None, h_from: str | None = None,
                       h_to: str | None = None, h_page: int = 1) -> Response:
    ledger = services_of(request).ledger
    code = code.upper()
    registry = ledger.registry()
    refused = unknown_unit(request, who, code, registry)
    if refused is not None:
        return refused
    as_of = (as_of or "").strip() or None
    services = services_of(request)
    try:
        score = unit_score(services.projection, code, as_of=as_of)
    except e.InvalidCommand as bad:
        return problem(request, who, 422, "参数有误", bad.message)
    history = confidential.history(who.principal, ledger.history(code))
    replay = confidential.replay(who.principal, ledger.replay_explained(code))
    score = confidential.score(who.principal, score)
    unit = registry.units[code]
    may_dispute = policy.may(who.principal, "dispute.file", code)
    disputable = ledger.disputable(code, who.principal) if may_dispute else set()
    if as_of is not None:  # the place in the standings below (caught up by the score without as_of)
        services.projection.catch_up()
    disputes = _disputes(ledger.disputes(status="all", unit=code), history)
    return render(
        request, "unit.html", who, status_code, unit=unit, score=score,
        tree=_mark_pending(score["explanation"]), history=history, as_of=as_of,
        chart=line_chart(replay, title=f"{unit.name}（{code}）总分随业务日期的变化"),
        moves=largest_moves(replay),
        replay=replay, disputes=disputes, may_dispute=may_dispute,
        disputable=disputable, filed=filed, error=error,
        history_page=history_page(history, code, registry.indicators, kind=h_type, date_from=h_from,
                                  date_to=h_to, page=h_page, as_of=as_of),
        place=_place(services.projection.standings(), code,
                     sum(1 for d in disputes if d["outcome"] == "open")),
        figures=[(key, score[key]) for key in FIGURES],
        completeness={key: [pending_name(p) for p in pending_for(key, score["pending"])] for key in FIGURES})


@router.get("/units/{code}/disputes/new", response_class=HTMLResponse)
def dispute_form(request: Request, who: Annotated[Visitor, Page("dispute.file", "code")], code: str,
                 target: str = "", error: str | None = None, reason: str = "",
                 status_code: int = 200) -> Response:
    """One entry of the unit's history, its value and date, and the form to dispute it."""
    code = code.upper()
    ledger = services_of(request).ledger
    whole = ledger.history(code)
    history = confidential.history(who.principal, whole)  # an entry named by its id or as shown
    entry = next((shown for row, shown in zip(whole, history) if target in (row["id"], shown["id"])), None)
    if entry is None:
        return problem(request, who, 404, "未找到", f"本单位的历史记录中没有编号为 {target} 的记录。")
    count = sum(1 for row in history if row["type"] == "dispute.filed")
    return render(request, "dispute_new.html", who, status_code, unit=ledger.registry().units[code],
                  entry=entry, nonce=secrets.token_hex(6), dispute=f"{code}-{count + 1:03d}",
                  error=error, reason=reason)


@router.get("/units/{code}", response_class=HTMLResponse)
def unit_page(request: Request, who: Annotated[Visitor, Page("unit.read", "code")], code: str, as_of: str | None = None,
              filed: str | None = None, h_type: str | None = None, h_from: str | None = None,
              h_to: str | None = None, h_page: int = 1) -> Response:
    for name, value in (("h_from", h_from), ("h_to", h_to)):
        if value and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            label = {"h_from": "起始日期", "h_to": "截止日期"}[name]
            return problem(request, who, 422, "参数有误", f"{label}：日期请写作 YYYY-MM-DD，例如 2018-07-31。")
    return unit_page_response(request, who, code, as_of=as_of, filed=filed, h_type=h_type,
                              h_from=h_from, h_to=h_to, h_page=h_page)


@router.post("/units/{code}/disputes", response_class=HTMLResponse)
def file_dispute(request: Request, who: Annotated[Visitor, Page("dispute.file", "code")], code: str,
                 csrf: Annotated[str, Form()] = "",
                 nonce: Annotated[str, Form()] = "", target: Annotated[str, Form()] = "",
                 reason: Annotated[str, Form()] = "", dispute: Annotated[str, Form()] = "") -> Response:
    code = code.upper()
    if forged(request, who, csrf):
        return problem(request, who, 403, "请求被拒绝", CSRF_REFUSED)
    principal = who.principal
    if not NONCE.match(nonce):
        return dispute_form(request, who, code, target=target, reason=reason,
                            error="表单已失效，请重新填写。", status_code=422)
    number = dispute if SHORT_CODE.match(dispute) and dispute.startswith(f"{code}-") else f"{code}-{nonce}"
    command = {"id": f"web-dispute-{code}-{nonce}", "type": "dispute.filed", "unit": code,
               "dispute": number, "target": confidential.unmask(services_of(request).ledger.history(code),
                                                                target.strip()),
               "reason": reason.strip()}
    services = services_of(request)
    for _ in range(5):  # a number another form took meanwhile: the next one
        try:
            result = services.committer.append(PendingBatch([command], principal.actor, principal))
            break
        except BatchRejected as rejected:
            if rejected.error.code == "dispute.code_taken":
                command["dispute"] = _next_number(command["dispute"])
                continue
            return dispute_form(request, who, code, target=target, reason=reason, error=rejected.error.message,
                                status_code=status_of(rejected.error))
        except e.KaopingError as error:
            return dispute_form(request, who, code, target=target, reason=reason, error=error.message,
                                status_code=409)
    else:
        return dispute_form(request, who, code, target=target, reason=reason, status_code=409,
                            error="异议编号被同时提交的其他异议占用，请重新提交。")
    services.projection.catch_up()
    duplicate = "&duplicate=1" if result.results[0].duplicate else ""
    if result.results[0].duplicate:  # a form sent again: its dispute has the number it was filed under
        # (under its stored id: a unit token's ids are kept in its unit's namespace)
        command["dispute"] = services.ledger.dispute_of(result.results[0].id) or command["dispute"]
    return RedirectResponse(f"/units/{code}?filed={quote(command['dispute'])}{duplicate}#disputes",
                            status_code=303)
