"""The upload page for sheets (docs/commands.md §10.3): `/imports/new` takes a sheet (the office
every kind, an assessment body its common scores, a rater its ballot), and its first step is a
preview — every error listed and highlighted on its cell in a rendering of the sheet, the commands
the rows become, the figures they would move (unit, figure, now → after) — with nothing appended;
one click then commits the whole file as one batch through the group committer. `/imports` lists
the sheets imported (hash, name, who, when, the entries they produced), each linking to the file;
the templates are downloaded beside the form.

The upload goes through the form machinery (`forms.read_form`: CSRF before a byte is stored, the
file streamed into the file store); the commit form carries the stored sheet's hash, and the
import is idempotent by content, so a second click appends nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kaoping.api.imports import run_import
from kaoping.api.routes.imports import KIND, submitter
from kaoping.api.sheets import XLSX
from kaoping.api.templates import template_book, template_name
from kaoping.domain import policy
from kaoping.domain.errors import KaopingError
from kaoping.domain.labels import FIGURE_NAMES
from kaoping.domain.cells import column_letter
from kaoping.domain.sheets_in import KIND_NAMES, KINDS, INSTRUCTION_SHEETS

from .forms import FormRefused, read_form
from .render import render
from .visitors import Page, Visitor, services_of

router = APIRouter(include_in_schema=False)

Importer = Annotated[Visitor, Page("import")]
#: the most rows of a sheet the preview shows (the errors' rows always)
SHOWN_ROWS = 200
SHA = re.compile(r"^[0-9a-f]{64}$")


def _kinds(who: Visitor) -> list[tuple[str, str]]:
    mine = policy.IMPORT_KINDS.get(who.principal.role, frozenset())
    return [(kind, KIND_NAMES[kind]) for kind in KINDS if kind in mine]


def new_page(request: Request, who: Visitor, *, status_code: int = 200, errors: dict[str, str] | None = None,
             kind: str = "", done: str = "", appended: int = 0) -> Response:
    return render(request, "import_new.html", who, status_code, kinds=_kinds(who), kind=kind,
                  nonce=secrets.token_hex(6), errors=errors or {}, done=done, appended=appended)


@router.get("/imports/new", response_class=HTMLResponse)
def upload_form(request: Request, who: Importer, kind: str = "", done: str = "", appended: int = 0) -> Response:
    return new_page(request, who, kind=kind if kind in KINDS else "", done=done if SHA.match(done) else "",
                    appended=appended)


@router.get("/imports/templates/{kind}.xlsx")
def page_template(request: Request, who: Annotated[Visitor, Page("template")],
                  kind: Annotated[str, Path(pattern=KIND)]) -> Response:
    from urllib.parse import quote

    ledger = services_of(request).ledger
    body = template_book(kind, ledger.import_known(who.principal), who.principal)
    name, ascii_name = template_name(kind)
    return Response(body, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{ascii_name}.xlsx"; '
                               f"filename*=UTF-8''{quote(name + '.xlsx', safe='')}"})


def _rendering(grids: list[Any], errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each sheet as a table: its rows (the first SHOWN_ROWS, and every row an error is on), each
    cell with the errors on it."""
    on: dict[tuple[str, int, str], list[str]] = {}
    for error in errors:
        if error.get("row") and error.get("column"):
            on.setdefault((error["sheet"], error["row"], error["column"]), []).append(error["message"])
    rows_with_errors = {(e["sheet"], e["row"]) for e in errors if e.get("row")}
    sheets = []
    for grid in grids:
        if grid.name in INSTRUCTION_SHEETS:
            continue
        width = max((len(row) for row in grid.rows), default=0)
        while width and all(len(row) < width or row[width - 1] is None for row in grid.rows):
            width -= 1
        rows = []
        for number, row in enumerate(grid.rows, start=1):
            if number > SHOWN_ROWS and (grid.name, number) not in rows_with_errors:
                continue
            cells = []
            for col in range(1, width + 1):
                value = row[col - 1] if col <= len(row) else None
                letter = column_letter(col)
                cells.append({"text": "" if value is None else str(value), "letter": letter,
                              "errors": on.get((grid.name, number, letter), [])})
            rows.append({"number": number, "cells": cells,
                         "bad": (grid.name, number) in rows_with_errors})
        sheets.append({"name": grid.name, "letters": [column_letter(c) for c in range(1, width + 1)],
                       "rows": rows, "more": max(len(grid.rows) - SHOWN_ROWS, 0)})
    return sheets


