"""Spreadsheets in over HTTP (docs/commands.md §10.3): `GET /v1/templates/{kind}.xlsx?group=` (the
template, the token's units and indicators filled in) and `POST /v1/imports?kind=&dry_run=`
(multipart, one part named `file`): every error at once, or the whole sheet appended as one batch
through the group committer.

The body is read as the file uploads are (`api.uploads`: counted, over `KAOPING_MAX_FILE_BYTES` →
413, sniffed: a script or a web page → 415), so the sheet is in the file store when it is read; a
file is not an entry, and a refused import appends nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from kaoping.domain import errors as e
from kaoping.domain.principals import Principal
from kaoping.domain import policy
from kaoping.domain.sheets_in import KIND_NAMES, KINDS
from kaoping.ledger.group_commit import GroupCommitter, PendingBatch
from kaoping.ledger.writer import BatchResult

from ..deps import CommitterDep, LedgerDep, Permit, ProjectionDep
from ..imports import run_import
from ..sheets import XLSX
from ..templates import template_book, template_name
from .files import uploader_of
from ..uploads import read_multipart

router = APIRouter(tags=["imports"])
KIND = "^(" + "|".join(KINDS) + ")$"

ANSWER = {"type": "object", "required": ["kind", "file_sha256", "rows", "commands", "applied", "errors", "moves",
                                          "results"],
           "properties": {"kind": {"type": "string"}, "file_sha256": {"type": "string"},
                          "rows": {"type": "integer"}, "commands": {"type": "integer"},
                          "applied": {"type": "boolean"}, "errors": {"type": "array"}, "moves": {"type": "array"},
                          "results": {"type": "array"}}}


def submitter(committer: GroupCommitter) -> Any:
    def submit(commands: Sequence[dict[str, Any]], who: Principal) -> BatchResult:
        return committer.append(PendingBatch(list(commands), who.actor, who))
    return submit


@router.get("/v1/templates/{kind}.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
                             "description": "the template"}})
def get_template(ledger: LedgerDep, caller: Annotated[Principal, Permit("template")],
                 kind: Annotated[str, Path(pattern=KIND)],
                 group: Annotated[str | None, Query(pattern="^(departments|towns_zones)$")] = None) -> Response:
    """The import template of `kind`: Chinese headers `中文名（field）`, the units filled in, drop-down lists."""
    from urllib.parse import quote

    body = template_book(kind, ledger.import_known(caller), caller, group)
    name, ascii_name = template_name(kind)
    return Response(body, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{ascii_name}.xlsx"; '
                               f"filename*=UTF-8''{quote(name + '.xlsx', safe='')}"})


@router.post("/v1/imports",
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {
                 "schema": {"type": "object", "required": ["file"],
                            "properties": {"file": {"type": "string", "format": "binary"}}}}}}},
             responses={200: {"description": "a dry run, or a sheet recorded before (nothing appended)",
                              "content": {"application/json": {"schema": ANSWER}}},
                        201: {"description": "the sheet's commands, appended as one batch",
                              "content": {"application/json": {"schema": ANSWER}}},
                        422: {"description": "every error of the sheet, by sheet, row and column (the answer), or "
                                             "a refusal of the request itself (`detail`: not a spreadsheet, an "
                                             "unknown kind); nothing appended",
                              "content": {"application/json": {"schema": {"anyOf": [
                                  ANSWER, {"type": "object", "required": ["detail"],
                                            "properties": {"detail": {"type": "object"}}}]}}}},
                        413: {"description": "the file is over KAOPING_MAX_FILE_BYTES"},
                        415: {"description": "not a kind of file the ledger accepts"}})
async def post_import(request: Request, ledger: LedgerDep, committer: CommitterDep, projection: ProjectionDep,
                      caller: Annotated[Principal, Permit("import")],
                      kind: Annotated[str, Query(pattern=KIND)],
                      dry_run: Annotated[bool, Query()] = False) -> Any:
    """Import a sheet (xlsx, or CSV in UTF-8 or GB18030): all or nothing, every error listed."""
    policy.require_import(caller, kind, KIND_NAMES[kind])  # before a byte of the body is stored
    received = await read_multipart(request, ledger, uploader_of(caller), max_files=1)
    named = [item for item in received.files if item[0] == "file"]
    if not named:
        raise e.InvalidCommand("file.part_missing", field="file")
    _, stored, _ = named[0]

    def work() -> dict[str, Any]:
        data = b"".join(ledger.file_bytes(stored.sha256))
        plan = run_import(ledger, submitter(committer), kind, data, stored.name, caller, dry_run=dry_run)
        return plan.as_json()

    answer = await run_in_threadpool(work)
    answer.pop("preview", None)
    status = 201 if answer["applied"] and any(not r["duplicate"] for r in answer["results"]) else 200
    if answer["errors"]:
        status = 422
    return JSONResponse(answer, status_code=status)


__all__ = ["router"]
