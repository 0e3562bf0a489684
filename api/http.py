"""The HTTP interface of CONTRACT.md: FastAPI over the same services and the same JSON as the CLI.

`create_app` builds the services in the app's lifespan (never at import) through the composition
root, includes the routers (`api/routes/`) and the web pages (`api/web/`), and installs the one
error mapping (`api/errors.py`).
"""

from __future__ import annotations

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

from . import errors, limits, web
from .bootstrap import bootstrap
from .routes import appeals, commands, exports, log, reading


def create_app(settings: Settings | None = None, ledger: Ledger | None = None) -> FastAPI:
    """The app; its services are built in the lifespan from `settings` (or around `ledger`, for
    tests, which then stays open)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        chosen = settings or (ledger.settings if ledger is not None else Settings())
        app.state.services = bootstrap(chosen, ledger=ledger)
        try:
            yield
        finally:
            app.state.services.close()

    # /docs and /redoc from the assets fastapi-offline packages: a county intranet has no CDN
    app = FastAPIOffline(title="Kaoping (考评) ledger", version="0.1.0", lifespan=lifespan,
                         description="An event-sourced audit ledger for government performance "
                                     "evaluation. Every request but /healthz, /docs and the OpenAPI "
                                     "description needs `Authorization: Bearer TOKEN`.")
    errors.install(app)
    limits.install(app)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for router in (commands.router, reading.router, appeals.router, log.router, exports.router):
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
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
