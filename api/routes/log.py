"""The log that outsiders can check, over HTTP: `GET /v1/checkpoint` (the latest signed checkpoint
with its registered witnesses' cosignatures, as text), inclusion and consistency proofs, the
registered witnesses (`GET /v1/witnesses`) and their `POST /v1/checkpoint/cosignatures`. Every read
role may fetch checkpoints and proofs; a unit token only proofs of entries of its own history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from kaoping.domain import policy
from kaoping.domain.names import unit_of
from kaoping.domain.principals import Principal

from ..deps import LedgerDep, Permit

router = APIRouter(tags=["log"])

#: no ledger holds more entries than this; larger numbers are refused before any database sees them
MAX = 10 ** 15
Position = Annotated[int, Query(ge=1, le=MAX)]

NOTE_TEXT = {200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                   "description": "a C2SP signed note"}}


@router.get("/v1/checkpoint", response_class=PlainTextResponse, responses=NOTE_TEXT)
def checkpoint(ledger: LedgerDep, caller: Annotated[Principal, Permit("checkpoint")]) -> PlainTextResponse:
    """The latest checkpoint note, with every cosignature witnesses sent for its size."""
    return PlainTextResponse(ledger.checkpoint_note(), media_type="text/plain; charset=utf-8")


@router.get("/v1/proofs/inclusion")
def inclusion(ledger: LedgerDep, caller: Annotated[Principal, Permit("proof.inclusion")], seq: Position,
              size: Annotated[int | None, Query(ge=1, le=MAX)] = None) -> dict[str, Any]:
    """The RFC 9162 inclusion proof of entry `seq` in the stored checkpoint of `size` (default: the
    latest)."""
    stream = ledger.unit_of_seq(seq)
    if stream is not None:  # the entry's unit (none for a registry or token entry)
        policy.require(caller, "proof.inclusion", unit_of(stream) or "-")
    return ledger.prove(seq, size)


@router.get("/v1/proofs/consistency")
def consistency(ledger: LedgerDep, caller: Annotated[Principal, Permit("proof.consistency")],
                from_: Annotated[int, Query(alias="from", ge=1, le=MAX)],
                to: Annotated[int | None, Query(ge=1, le=MAX)] = None) -> dict[str, Any]:
    """The RFC 9162 consistency proof from the tree of size `from` to the checkpoint of size `to`
    (default: the latest)."""
    return ledger.consistency(from_, to)


@router.get("/v1/witnesses")
def witnesses(ledger: LedgerDep, caller: Annotated[Principal, Permit("witnesses")]) -> list[dict[str, Any]]:
    """The witnesses the office registered (`kaoping witness add`): name, cosigner vkey, when, and
    the largest checkpoint size each has validly cosigned (null before its first)."""
    return ledger.registered_witnesses()


class Cosignature(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, Field(max_length=20_000, description="the checkpoint note with the "
                                                             "witness's cosignature line")]
    vkey: Annotated[str | None, Field(max_length=500, description="the witness's cosigner vkey (type "
                                                                 "0x04): names the witness; its "
                                                                 "registered key is what verifies")] = None


@router.post("/v1/checkpoint/cosignatures", status_code=201)
def cosign(ledger: LedgerDep, caller: Annotated[Principal, Permit("cosignature.send")],
           body: Annotated[Cosignature, Body()]) -> dict[str, Any]:
    """A registered witness's cosignature of a stored checkpoint (C2SP tlog-cosignature), verified
    under the key the office registered for it, kept and shown with the checkpoint (422 naming the
    witness otherwise). Auditors and the office may send them."""
    return ledger.cosign(body.note, body.vkey)
