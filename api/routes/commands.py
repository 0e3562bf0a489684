"""`POST /v1/commands`: an array of commands, all or nothing, appended through the group committer.

Who asks comes first: the token is checked before a byte of the body is read, so a caller without
a valid token costs no memory. The body is then read up to `max_body_bytes` (reading stops at the
limit: 413) and parsed; a batch of more than `max_batch_commands` commands is refused (413)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from kaoping.domain import errors as e
from kaoping.domain.principals import Principal
from kaoping.ledger.group_commit import PendingBatch
from kaoping.ledger.writer import BatchRejected

from ..deps import CommitterDep, LedgerDep, Permit, bearer_token
from ..errors import PayloadTooLarge

router = APIRouter(tags=["commands"])


async def bounded_body(request: Request, limit: int) -> bytes:
    """The body, read chunk by chunk and refused as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge("batch.too_large", field="body", limit=limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge("batch.too_large", field="body", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


def parsed_batch(body: bytes, limit: int) -> list[Any]:
    try:
        items = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else type(error).__name__
        raise BatchRejected(0, None, e.InvalidCommand("batch.not_json", field="body", reason=reason)) from None
    if not isinstance(items, list):
        raise BatchRejected(0, None, e.InvalidCommand("batch.not_array", field="body"))
    if len(items) > limit:
        raise PayloadTooLarge("batch.too_many", field="body", limit=limit, count=len(items))
    return items


@router.post("/v1/commands", status_code=201,
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Command"}}}}}},
             responses={409: {"description": "an id already recorded with other content"},
                        422: {"description": "a rejected command; nothing of the batch appended"},
                        403: {"description": "the token's role may not record a command"},
                        413: {"description": "the body or the batch is over its limit"}})
async def post_commands(request: Request, ledger: LedgerDep, committer: CommitterDep,
                        caller: Annotated[Principal, Permit("commands")],
                        authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    """Append an array of commands, all or nothing; the entries' actor is the token's actor."""
    token = bearer_token(authorization)
    settings = ledger.settings
    items = parsed_batch(await bounded_body(request, settings.max_body_bytes), settings.max_batch_commands)
    # Concurrent requests are committed together, each keeping its own all-or-nothing result, and
    # the token is looked at again in the group (one look for many requests): it may have been
    # revoked meanwhile. The read model catches up when it is read (GET /v1/standings).
    result = await asyncio.wrap_future(committer.submit(PendingBatch(items, token=token)))
    return {"results": [r.as_json() for r in result.results], "checkpoint": result.checkpoint}
