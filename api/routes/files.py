"""Evidence files over HTTP (docs/commands.md §10.1): `POST /v1/files` stores one file (multipart,
a part named `file`), `GET /v1/files/{sha256}` gives its bytes back with the headers that keep a
browser from running them.

The token is checked before a byte of the body is read (`Permit`); the body is then read as it
arrives (`api.uploads`): over `KAOPING_MAX_FILE_BYTES` → 413, a kind of file not accepted → 415,
nothing stored of either. Who reads a file is `policy.may_read_file`; anyone else is answered 404
exactly as for a hash nobody stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from kaoping.domain import errors as e
from kaoping.domain import policy
from kaoping.domain.principals import Principal
from kaoping.ledger.application import Ledger
from kaoping.ledger.files import StoredFile, Uploader
from kaoping.ledger.sniffing import inline

from ..deps import LedgerDep, Permit
from ..uploads import read_multipart

router = APIRouter(tags=["files"])

SHA256 = r"^[0-9a-fA-F]{64}$"
_UPLOADED = {"type": "object", "required": ["sha256", "size", "media_type", "name", "duplicate"],
             "properties": {"sha256": {"type": "string"}, "size": {"type": "integer"},
                            "media_type": {"type": "string"}, "name": {"type": "string"},
                            "duplicate": {"type": "boolean"}}}


def uploader_of(principal: Principal) -> Uploader:
    return Uploader(principal.actor, policy.bound_unit(principal) or "")


@router.post("/v1/files", status_code=201,
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {
                 "schema": {"type": "object", "required": ["file"],
                            "properties": {"file": {"type": "string", "format": "binary"}}}}}}},
             responses={200: {"description": "these bytes were stored already",
                              "content": {"application/json": {"schema": _UPLOADED}}},
                        201: {"description": "the file, stored",
                              "content": {"application/json": {"schema": _UPLOADED}}},
                        413: {"description": "the file is over KAOPING_MAX_FILE_BYTES"},
                        415: {"description": "not a kind of file the ledger accepts"}})
async def upload_file(request: Request, ledger: LedgerDep,
                      caller: Annotated[Principal, Permit("file.upload")]) -> Any:
    """Store one evidence file (a multipart part named `file`); its type is told from its bytes."""
    received = await read_multipart(request, ledger, uploader_of(caller), max_files=1)
    named = [item for item in received.files if item[0] == "file"]
    if not named:
        raise e.InvalidCommand("file.part_missing", field="file")
    _, stored, duplicate = named[0]
    return JSONResponse(stored.as_json(duplicate), status_code=200 if duplicate else 201)


def file_response(request: Request, ledger: Ledger, stored: StoredFile) -> Response:
    """The stored bytes with the contract's headers: the sniffed type, its ETag, no sniffing, a
    sandbox, inline for PDF and images (else a download under its name)."""
    etag = f'"{stored.sha256}"'
    disposition = "inline" if inline(stored.media_type) else "attachment"
    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in stored.name)
    headers = {"ETag": etag, "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox",
               "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; "
                                      f"filename*=UTF-8''{quote(stored.name, safe='')}",
               "Cache-Control": "private, max-age=31536000, immutable"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    headers["Content-Length"] = str(stored.size)

    def pieces() -> Iterator[bytes]:
        yield from ledger.file_bytes(stored.sha256)

    return StreamingResponse(pieces(), media_type=stored.media_type, headers=headers)


@router.get("/v1/files/{sha256}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                 "format": "binary"}}},
                             "description": "the stored bytes, with the type sniffed when stored"}})
def get_file(request: Request, ledger: LedgerDep, caller: Annotated[Principal, Permit("file.read")],
             sha256: Annotated[str, Path(pattern=SHA256)]) -> Response:
    """A stored file's bytes, to those who may read it; 404 to anyone else, as for a hash nobody
    stored."""
    stored = ledger.readable_file(sha256.lower(), caller)
    if stored is None:
        raise e.NotFound("file.not_found", field="sha256", sha256=sha256.lower())
    return file_response(request, ledger, stored)
