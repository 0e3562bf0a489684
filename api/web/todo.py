"""The unit's 待办 page (`/todo`, its landing page after signing in): its checkpoints overdue, due
soon and upcoming with their lights, each with a report form that records the report and an
evidence entry per file (photos from a phone's camera included) in one batch; what it reported,
with each entry's receipt; its evidence files, 文件未上传 where an entry cites a file never
uploaded, and a way to upload it now; a void request for a wrong report, which the office answers
on its desk (docs/commands.md §10.1, "作废申请"); and the evidence carriers its common indicators'
sub-indicators ask for (docs/scheme.md §4.1).

Every form goes through `forms`: CSRF, its nonce as its commands' id, one batch through the group
committer, a refusal shown beside its field with the values kept, nothing appended."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kaoping.domain.board import board

from .forms import Form, FormRefused, read_form, record
from .render import render
from .visitors import Page, Visitor, services_of

router = APIRouter(include_in_schema=False)

Unit = Annotated[Visitor, Page("todo")]
#: the parts of a report form that bring files: chosen files, and photos from the camera
FILE_PARTS = frozenset({"files", "photos"})
MAX_FILES = 10
#: the statuses of a checkpoint still to report (`Ledger.due`)
OPEN = ("overdue", "due_soon", "upcoming")


def todo_page(request: Request, who: Visitor, *, status_code: int = 200, errors: dict[str, str] | None = None,
              values: dict[str, str] | None = None, form_of: str = "", done: str | None = None) -> Response:
    ledger = services_of(request).ledger
    code = who.principal.unit or ""
    registry = ledger.registry()
    unit = registry.units[code]
    due = ledger.due(units=[code])
    items = due["units"][0]["items"] if due["units"] else []
    history = ledger.history(code)
    state = ledger.unit_state(code)
    reports = [row for row in history if row["type"] == "checkpoint.reported"]
    evidence = [row for row in history if row["type"] == "evidence.submitted"]
    by_id = {row["id"]: row for row in history}
    requests = []
    for row in (r for r in history if r["type"] == "void.requested"):
        target = by_id.get(row["payload"]["target"])
        status = ("declined" if row["voided_by"] else "granted" if target and target["voided_by"] else "open")
        requests.append({**row, "status": status})
    requested = {r["payload"]["target"] for r in requests if r["status"] == "open"}
    scheme = registry.scheme
    carriers = [{"indicator": registry.indicators[code_], "subs": scheme.sub_indicators(code_)}
                for code_ in sorted(scheme.data["common"].get("sub_indicators", {})) if code_ in registry.indicators]
    # the forms on the page a refusal can stand beside; one of a form no longer shown goes on top
    placed = ({f"{i['task']}/{i['checkpoint']}" for i in items if i["status"] in OPEN}
              | {f"void/{r['id']}" for r in reports} | {f"file/{r['payload']['sha256']}" for r in evidence}
              | {f"indicator/{sub['code']}" for c in carriers for sub in c["subs"]})
    return render(request, "todo.html", who, status_code, unit=unit, today=ledger.today().isoformat(),
                  unplaced=errors if errors and form_of not in placed else {},
                  open_items=[i for i in items if i["status"] in OPEN], reports=list(reversed(reports)),
                  evidence=list(reversed(evidence)), requests=list(reversed(requests)), requested=requested,
                  own=_own(state, who), nonce=secrets.token_hex(6), errors=errors or {}, values=values or {},
                  form_of=form_of, done=done, carriers=carriers, accept=ACCEPT,
                  lights=board(due)[0] if due["units"] else None)


#: what the file inputs offer (the server decides from the bytes; this only guides the picker)
ACCEPT = ("image/jpeg,image/png,image/webp,application/pdf,.ofd,.doc,.docx,.xls,.xlsx,.ppt,.pptx,"
          ".txt,.zip")


def _own(state: Any, who: Visitor) -> set[str]:
    """The entries of the unit recorded by this visitor's actor (those it may ask to void)."""
    return {cid for cid, info in state.entries.items() if info.actor == who.principal.actor}


@router.get("/todo", response_class=HTMLResponse)
def todo(request: Request, who: Unit, done: str | None = None) -> Response:
    return todo_page(request, who, done=done)


async def _refused(request: Request, who: Visitor, refused: FormRefused, form: Form | None, form_of: str) -> Response:
    return await run_in_threadpool(todo_page, request, who, status_code=refused.status,
                                   errors={refused.field: refused.message},
                                   values=form.fields if form else {}, form_of=form_of)


