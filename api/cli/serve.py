"""`kaoping serve`: the HTTP API and the web pages, under uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from .common import Db, opened, settings_for

app = typer.Typer()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    db: Db = None,
    workers: Annotated[int, typer.Option(min=1, help="server processes; each commits its own groups")] = 1,
    access_log: Annotated[bool, typer.Option(help="log every request")] = True,
) -> None:
    """Serve the HTTP interface (OpenAPI at /docs)."""
    import uvicorn

    from kaoping.api.http import create_app

    settings = settings_for(db)
    with opened(db) as services:  # before serving: its key is there, and an older ledger has its tree
        ledger = services.ledger
        ledger.notary.signer()
        if ledger.status()["initialised"]:
            ledger.notary.sign_current(ledger.clock())
    options = {"host": host, "port": port, "log_level": "info", "access_log": access_log}
    if workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    # worker processes build their own app from the environment: hand them the resolved settings
    os.environ["KAOPING_DATABASE_URL"] = settings.database_url
    os.environ["KAOPING_TZ"] = settings.tz
    uvicorn.run("kaoping.api.http:create_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]
