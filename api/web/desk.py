"""The office's dispute desk and the 公示 pages: open disputes across units with the days left in
their window, each with what upholding it would change and a ruling form (uphold or reject with a
reason; an upheld one may carry the correcting entry of the same kind, sent in the same batch
through the group committer); the publications with what has moved since; a comparison of two
units."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kaoping.api.errors import status_of
from kaoping.domain import confidential, policy
from kaoping.domain import errors as e
from kaoping.ledger.application import Ledger
from kaoping.ledger.group_commit import PendingBatch
from kaoping.ledger.writer import BatchRejected

from starlette.concurrency import run_in_threadpool

from .forms import FormRefused, read_form, record
from .render import CSRF_REFUSED, problem, render
from .visitors import Page, Visitor, forged, services_of

router = APIRouter(include_in_schema=False)

#: the visitor of the office's dispute desk and its ruling form
Desk = Annotated[Visitor, Page("desk")]

NONCE = re.compile(r"^[0-9a-f]{12}$")
#: the correcting entry a ruling may carry, by the disputed entry's type: the fields it asks for
CORRECTIONS = {"common.scored": ("score",), "checkpoint.reported": ("reported_on", "completed", "quality"),
               "task.assessed": ("result",), "funding.recorded": ("amount",)}


def _days_left(closes: str | None, now: datetime) -> int | None:
    if closes is None:
        return None
    return max(0, (datetime.fromisoformat(closes) - now).days)


@router.get("/disputes", response_class=HTMLResponse)
def desk(request: Request, who: Desk, status: str = "open") -> Response:
    ledger = services_of(request).ledger
    try:
        rows = ledger.disputes(status=status)
    except e.KaopingError as error:
        return problem(request, who, 422, "参数有误", error.message)
    now = ledger.clock()
    for row in rows:
        row["days_left"] = _days_left(row["appeal_closes"], now)
    return render(request, "desk.html", who, disputes=rows, status=status,
                  void_requests=ledger.void_requests(status="open"), nonce=secrets.token_hex(6),
                  errors={}, answered=request.query_params.get("answered"))


@router.post("/void-requests/{request_id}", response_class=HTMLResponse)
async def answer_void_request(request: Request, who: Desk, request_id: str) -> Response:
    """The office's answer to a unit's void request: grant (void the entry it names) or decline
    (void the request itself), either way an `entry.voided` with the office's reason."""
    form = None
    try:
        form = await read_form(request, who)
        found = next((r for r in services_of(request).ledger.void_requests(status="open")
                      if r["id"] == request_id), None)
        if found is None:
            raise FormRefused("request", f"没有待处理的作废申请 {request_id}。", 404)
        grant = form.value("decision") == "grant"
        await run_in_threadpool(record, request, who, [{
            "id": form.command_id("answer", request_id), "type": "entry.voided",
            "target": found["target"] if grant else request_id,
            "reason": form.value("reason") or ("依作废申请 " + request_id if grant else "作废申请未获同意")}])
    except FormRefused as refused:
        return problem(request, who, refused.status, "作废申请未处理", refused.message)
    return RedirectResponse(f"/disputes?answered={quote(request_id)}#void-requests", status_code=303)


@router.get("/disputes/{code}", response_class=HTMLResponse)
def dispute_page(request: Request, who: Desk, code: str, error: str | None = None,
                 status_code: int = 200, form: dict[str, str] | None = None) -> Response:
    ledger = services_of(request).ledger
    dispute = ledger.dispute(code)
    if dispute is None:
        return problem(request, who, 404, "未找到", f"没有编号为 {code} 的异议。")
    preview = ledger.dispute_preview(code) if dispute["status"] == "open" else None
    target_type = dispute["target_type"] or ""
    method = _method(ledger, dispute)
    return render(request, "dispute.html", who, status_code, dispute=dispute, preview=preview,
                  correction=CORRECTIONS.get(target_type, ()), method=method, error=error,
                  form=form or {}, nonce=secrets.token_hex(6),
                  days_left=_days_left(dispute["appeal_closes"], ledger.clock()))


def _method(ledger: Ledger, dispute: dict[str, Any]) -> str | None:
    """The assessment method of the task a disputed `task.assessed` entry assessed."""
    if dispute["target_type"] != "task.assessed" or not dispute["target_entry"]:
        return None
    task = dispute["target_entry"]["payload"].get("task")
    state = ledger.unit_state(dispute["unit"])
    return state.tasks[task].method if task in state.tasks else None


