"""The HTTP interface of CONTRACT.md: FastAPI over the same ledger and the same JSON as the CLI."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool

from kaoping.domain import commands as c
from kaoping.domain import errors as e
from kaoping.domain.roles import Principal
from kaoping.ledger.application import BatchRejected, ConcurrentWriteConflict, Ledger, PendingBatch
from kaoping.ledger.group_commit import GroupCommitter
from kaoping.ledger.settings import Settings
from kaoping.projections.scores import ScoresProjection

from .composition import build_ledger

#: the one place where domain errors become status codes
STATUS = {
    e.InvalidCommand: 422,
    e.RuleViolation: 422,
    e.UnknownReference: 422,
    e.IdConflict: 409,
    ConcurrentWriteConflict: 409,
    e.Forbidden: 403,
    e.LedgerNotInitialised: 503,
}


def status_of(error: e.KaopingError) -> int:
    return next((code for cls, code in STATUS.items() if isinstance(error, cls)), 422)


# `the_ledger` is a coroutine: FastAPI runs it on the event loop, with no thread-pool round trip.
# `principal` reads the database, so it runs in the thread pool; appends check their token in the
# group-commit writer instead (POST /v1/commands), once for many requests.
async def the_ledger(request: Request) -> Ledger:
    return request.app.state.ledger  # type: ignore[no-any-return]


LedgerDep = Annotated[Ledger, Depends(the_ledger)]


def bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise e.NotAuthenticated("missing bearer token")
    return token.strip()


def principal(ledger: LedgerDep,
              authorization: Annotated[str | None, Header()] = None) -> Principal:
    found = ledger.principal_for(bearer_token(authorization))
    if found is None:
        raise e.NotAuthenticated("unknown or revoked token")
    return found


Caller = Annotated[Principal, Depends(principal)]


def readable_unit(code: str, caller: Principal) -> str:
    code = code.upper()
    if not caller.may_read_unit(code):
        raise e.Forbidden(f"a unit token reads its own unit ({caller.unit}) only", field="unit")
    return code


def create_app(settings: Settings | None = None, ledger: Ledger | None = None) -> FastAPI:
    """The app; the ledger is built in the lifespan (or given, for tests), never at import."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = ledger is None
        app.state.ledger = ledger if ledger is not None else build_ledger(settings or Settings())
        app.state.projection = ScoresProjection(app.state.ledger)
        app.state.committer = GroupCommitter(app.state.ledger)
        try:
            yield
        finally:
            app.state.committer.close()
            if own:
                app.state.ledger.close()

    app = FastAPI(title="Kaoping (考评) ledger", version="0.1.0", lifespan=lifespan,
                  description="An event-sourced audit ledger for government performance evaluation. "
                              "Every request but /healthz needs `Authorization: Bearer TOKEN`.")

    @app.exception_handler(BatchRejected)
    def _rejected(_: Request, rejected: BatchRejected) -> JSONResponse:
        return JSONResponse({"detail": rejected.detail()}, status_code=status_of(rejected.error))

    @app.exception_handler(e.KaopingError)
    def _domain_error(_: Request, error: e.KaopingError) -> JSONResponse:
        if isinstance(error, e.NotAuthenticated):
            return JSONResponse({"detail": error.message}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        status = 404 if isinstance(error, e.UnknownReference) and error.field == "unit" else \
            status_of(error)
        return JSONResponse({"detail": {"field": error.field, "message": error.message}},
                            status_code=status)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/commands", status_code=201, tags=["commands"],
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Command"}}}}}},
              responses={409: {"description": "an id already recorded with other content"},
                         422: {"description": "a rejected command; nothing of the batch appended"},
                         403: {"description": "the token's role may not record a command"}})
    async def post_commands(request: Request, ledger: LedgerDep,
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
        committer: GroupCommitter = request.app.state.committer
        result = await asyncio.wrap_future(committer.submit(PendingBatch(items, token=token)))
        return {"results": [r.as_json() for r in result.results]}

    @app.get("/v1/units", tags=["reading"])
    def units(ledger: LedgerDep, caller: Caller) -> list[dict[str, str]]:
        return [{"code": u.code, "name": u.name, "name_en": u.name_en, "category": u.category,
                 "group": u.group} for u in ledger.registry().units.values()]

    @app.get("/v1/units/{code}/history", tags=["reading"])
    def history(code: str, ledger: LedgerDep, caller: Caller) -> list[dict[str, Any]]:
        return ledger.history(readable_unit(code, caller))

    @app.get("/v1/units/{code}/score", tags=["reading"])
    def unit_score(code: str, ledger: LedgerDep, caller: Caller, as_of: str | None = None,
                   upto: Annotated[int | None, Query(ge=0)] = None) -> dict[str, Any]:
        return ledger.score(readable_unit(code, caller), as_of=as_of, upto=upto)

    @app.get("/v1/units/{code}/replay", tags=["reading"])
    def unit_replay(code: str, ledger: LedgerDep, caller: Caller) -> list[dict[str, Any]]:
        return ledger.replay(readable_unit(code, caller))

    @app.get("/v1/standings", tags=["reading"])
    def standings(request: Request, ledger: LedgerDep, caller: Caller, group: str | None = None,
                  stage: str = "annual", as_of: str | None = None) -> list[dict[str, Any]]:
        if as_of is not None:
            return ledger.standings_from_log(group=group, stage=stage, as_of=as_of)
        projection: ScoresProjection = request.app.state.projection
        projection.catch_up()
        return projection.standings(group=group, stage=stage)

    @app.get("/v1/verify", tags=["reading"])
    def verify(ledger: LedgerDep, caller: Caller) -> dict[str, Any]:
        if not caller.may_verify:
            raise e.Forbidden("a unit token may not verify the whole ledger", field="role")
        return ledger.verify()

    from .exports import router as exports_router  # here: exports imports this module
    app.include_router(exports_router)
    _document_commands(app)
    from .web import mount as mount_web_pages

    mount_web_pages(app)
    return app


def _document_commands(app: FastAPI) -> None:
    """Put every command model in the OpenAPI components, as a union discriminated on `type`."""
    schema = TypeAdapter(c.AnyCommand).json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = get_openapi(title=app.title, version=app.version, description=app.description,
                               routes=app.routes)
        components = document.setdefault("components", {}).setdefault("schemas", {})
        components.update(definitions)
        components["Command"] = schema
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]

