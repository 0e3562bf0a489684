"""The HTTP dependencies: the services of the app, the caller behind a bearer token, and what a
route does (`Permit`), checked against the one policy table (`domain.policy`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Query, Request

from kaoping.domain import errors as e
from kaoping.domain import policy
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


def calendar_caller(ledger: LedgerDep, authorization: Annotated[str | None, Header()] = None,
                    token: Annotated[str | None, Query(max_length=200, include_in_schema=False)] = None) -> Principal:
    """The caller of a calendar: its bearer token, or (calendar applications cannot send a header)
    a `calendar` token in the URL; no other role's token is taken from a URL."""
    if authorization is not None or token is None:
        return principal(ledger, authorization)
    found = ledger.principal_for(token)
    if found is None:
        raise e.NotAuthenticated("auth.unknown", field="token", label=TOKEN)
    if not policy.token_in_url(found):
        raise e.NotAuthenticated("calendar.token_in_url", field="token")
    return found


def Permit(action: str, *about: str) -> Any:  # noqa: N802 - used as a type annotation's marker
    """A route's declaration of what it does (`domain.policy.ACTIONS`): the caller behind the bearer
    token, refused unless the policy table lets it. `about` names the path or query parameters that
    carry the unit codes the request concerns (the table limits a unit token to its own)."""

    return _permit(action, about, principal)


def _permit(action: str, about: tuple[str, ...], who: Any) -> Any:
    # the dependency as a default, not in the annotation: annotations are strings here, read in the
    # module's namespace, where `who` is not
    def permitted(request: Request, caller: Principal = Depends(who)) -> Principal:  # noqa: B008
        policy.require(caller, action, *(request.path_params.get(name) or request.query_params.get(name)
                                         for name in about))
        return caller

    permitted.action = action  # type: ignore[attr-defined] - read by the test that walks the routes
    return Depends(permitted)


def PermitCalendar(action: str, *about: str) -> Any:  # noqa: N802 - as Permit
    """`Permit` for a calendar: the caller may give a calendar token in the URL (`calendar_caller`)."""
    return _permit(action, about, calendar_caller)


__all__ = ["AS_OF_PATTERN", "AsOf", "Caller", "CommitterDep", "DisputeStatus", "Group", "LedgerDep",
           "Permit", "PermitCalendar", "ProjectionDep", "Stage", "TOKEN", "bearer_token", "principal"]
