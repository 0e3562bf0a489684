"""The verifier's queue (`/queue`, its landing page): evidence awaiting verification, important
tasks first, oldest first; each item opens its file in the page (PDF and images inline, anything
else as a download) with the stored bytes' hash checked, and an outcome form (confirmed,
discrepancy, falsified; online or on site; the day) to which the verifier attaches photos from the
site (`files`); what it has already judged. Online is not offered for evidence whose file was
never uploaded. Also `/files/{sha256}`, a stored file for the pages (the session's reader, as
`GET /v1/files/{sha256}` for a token)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kaoping.api.routes.files import SHA256, file_response
from kaoping.domain.moments import local_time
from kaoping.ledger.application import Ledger
from kaoping.ledger.sniffing import inline

from .forms import Form, FormRefused, read_form, record
from .render import problem, render
from .visitors import Page, Visitor, services_of

router = APIRouter(include_in_schema=False)

Verifier = Annotated[Visitor, Page("queue")]


def _items(ledger: Ledger, actor: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(awaiting, judged by `actor`): evidence entries with no verification yet, important tasks
    first, then oldest; and the verifications this actor recorded, newest first."""
    entries = ledger.entries()
    important = {(e.payload["unit"], e.payload["task"]) for e in entries
                 if e.type == "task.assigned" and e.payload.get("important")}
    titles = {(e.payload["unit"], e.payload["task"]): e.payload["title"] for e in entries if e.type == "task.assigned"}
    verified = {(e.payload["unit"], e.payload["evidence"]) for e in entries if e.type == "evidence.verified"}
    indicators = ledger.registry().indicators
    awaiting = []
    for e in entries:
        if e.type != "evidence.submitted" or (e.payload["unit"], e.payload["evidence"]) in verified:
            continue
        p = e.payload
        if ledger.unit_state(p["unit"]).evidence[p["evidence"]].voided:
            continue
        key = (p["unit"], p.get("task"))
        indicator = indicators.get(p.get("indicator") or "")
        awaiting.append({"seq": e.seq, "unit": p["unit"], "evidence": p["evidence"], "title": p["title"],
                         "sha256": p["sha256"], "important": key in important,
                         "where": (f"{p['task']} {titles.get(key, '')} · 节点 {p['checkpoint']}" if p.get("task")
                                   else f"共性指标 {p['indicator']} {indicator.name if indicator else ''}"
                                        + (f" · {p['sub']}" if p.get("sub") else "")),
                         "recorded_at": local_time(e.recorded_at, ledger.zone)})
    awaiting.sort(key=lambda item: (not item["important"], item["seq"]))
    shown = ledger.files_shown([item["sha256"] for item in awaiting])
    for item in awaiting:
        item["file"] = shown[item["sha256"]]
    judged = [{"seq": e.seq, "id": e.id, **e.payload} for e in reversed(entries)
              if e.type == "evidence.verified" and e.actor == actor]
    return awaiting, judged


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, who: Verifier, done: str | None = None) -> Response:
    awaiting, judged = _items(services_of(request).ledger, who.principal.actor)
    return render(request, "queue.html", who, awaiting=awaiting, judged=judged[:100], done=done)


def item_page(request: Request, who: Visitor, unit: str, evidence: str, *, status_code: int = 200,
              errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Response:
    ledger = services_of(request).ledger
    unit = unit.upper()
    if unit not in ledger.registry().units or evidence not in ledger.unit_state(unit).evidence:
        return problem(request, who, 404, "未找到", f"单位 {unit} 没有佐证“{evidence}”。")
    state = ledger.unit_state(unit).evidence[evidence]
    row = next(r for r in ledger.history(unit) if r["id"] == state.submitted_by)
    sha = row["payload"]["sha256"]
    stored = row["file"]["stored"]
    subs = {s["code"]: s for s in ledger.registry().scheme.sub_indicators(state.indicator or "")}
    return render(request, "queue_item.html", who, status_code, unit=ledger.registry().units[unit],
                  entry=row, sha256=sha, stored=stored, intact=ledger.file_intact(sha) if stored else None,
                  inline=stored and inline(row["file"]["media_type"]), sub=subs.get(state.sub or ""),
                  today=ledger.today().isoformat(), nonce=secrets.token_hex(6), errors=errors or {},
                  values=values or {})


@router.get("/queue/{unit}/{evidence}", response_class=HTMLResponse)
def item(request: Request, who: Verifier, unit: str, evidence: str) -> Response:
    return item_page(request, who, unit, evidence)


@router.post("/queue/{unit}/{evidence}", response_class=HTMLResponse)
async def judge(request: Request, who: Verifier, unit: str, evidence: str) -> Response:
    """The outcome of one piece of evidence, with the photos the verifier took attached."""
    form: Form | None = None
    unit = unit.upper()
    try:
        form = await read_form(request, who, max_files=10, file_parts=frozenset({"photos"}))
        photos = [stored.sha256 for stored in form.files_of("photos")]
        command_id = form.command_id("verify", unit, evidence)
        await run_in_threadpool(record, request, who, [{
            "id": command_id, "type": "evidence.verified", "unit": unit, "evidence": evidence,
            "outcome": form.value("outcome"), "method": form.value("method"),
            "verified_on": form.value("verified_on"), **({"files": photos} if photos else {})}],
            lambda index, field: "photos" if field.startswith("files") else field)
    except FormRefused as refused:
        return await run_in_threadpool(item_page, request, who, unit, evidence, status_code=refused.status,
                                       errors={refused.field: refused.message}, values=form.fields if form else {})
    return RedirectResponse(f"/queue?done={quote(command_id)}", status_code=303)


@router.get("/files/{sha256}")
def page_file(request: Request, who: Annotated[Visitor, Page("file.read")],
              sha256: Annotated[str, Path(pattern=SHA256)]) -> Response:
    """A stored file for the pages: to those who may read it, else the 404 page."""
    ledger = services_of(request).ledger
    stored = ledger.readable_file(sha256.lower(), who.principal)
    if stored is None:
        return problem(request, who, 404, "未找到", f"没有哈希为 {sha256.lower()} 的文件，或你无权读取它。")
    return file_response(request, ledger, stored)


__all__ = ["router"]