def _correction(dispute: dict[str, Any], method: str | None, nonce: str,
                fields: dict[str, str]) -> dict[str, Any] | None:
    """The correcting command the office filled in, or None when it left the fields empty."""
    target = dispute["target_entry"]
    kind, p = target["type"], target["payload"]
    base = {"id": f"web-correction-{dispute['dispute']}-{nonce}", "type": kind, "unit": dispute["unit"]}
    if kind == "common.scored" and fields.get("score"):
        return {**base, "indicator": p["indicator"], "score": fields["score"]}
    if kind == "funding.recorded" and fields.get("amount"):
        return {**base, "amount": fields["amount"], "source": p.get("source", ""),
                "reason": f"异议 {dispute['dispute']} 更正"}
    if kind == "checkpoint.reported" and fields.get("reported_on"):
        return {**base, "task": p["task"], "checkpoint": p["checkpoint"], "reported_on": fields["reported_on"],
                "completed": fields.get("completed") == "yes", "quality": fields.get("quality") or "ok",
                "note": f"异议 {dispute['dispute']} 更正"}
    if kind == "task.assessed" and fields.get("result"):
        value = fields["result"].strip()
        result: dict[str, Any]
        if method == "completion_ratio":
            result = {"actual": value}
        elif method == "veto":
            result = {"vetoed": value in ("yes", "true", "1", "否决")}
        elif method == "direct_deduction":
            result = {"deductions": [{"points": value, "reason": f"异议 {dispute['dispute']} 更正"}]}
        else:
            result = {"points": [{"points": value, "reason": f"异议 {dispute['dispute']} 更正"}]}
        return {**base, "task": p["task"], **result}
    return None


@router.post("/disputes/{code}/ruling", response_class=HTMLResponse)
def rule(request: Request, who: Desk, code: str, csrf: Annotated[str, Form()] = "",
         nonce: Annotated[str, Form()] = "", outcome: Annotated[str, Form()] = "",
         reason: Annotated[str, Form()] = "", score: Annotated[str, Form()] = "",
         amount: Annotated[str, Form()] = "", reported_on: Annotated[str, Form()] = "",
         completed: Annotated[str, Form()] = "", quality: Annotated[str, Form()] = "",
         result: Annotated[str, Form()] = "") -> Response:
    if forged(request, who, csrf):
        return problem(request, who, 403, "请求被拒绝", CSRF_REFUSED)
    fields = {"outcome": outcome, "reason": reason, "score": score, "amount": amount,
              "reported_on": reported_on, "completed": completed, "quality": quality, "result": result}
    if not NONCE.match(nonce):
        return dispute_page(request, who, code, error="表单已失效，请重新填写。", status_code=422, form=fields)
    services = services_of(request)
    dispute = services.ledger.dispute(code)
    if dispute is None:
        return problem(request, who, 404, "未找到", f"没有编号为 {code} 的异议。")
    batch: list[dict[str, Any]] = [{"id": f"web-ruling-{code}-{nonce}", "type": "dispute.resolved",
                                    "dispute": code, "outcome": outcome, "reason": reason.strip()}]
    method = _method(services.ledger, dispute)
    correction = _correction(dispute, method, nonce, fields) if outcome == "upheld" and dispute["target_entry"] else None
    if correction is not None:
        batch.append(correction)
    try:
        services.committer.append(PendingBatch(batch, who.principal.actor, who.principal))
    except BatchRejected as rejected:
        which = "更正记录" if rejected.index == 1 else "裁决"
        return dispute_page(request, who, code, error=f"{which}未登记：{rejected.error.message}",
                            status_code=status_of(rejected.error),
                            form=fields)
    services.projection.catch_up()
    return RedirectResponse(f"/disputes?ruled={quote(code)}", status_code=303)


# -- publications and comparisons ----------------------------------------------------------------

@router.get("/publications", response_class=HTMLResponse)
def publications_page(request: Request, who: Annotated[Visitor, Page("publications")]) -> Response:
    return render(request, "publications.html", who,
                  publications=list(reversed(services_of(request).ledger.publications())))


@router.get("/publications/{publication_id}", response_class=HTMLResponse)
def publication_page(request: Request, who: Annotated[Visitor, Page("publications")],
                     publication_id: str) -> Response:
    ledger = services_of(request).ledger
    try:
        document = ledger.publication(publication_id)
    except e.NotFound:
        return problem(request, who, 404, "未找到", f"没有编号为 {publication_id} 的公示。")
    return render(request, "publication.html", who, publication=document,
                  moved=ledger.moved_since(publication_id))


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, who: Annotated[Visitor, Page("compare", "a", "b")], a: str = "",
                 b: str = "", as_of: str | None = None) -> Response:
    if not a.strip() or not b.strip():  # no pair yet: the form that picks one (issue 28, item 12)
        units = services_of(request).ledger.registry().units
        own = policy.bound_unit(who.principal)
        return render(request, "compare.html", who, comparison=None, units=list(units.values()),
                      a=(a.strip() or own or "").upper(), b=b.strip().upper(), own=own)
    try:
        document = confidential.compare(who.principal, services_of(request).ledger.compare(
            a, b, as_of=(as_of or "").strip() or None))
    except e.KaopingError as error:
        return problem(request, who, 404 if isinstance(error, e.NotFound) else 422, "参数有误", error.message)
    return render(request, "compare.html", who, comparison=document)
