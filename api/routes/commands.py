"""`POST /v1/commands`: an array of commands, all or nothing, appended through the group committer."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from starlette.concurrency import run_in_threadpool

from kaoping.domain import errors as e
from kaoping.ledger.group_commit import PendingBatch
from kaoping.ledger.writer import BatchRejected

from ..deps import CommitterDep, LedgerDep, bearer_token

router = APIRouter(tags=["commands"])


@router.post("/v1/commands", status_code=201,
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Command"}}}}}},
             responses={409: {"description": "an id already recorded with other content"},
                        422: {"description": "a rejected command; nothing of the batch appended"},
                        403: {"description": "the token's role may not record a command"}})
async def post_commands(request: Request, ledger: LedgerDep, committer: CommitterDep,
                        authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    """Append an array of commands, all or nothing; the entries' actor is the token's actor."""
    token = bearer_token(authorization)
    body = await request.body()
    try:
        items = json.loads(body, parse_float=Decimal)
        if not isinstance(items, list):
            raise ValueError("expected a JSON array of commands")
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        if await run_in_threadpool(ledger.principal_for, token) is None:  # who asks comes first
            raise e.NotAuthenticated("unknown or revoked token") from None
        message = str(error) if type(error) is ValueError else f"not valid JSON: {error}"
        raise BatchRejected(0, None, e.InvalidCommand(message, field="body")) from None
    # Concurrent requests are committed together, each keeping its own all-or-nothing result,
    # and the token is checked in the group too: one look at the tokens for many requests.
    # The read model catches up when it is read (GET /v1/standings), not on every write.
    result = await asyncio.wrap_future(committer.submit(PendingBatch(items, token=token)))
    return {"results": [r.as_json() for r in result.results], "checkpoint": result.checkpoint}