def vouched(who: Visitor, sha256: str) -> str:
    """What the commit form carries beside the sheet's hash: proof that this session previewed it
    (an HMAC under the session's secret CSRF token), so that a hash alone commits nothing (a file
    another role uploaded is not this visitor's to import or to see)."""
    return hmac.new(who.session.csrf.encode(), f"import:{sha256}".encode(), hashlib.sha256).hexdigest()


def _preview(request: Request, who: Visitor, kind: str, sha256: str, name: str, status_code: int = 200) -> Response:
    services = services_of(request)
    ledger = services.ledger
    data = b"".join(ledger.file_bytes(sha256))
    try:
        plan = run_import(ledger, submitter(services.committer), kind, data, name, who.principal, dry_run=True)
        grids = ledger.import_grids(data, name)
    except KaopingError as error:
        return new_page(request, who, status_code=422, errors={error.field or "file": error.message}, kind=kind)
    answer = plan.as_json()
    return render(request, "import_preview.html", who, 422 if answer["errors"] else status_code,
                  kind=kind, kind_name=KIND_NAMES[kind], answer=answer, file_name=name, sha256=sha256,
                  sheets=_rendering(grids, answer["errors"]), figure_names=FIGURE_NAMES, proof=vouched(who, sha256),
                  nonce=secrets.token_hex(6), errors={})


@router.post("/imports/new", response_class=HTMLResponse)
async def upload(request: Request, who: Importer) -> Response:
    """The sheet stored and previewed: every error, the commands, the figures they would move."""
    try:
        form = await read_form(request, who, max_files=1, file_parts=frozenset({"file"}))
    except FormRefused as refused:
        return new_page(request, who, status_code=refused.status, errors={refused.field: refused.message})
    kind = form.value("kind")
    files = form.files_of("file")
    if kind not in KINDS:
        return new_page(request, who, status_code=422, errors={"kind": "请选择表格种类。"})
    if not files:
        return new_page(request, who, status_code=422, kind=kind,
                        errors={"file": KaopingError("import.file_missing").message})
    stored = files[0]
    return await run_in_threadpool(_preview, request, who, kind, stored.sha256, stored.name)


@router.post("/imports/commit", response_class=HTMLResponse)
async def commit(request: Request, who: Importer) -> Response:
    """The previewed sheet, committed as one batch (all or nothing; a second click appends nothing)."""
    try:
        form = await read_form(request, who)
    except FormRefused as refused:
        return new_page(request, who, status_code=refused.status, errors={refused.field: refused.message})
    kind, sha256 = form.value("kind"), form.value("sha256").lower()
    services = services_of(request)
    ledger = services.ledger
    previewed = SHA.match(sha256) and hmac.compare_digest(vouched(who, sha256), form.value("proof"))
    stored = ledger.stored_file(sha256) if previewed else None
    if kind not in KINDS or stored is None:
        return new_page(request, who, status_code=422, errors={"file": "要提交的表格不存在：请重新上传。"})

    def work() -> Any:
        data = b"".join(ledger.file_bytes(sha256))
        plan = run_import(ledger, submitter(services.committer), kind, data, stored.name, who.principal,
                          dry_run=False, moves=False)
        if plan.applied:
            services.projection.catch_up()
        return plan

    try:
        plan = await run_in_threadpool(work)
    except KaopingError as error:
        return new_page(request, who, status_code=422, errors={error.field or "file": error.message}, kind=kind)
    if not plan.applied:  # the ledger moved since the preview: show what is wrong now
        return await run_in_threadpool(_preview, request, who, kind, sha256, stored.name, 409)
    answer = plan.as_json()
    landing = "/imports" if policy.may(who.principal, "imports.list") else "/imports/new"
    return RedirectResponse(f"{landing}?done={sha256}&appended={answer['appended']}", status_code=303)


@router.get("/imports", response_class=HTMLResponse)
def imports_list(request: Request, who: Annotated[Visitor, Page("imports.list")], done: str = "",
                 appended: int = 0) -> Response:
    ledger = services_of(request).ledger
    return render(request, "imports.html", who, sheets=ledger.imported_sheets(),
                  done=done if SHA.match(done) else "", appended=appended)


__all__ = ["router"]
