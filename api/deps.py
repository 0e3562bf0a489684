"""The HTTP dependencies: the services of the app, the caller behind a bearer token, and the rule
of which units a caller may read."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Header, Query, Request

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


_DAY = r"(19|20)[0-9][0-9]-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(19|20)[0-9][0-9]-(0[469]|11)-(0[1-9]|[12][0-9]|30)" \
       r"|(19|20)[0-9][0-9]-02-(0[1-9]|1[0-9]|2[0-8])" \
       r"|(19(0[48]|[2468][048]|[13579][26])|20([02468][048]|[13579][26]))-02-29"
#: an as-of time as a query writes it: a date (the end of that day in the office's zone) or an ISO
#: 8601 time, with its offset or read in the office's zone; years 1900–2099, days that exist. The
#: pattern is checked before any reader runs and is the OpenAPI description's, so that what the
#: description allows is exactly what is answered.
AS_OF_PATTERN = (rf"^({_DAY})$|^({_DAY})T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{{1,6}})?)?"
                 r"(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])?$")
AsOf = Annotated[str | None, Query(pattern=AS_OF_PATTERN, max_length=40, examples=["2018-07-31"],
                                   description="a date YYYY-MM-DD (the end of that day) or an ISO 8601 "
                                               "time such as 2018-07-31T18:00:00+08:00")]
Stage = Annotated[Literal["process", "half_year", "annual"], Query()]
Group = Annotated[Literal["departments", "towns_zones"] | None, Query()]
DisputeStatus = Annotated[Literal["open", "resolved", "all"], Query()]


def readable_unit(code: str, caller: Principal) -> str:
    code = code.upper()
    if not caller.may_read_unit(code):
        raise e.Forbidden("unit.own_only", field="unit", unit=caller.unit)
    return code


__all__ = ["AS_OF_PATTERN", "AsOf", "Caller", "CommitterDep", "DisputeStatus", "Group", "LedgerDep",
           "ProjectionDep", "Stage", "TOKEN", "bearer_token", "principal", "readable_unit"]