@router.post("/todo/report", response_class=HTMLResponse)
async def report(request: Request, who: Unit) -> Response:
    """A checkpoint's report and an evidence entry for each file, in one batch."""
    form: Form | None = None
    try:
        form = await read_form(request, who, max_files=MAX_FILES, file_parts=FILE_PARTS)
        code, task, checkpoint = who.principal.unit or "", form.value("task"), form.value("checkpoint")
        report_id = form.command_id("report", code, task, checkpoint)
        commands: list[dict[str, Any]] = [{
            "id": report_id, "type": "checkpoint.reported", "unit": code, "task": task,
            "checkpoint": checkpoint, "reported_on": form.value("reported_on"),
            "completed": form.value("completed") == "yes", "quality": form.value("quality") or "ok",
            "note": form.value("note")}]
        files = form.files_of("files") + form.files_of("photos")
        for i, stored in enumerate(files, start=1):
            commands.append({"id": form.command_id("evidence", code, task, checkpoint, str(i)),
                             "type": "evidence.submitted", "unit": code,
                             "evidence": f"{task}.{checkpoint}.{form.nonce}.{i}"[:64], "task": task,
                             "checkpoint": checkpoint, "title": stored.name[:200] or f"佐证{i}",
                             "sha256": stored.sha256})
        await run_in_threadpool(record, request, who, commands,
                                lambda index, field: field if index == 0 else "files")
    except FormRefused as refused:
        return await _refused(request, who, refused, form, f"{form.value('task')}/{form.value('checkpoint')}"
                              if form else "")
    return RedirectResponse(f"/todo?done={quote(report_id)}#reported", status_code=303)


@router.post("/todo/files", response_class=HTMLResponse)
async def missing_file(request: Request, who: Unit) -> Response:
    """The file an evidence entry cites, uploaded now: its bytes must hash to what the entry says."""
    form: Form | None = None
    try:
        form = await read_form(request, who, max_files=1, file_parts=frozenset({"file"}))
        wanted = form.value("sha256")
        got = form.files_of("file")
        if not got:
            raise FormRefused("file", "请选择要上传的文件。")
        if got[0].sha256 != wanted:
            raise FormRefused("file", f"上传的文件（SHA-256 {got[0].sha256[:12]}…）不是这条佐证记录的文件"
                                      f"（{wanted[:12]}…）：请选择当时提交的那个文件。")
    except FormRefused as refused:
        return await _refused(request, who, refused, form, f"file/{form.value('sha256') if form else ''}")
    return RedirectResponse(f"/todo?done={quote(wanted[:12])}#files", status_code=303)


@router.post("/todo/void", response_class=HTMLResponse)
async def void_request(request: Request, who: Unit) -> Response:
    """A request that the office void a wrong entry the unit recorded (`void.requested`)."""
    form: Form | None = None
    try:
        form = await read_form(request, who)
        target = form.value("target")
        request_id = form.command_id("void", target)
        await run_in_threadpool(record, request, who, [{
            "id": request_id, "type": "void.requested", "unit": who.principal.unit or "",
            "target": target, "reason": form.value("reason")}])
    except FormRefused as refused:
        return await _refused(request, who, refused, form, f"void/{form.value('target') if form else ''}")
    return RedirectResponse(f"/todo?done={quote(request_id)}#requests", status_code=303)


@router.post("/todo/indicator", response_class=HTMLResponse)
async def indicator_evidence(request: Request, who: Unit) -> Response:
    """The evidence carrier a common indicator's sub-indicator asks for: an entry per file."""
    form: Form | None = None
    try:
        form = await read_form(request, who, max_files=MAX_FILES, file_parts=FILE_PARTS)
        code, indicator, sub = who.principal.unit or "", form.value("indicator"), form.value("sub")
        files = form.files_of("files") + form.files_of("photos")
        if not files:
            raise FormRefused("files", "请选择要提交的佐证文件。")
        commands = [{"id": form.command_id("carrier", code, sub or indicator, str(i)),
                     "type": "evidence.submitted", "unit": code,
                     "evidence": f"{sub or indicator}.{form.nonce}.{i}", "indicator": indicator,
                     **({"sub": sub} if sub else {}), "title": stored.name[:200] or f"佐证{i}",
                     "sha256": stored.sha256} for i, stored in enumerate(files, start=1)]
        await run_in_threadpool(record, request, who, commands)
    except FormRefused as refused:
        return await _refused(request, who, refused, form, f"indicator/{form.value('sub') if form else ''}")
    return RedirectResponse(f"/todo?done={quote(sub or indicator)}#carriers", status_code=303)


__all__ = ["router", "todo_page"]
