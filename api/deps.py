"""The HTTP dependencies: the services of the app, the caller behind a bearer token, and the rule
of which units a caller may read."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from kaoping.domain import errors as e
from kaoping.domain.principals import Principal
from kaoping.ledger.application import Ledger
from kaoping.ledger.group_commit import GroupCommitter
from kaoping.projections.scores import ScoresProjection


# Coroutines: FastAPI runs them on the event loop, with no thread-pool round trip. `principal` reads
# the database, so it runs in the thread pool; appends check their token in the group-commit writer
# instead (POST /v1/commands), once for many requests.
async def the_ledger(request: Request) -> Ledger:
    return request.app.state.services.ledger  # type: ignore[no-any-return]


async def the_projection(request: Request) -> ScoresProjection:
    return request.app.state.services.projection  # type: ignore[no-any-return]


async def the_committer(request: Request) -> GroupCommitter:
    return request.app.state.services.committer  # type: ignore[no-any-return]


LedgerDep = Annotated[Ledger, Depends(the_ledger)]
ProjectionDep = Annotated[ScoresProjection, Depends(the_projection)]
CommitterDep = Annotated[GroupCommitter, Depends(the_committer)]


#: how a refusal names the Authorization header
TOKEN = "令牌（Authorization）"


def bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise e.NotAuthenticated("auth.missing", field="authorization", label=TOKEN)
    return token.strip()


def principal(ledger: LedgerDep, authorization: Annotated[str | None, Header()] = None) -> Principal:
    found = ledger.principal_for(bearer_token(authorization))
    if found is None:
        raise e.NotAuthenticated("auth.unknown", field="authorization", label=TOKEN)
    return found


Caller = Annotated[Principal, Depends(principal)]


def readable_unit(code: str, caller: Principal) -> str:
    code = code.upper()
    if not caller.may_read_unit(code):
        raise e.Forbidden("unit.own_only", field="unit", unit=caller.unit)
    return code


__all__ = ["Caller", "CommitterDep", "LedgerDep", "ProjectionDep", "bearer_token", "principal",
           "readable_unit"]
