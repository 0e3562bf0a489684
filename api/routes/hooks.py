"""推送 over HTTP (docs/commands.md §10.6), office tokens only: `GET|POST /v1/hooks`, `DELETE
/v1/hooks/{id}`, and the deliveries (`GET /v1/hook-deliveries?failed=`, `POST
/v1/hook-deliveries/{id}/retry`). A hook's secret is taken, never shown."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from kaoping.domain.principals import Principal
from kaoping.projections.outbox import Outbox

from ..deps import Permit

router = APIRouter(tags=["hooks"])


async def the_outbox(request: Request) -> Outbox:
    return request.app.state.services.outbox  # type: ignore[no-any-return]


OutboxDep = Annotated[Outbox, Depends(the_outbox)]
Office = Annotated[Principal, Permit("hooks")]


class NewHook(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[str, Field(max_length=2000, description="the receiver: an http(s) URL")]
    format: Annotated[str, Field(max_length=20, description="generic, dingtalk or wecom")] = "generic"
    secret: Annotated[str | None, Field(max_length=200, description="HMAC key (generic) or the robot's "
                                                                    "加签 secret (dingtalk); never shown")] = None
    events: Annotated[list[Annotated[str, Field(max_length=20)]] | None,
                      Field(max_length=4, description="any of entry, dispute, publication, reminder "
                                                      "(default: all)")] = None
    units: Annotated[list[Annotated[str, Field(max_length=64)]],
                     Field(max_length=100, description="only these units' entries and reminders")] = []


@router.get("/v1/hooks")
def hooks(outbox: OutboxDep, caller: Office) -> list[dict[str, Any]]:
    """The registered hooks (the secret only as whether there is one)."""
    return [hook.shown() for hook in outbox.hooks()]


@router.post("/v1/hooks", status_code=201)
def add_hook(outbox: OutboxDep, caller: Office, body: Annotated[NewHook, Body()]) -> dict[str, Any]:
    """Register a receiver; it is owed what is appended from now on. A URL that is not http(s), an
    unknown format or event is refused naming the field."""
    return outbox.add(url=body.url, format=body.format, events=body.events, secret=body.secret,
                      units=body.units).shown()


@router.get("/v1/hook-deliveries")
def deliveries(outbox: OutboxDep, caller: Office, failed: Annotated[bool, Query()] = False,
               hook: Annotated[str | None, Query(max_length=64)] = None) -> list[dict[str, Any]]:
    """The latest deliveries (200), newest first; `failed=true`: those that gave up."""
    return [d.shown() for d in outbox.deliveries(failed=failed, hook=hook)]


@router.post("/v1/hook-deliveries/{delivery}/retry")
def retry(delivery: str, outbox: OutboxDep, caller: Office) -> dict[str, Any]:
    """Send a delivery again, with the same id."""
    return outbox.retry(delivery).shown()


@router.delete("/v1/hooks/{hook_id}")
def remove(hook_id: str, outbox: OutboxDep, caller: Office) -> dict[str, Any]:
    """Stop a hook: nothing more is owed to it, its pending deliveries are not sent."""
    return {**outbox.remove(hook_id).shown(), "removed": True}
