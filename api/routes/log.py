"""The log that outsiders can check, over HTTP: `GET /v1/checkpoint` (the latest signed checkpoint
with its witnesses' cosignatures, as text), inclusion and consistency proofs, and the witnesses'
`POST /v1/checkpoint/cosignatures`. Every read role may fetch checkpoints and proofs; a unit token
only proofs of entries of its own history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from kaoping.domain import errors as e
from kaoping.domain.names import unit_of

from ..deps import Caller, LedgerDep

router = APIRouter(tags=["log"])

#: no ledger holds more entries than this; larger numbers are refused before any database sees them
MAX = 10 ** 15
Position = Annotated[int, Query(ge=1, le=MAX)]

NOTE_TEXT = {200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                   "description": "a C2SP signed note"}}


@router.get("/v1/checkpoint", response_class=PlainTextResponse, responses=NOTE_TEXT)
def checkpoint(ledger: LedgerDep, caller: Caller) -> PlainTextResponse:
    """The latest checkpoint note, with every cosignature witnesses sent for its size."""
    notary = ledger.notary
    return PlainTextResponse(notary.note(notary.at(None)), media_type="text/plain; charset=utf-8")


@router.get("/v1/proofs/inclusion")
def inclusion(ledger: LedgerDep, caller: Caller, seq: Position,
              size: Annotated[int | None, Query(ge=1, le=MAX)] = None) -> dict[str, Any]:
    """The RFC 9162 inclusion proof of entry `seq` in the stored checkpoint of `size` (default: the
    latest)."""
    if caller.role == "unit":
        stream = ledger.index.stream_of_seq(seq)
        if stream is not None and unit_of(stream) != caller.unit:
            raise e.Forbidden("proof.unit_own_only", field="seq", unit=caller.unit)
    return ledger.notary.inclusion(seq, size)


@router.get("/v1/proofs/consistency")
def consistency(ledger: LedgerDep, caller: Caller,
                from_: Annotated[int, Query(alias="from", ge=1, le=MAX)],
                to: Annotated[int | None, Query(ge=1, le=MAX)] = None) -> dict[str, Any]:
    """The RFC 9162 consistency proof from the tree of size `from` to the checkpoint of size `to`
    (default: the latest)."""
    return ledger.notary.consistency(from_, to)


class Cosignature(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, Field(max_length=20_000, description="the checkpoint note with the "
                                                             "witness's cosignature line")]
    vkey: Annotated[str, Field(max_length=500, description="the witness's cosigner vkey "
                                                          "(type 0x04)")]


@router.post("/v1/checkpoint/cosignatures", status_code=201)
def cosign(ledger: LedgerDep, caller: Caller, body: Annotated[Cosignature, Body()]) -> dict[str, Any]:
    """A witness's cosignature of a stored checkpoint (C2SP tlog-cosignature), kept and shown with
    the checkpoint. Auditors and the office may send them."""
    if caller.role not in ("auditor", "office"):
        raise e.Forbidden("cosignature.role", field="role")
    return ledger.notary.cosign(body.note, body.vkey, ledger.clock())
