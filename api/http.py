"""The HTTP interface of docs/commands.md §5: FastAPI over the same services and the same JSON as the CLI.

`create_app` builds the services in the app's lifespan (never at import) through the composition
root, includes the routers (`api/routes/`) and the web pages (`api/web/`), and installs the one
error mapping (`api/errors.py`).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline
from pydantic import TypeAdapter

from kaoping.domain import commands as c
from kaoping.ledger.application import Ledger
from kaoping.ledger.settings import Settings

from . import bodies, delivery, errors, limits, outages, redaction, web
from .bootstrap import bootstrap
from .routes import appeals, commands, exports, files, hooks, imports, log, reading, supervision
from .routes.imports import ANSWER as IMPORT_ANSWER

#: the cyclic collector's thresholds in a server: a young collection every 50,000 allocations, not
#: 700 — at scale 20 the background chain check after an append allocates some 300,000 objects,
#: and the collections it set off (each walking every object still young) made page loads
#: beside it take 150-450 ms; reference counting frees nearly everything the requests make
GC_THRESHOLDS = (50_000, 20, 10)


def create_app(settings: Settings | None = None, ledger: Ledger | None = None) -> FastAPI:
    """The app; its services are built in the lifespan from `settings` (or around `ledger`, for
    tests, which then stays open)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        chosen = settings or (ledger.settings if ledger is not None else Settings())
        redaction.install()  # after the server configured its logging: no log line shows a token
        if ledger is None:  # a server process of its own (not a test's app around its ledger)
            gc.set_threshold(*GC_THRESHOLDS)
        app.state.services = bootstrap(chosen, ledger=ledger)
        # the pieces of uploads a killed server left behind (no file row names them)
        app.state.services.ledger.sweep_uploads()
        # 推送: a server that built its own services delivers in its own thread (not an app a test
        # wrapped around its ledger; tests run the worker themselves)
        worker = delivery.start_worker(app.state.services) if ledger is None and chosen.hook_worker else None
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            app.state.services.close()

    # /docs and /redoc from the assets fastapi-offline packages: a county intranet has no CDN
    app = FastAPIOffline(title="Kaoping (考评) ledger", version="0.1.0", lifespan=lifespan,
                         default_response_class=errors.SafeJSONResponse,
                         description="An event-sourced audit ledger for government performance "
                                     "evaluation. Every request but /healthz, /docs and the OpenAPI "
                                     "description needs `Authorization: Bearer TOKEN`.",
                         form_limits=bodies.FORM_LIMITS)
    errors.install(app)
    limits.install(app)
    outages.install(app)
    app.add_middleware(bodies.BodyBounds)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for router in (commands.router, reading.router, appeals.router, log.router, exports.router,
                   supervision.router, files.router, hooks.router,
                   imports.router):
        app.include_router(router)
    _document_commands(app)
    web.mount(app)
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
        _document_refusals(document)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


_TEXT = {"type": "string"}
_REFUSAL_FIELDS = {"field": {"type": ["string", "null"]}, "message": _TEXT, "code": _TEXT, "message_en": _TEXT}
REFUSAL = {"type": "object", "required": ["detail"], "properties": {"detail": {
    "type": "object", "required": list(_REFUSAL_FIELDS), "properties": _REFUSAL_FIELDS}}}
BATCH_REFUSAL = {"type": "object", "required": ["detail"], "properties": {"detail": {
    "type": "object", "required": ["index", "id", *_REFUSAL_FIELDS],
    "properties": {"index": {"type": "integer"}, "id": {"type": ["string", "null"]}, **_REFUSAL_FIELDS}}}}
#: what every operation but /healthz may answer besides its success, in the one refusal shape
REFUSALS = {401: "no token, or one unknown or revoked", 403: "the token's role may not do this",
            404: "what the path or a parameter names does not exist",
            422: "a parameter or the body is refused; `message` says why in Chinese",
            503: "the ledger is not initialised (kaoping init), a read passed its time bound, or the "
                 "database cannot be read or written just now (a full disk, a lost connection: "
                 "Retry-After; send the same ids again)"}


def _not_null(parameter: dict[str, Any]) -> None:
    """A parameter is present or absent: `null` is not a value a query or header can carry."""
    schema = parameter.get("schema", {})
    choices = [choice for choice in schema.get("anyOf", []) if choice != {"type": "null"}]
    if "anyOf" in schema and len(choices) == 1:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        parameter["schema"] = {**choices[0], **rest}


def _document_refusals(document: dict[str, Any]) -> None:
    """Every operation documents its refusals (status, JSON shape) and the bearer token it needs;
    FastAPI's own validation-error schema is replaced by the refusal shape every error has."""
    components = document["components"]
    schemas = components["schemas"]
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["Refusal"], schemas["BatchRefusal"] = REFUSAL, BATCH_REFUSAL
    schemas["ImportRefusal"] = {"anyOf": [{"$ref": "#/components/schemas/Refusal"}, IMPORT_ANSWER]}
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path == "/healthz":
                operation["security"] = []
                continue
            operation["security"] = [{"bearer": []}]
            # the token is the security scheme's, not a parameter (OpenAPI ignores an Authorization
            # header parameter anyway)
            operation["parameters"] = [parameter for parameter in operation.get("parameters", [])
                                       if not (parameter["in"] == "header"
                                               and parameter["name"].lower() == "authorization")]
            for parameter in operation["parameters"]:
                _not_null(parameter)
            if not operation["parameters"]:
                del operation["parameters"]
            responses = operation.setdefault("responses", {})
            statuses = dict(REFUSALS)
            if path == "/v1/commands" and method == "post":
                statuses |= {409: "an id already recorded with other content",
                             413: "the body or the batch is over its limit"}
            if path in ("/v1/files", "/v1/imports") and method == "post":
                statuses |= {413: "the file is over KAOPING_MAX_FILE_BYTES",
                             415: "not a kind of file the ledger accepts"}
            for status, description in statuses.items():
                shape = "BatchRefusal" if path == "/v1/commands" and status in (409, 422) else "Refusal"
                if path == "/v1/imports" and status == 422:  # or the sheet's every error (routes/imports.py)
                    shape = "ImportRefusal"
                responses[str(status)] = {
                    "description": responses.get(str(status), {}).get("description", description),
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{shape}"}}}}
